/**
 * Open-loop load on the client API: requests leave at a fixed rate whatever the answers do (a closed
 * loop would slow down with the server and hide an outage), each with a client deadline well past the
 * server's, so a hang shows as a timeout instead of stalling the load. Every answer is kept as a sample.
 */

export type Kind = 'verify' | 'heartbeat' | 'activate';

export interface Sample {
  kind: Kind;
  sentAt: number;
  ms: number;
  /** 0: no answer (connection refused, reset or the client deadline). */
  status: number;
  retryAfter: string | null;
  code: string | undefined;
  ok: boolean;
  /** The client gave up waiting. */
  hung: boolean;
}

export interface LoadTarget {
  url: string;
  apiKey: string;
  /** Activated machines of one license: verified and heartbeating. */
  licenseKey: string;
  machines: string[];
  /**
   * The licenses new machines activate on, in turn (a real license has tens or hundreds of seats, not
   * thousands). Not the verified one: every activation drops the verify views of its license on every
   * node (as it must), and a dropped view needs the database again.
   */
  activateLicenseKeys: string[];
  /** A license whose seats are full: its activations must answer 409, never take a seat. */
  fullLicenseKey: string;
}

/**
 * A hundred slots, repeated: at 100 requests per second, 70 verifies, 29 heartbeats and 1 activation,
 * roughly as real clients mix them (every start verifies, running clients heartbeat, a machine
 * activates once). The embedded database looks records up by id only and scans the collection for any
 * other filter (docs/storage.md), so the cost of an activation grows with the activations stored; one
 * per second keeps it well below saturation for the whole matrix on a two-core machine (at five per
 * second the third round ran with the database using more than a core).
 */
const PATTERN: Kind[] = [...Array<Kind>(70).fill('verify'), ...Array<Kind>(29).fill('heartbeat'), 'activate'];
const CLIENT_DEADLINE_MS = 15_000;
/** Clients come from many addresses (X-Forwarded-For, TRUST_PROXY=1): the per-IP limit is not hit. */
const CLIENT_ADDRESSES = 200;

export class LoadGenerator {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private activations = 0;
  private inFlight = new Set<Promise<void>>();
  readonly target: LoadTarget;

  constructor(target: LoadTarget) {
    this.target = target;
  }

  start(ratePerSecond = 100): void {
    const everyMs = 1000 / (ratePerSecond / 10);
    // 10 requests per timer tick: timers are not precise enough for one every 10 ms.
    this.timer = setInterval(() => {
      for (let i = 0; i < 10; i += 1) this.fire(PATTERN[this.tick++ % PATTERN.length]!);
    }, everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }

  private fire(kind: Kind): void {
    const n = this.tick;
    const t = this.target;
    const machine = t.machines[n % t.machines.length]!;
    let body: Record<string, unknown>;
    if (kind === 'activate') {
      this.activations += 1;
      // One in three tries the full license.
      const full = this.activations % 3 === 0;
      body = {
        license_key: full ? t.fullLicenseKey : t.activateLicenseKeys[this.activations % t.activateLicenseKeys.length]!,
        hardware_hash: `load-${process.pid}-${this.activations}`,
      };
    } else {
      body = { license_key: t.licenseKey, hardware_hash: machine };
    }
    const request = this.send(kind, body, `10.${(n % CLIENT_ADDRESSES) >> 8}.${n % 256}.7`);
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private async send(kind: Kind, body: Record<string, unknown>, clientIp: string): Promise<void> {
    const sentAt = Date.now();
    let status = 0;
    let retryAfter: string | null = null;
    let answer: Record<string, unknown> | undefined;
    let hung = false;
    try {
      const res = await fetch(`${this.target.url}/api/license/${kind}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': this.target.apiKey, 'x-forwarded-for': clientIp },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_DEADLINE_MS),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      answer = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    } catch (err) {
      hung = (err as Error).name === 'TimeoutError';
    }
    const error = answer?.error as { code?: string } | undefined;
    const code = typeof answer?.code === 'string' ? answer.code : error?.code;
    this.samples.push({
      kind,
      sentAt,
      ms: Date.now() - sentAt,
      status,
      retryAfter,
      code,
      ok: isOk(kind, status, answer, body.license_key === this.target.fullLicenseKey),
      hung,
    });
  }
}

function isOk(kind: Kind, status: number, answer: Record<string, unknown> | undefined, full: boolean): boolean {
  if (kind === 'verify') return status === 200 && answer?.valid === true;
  if (kind === 'heartbeat') return status === 200 && answer?.success === true;
  if (full)
    return status === 409 && (answer?.error as { code?: string } | undefined)?.code === 'ACTIVATION_LIMIT_REACHED';
  return status === 200;
}

export function between(samples: Sample[], from: number, to: number, kind?: Kind): Sample[] {
  return samples.filter(s => s.sentAt >= from && s.sentAt < to && (kind === undefined || s.kind === kind));
}

export function successRatio(samples: Sample[]): number {
  return samples.length === 0 ? 1 : samples.filter(s => s.ok).length / samples.length;
}

/**
 * What an outage may do to a request that needs the missing part: fail fast with 503 and Retry-After.
 * Anything else is a violation: a 500 or another status, no answer, a hang, or a slow failure.
 */
export function violations(samples: Sample[], maxFailureMs: number, maxAnswerMs: number): string[] {
  const found: string[] = [];
  for (const s of samples) {
    const what = `${s.kind} sent at +${s.sentAt % 100_000} ms`;
    if (s.hung) found.push(`${what}: no answer within the client deadline`);
    else if (s.ms > maxAnswerMs) found.push(`${what}: answered after ${s.ms} ms`);
    else if (!s.ok && s.status !== 503) found.push(`${what}: ${s.status} ${s.code ?? ''}`);
    else if (!s.ok && s.retryAfter === null) found.push(`${what}: 503 without Retry-After`);
    else if (!s.ok && s.ms > maxFailureMs) found.push(`${what}: failed after ${s.ms} ms`);
  }
  return found;
}

/**
 * Seconds from `from` until a window of `windowMs` whose requests succeed at `ratio` or better begins;
 * null when none begins within `withinMs`.
 */
export function recoverySeconds(
  samples: Sample[],
  from: number,
  withinMs: number,
  windowMs = 3000,
  ratio = 0.99,
): number | null {
  for (let start = from; start <= from + withinMs; start += 250) {
    const window = between(samples, start, start + windowMs);
    if (window.length >= (windowMs / 1000) * 50 && successRatio(window) >= ratio) return (start - from) / 1000;
  }
  return null;
}
