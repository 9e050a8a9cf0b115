/**
 * The system API key as this gateway knows it: only its SHA-256 digest, in memory, so a client call is
 * checked without a broker call or a database read. The digest comes from the auth service
 * (`auth.activeApiKeyDigest`) on first use, again at once when the key is rotated (`apikey.rotated`),
 * and every 30 s in case a rotation event was missed. A presented key is compared digest to digest in
 * constant time.
 */
import type { ServiceBroker } from 'moleculer';
import { config, TEST_CREDENTIALS } from '../../config/index.ts';
import { InvalidApiKeyError } from '../../lib/core/errors.ts';
import { digestsEqual, hashApiKey } from '../../lib/security/api-keys.ts';

/** Longest X-API-Key header hashed at all: anything longer cannot be a key. */
const MAX_HEADER_LENGTH = 256;

/** What a connection remembers of the key it last sent that was accepted (checkSync). */
export interface KeyMemo {
  acceptedKey?: string;
  acceptedKeyDigest?: Buffer;
}

export class SystemApiKey {
  /** null: not loaded (or dropped by a rotation); empty: no key exists, every key is refused. */
  private digest: Buffer | null = null;
  private loading: Promise<void> | null = null;
  /** Bumped by every rotation: a load that started before it must not store the old digest. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly testKeyDigest = hashApiKey(TEST_CREDENTIALS.apiKey);
  private readonly broker: ServiceBroker;

  constructor(broker: ServiceBroker) {
    this.broker = broker;
  }

  /** Whether a digest is in memory (readiness: a gateway without one cannot check any client call). */
  get isLoaded(): boolean {
    return this.digest !== null;
  }

  /** Loads the digest; concurrent callers share one load. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const generation = this.generation;
      try {
        const active = await this.broker.call<{ digest: string } | null>('auth.activeApiKeyDigest');
        if (generation === this.generation) {
          this.digest = active ? Buffer.from(active.digest, 'hex') : Buffer.alloc(0);
        }
      } finally {
        if (generation === this.generation) this.loading = null;
      }
    })();
    return this.loading;
  }

  /** The key was rotated: the old digest is dropped at once, and the new one loaded. */
  rotated(): Promise<void> {
    this.generation += 1;
    this.digest = null;
    this.loading = null;
    return this.load();
  }

  /**
   * Resolves when `header` is the active key, rejects with InvalidApiKeyError otherwise. Once the
   * digest is loaded this awaits nothing: it runs to its end synchronously on the hot path.
   */
  async check(header: unknown): Promise<void> {
    if (this.checkSync(header)) return;
    await this.load();
    if (!this.checkSync(header)) throw new InvalidApiKeyError();
  }

  /**
   * The same check without a promise: true when `header` is the active key, InvalidApiKeyError when it
   * is not, false when the digest is not in memory yet (then `check` loads it).
   */
  checkSync(header: unknown, connection?: KeyMemo): boolean {
    if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_LENGTH) {
      throw new InvalidApiKeyError();
    }
    if (!this.digest) return false;
    // A keep-alive client sends the same key on every request of a connection: once it was accepted
    // against this very digest (a reload or rotation replaces the object), it need not be hashed again.
    // The string compared is one this connection's client sent itself, so its timing reveals nothing.
    if (connection?.acceptedKeyDigest === this.digest && connection.acceptedKey === header) return true;
    const digest = hashApiKey(header);
    // The reference's test key never opens a production gateway, whatever the database holds.
    if (config().isProduction && digestsEqual(digest, this.testKeyDigest)) throw new InvalidApiKeyError();
    if (!digestsEqual(digest, this.digest)) throw new InvalidApiKeyError();
    if (connection) {
      connection.acceptedKey = header;
      connection.acceptedKeyDigest = this.digest;
    }
    return true;
  }

  /** A missed rotation event (a NATS reconnect) must not keep an old key alive for long. */
  startRefresh(everyMs: number): void {
    this.timer = setInterval(() => {
      void this.load().catch(() => undefined);
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
