/**
 * Moleculer's Redis cacher (the shared cache of read-mostly answers), made to behave like the rest of
 * the process during a Redis outage:
 *   - its connection fails a command after REDIS_COMMAND_TIMEOUT_MS instead of waiting forever (a
 *     paused Redis), and does not queue commands while it is disconnected;
 *   - its connection errors are reported once per outage as a warning, instead of Moleculer's error
 *     with a stack trace on every reconnect attempt (twice a second, forever, on every node).
 * A cached action whose cache lookup fails answers 503 (lib/http-errors.ts maps the driver's errors).
 */
import { Cachers, type ServiceBroker } from 'moleculer';
import { REDIS_COMMAND_TIMEOUT_MS } from './redis.ts';

/** ioredis options from a redis:// or rediss:// URL (Moleculer hands the options to ioredis as they are). */
export function redisOptionsFromUrl(url: string): Record<string, unknown> {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
}

interface Listening {
  connected: boolean;
  removeAllListeners(event: string): void;
  on(event: string, listener: (err?: Error) => void): void;
}

export class QuietRedisCacher extends Cachers.Redis {
  override init(broker: ServiceBroker): void {
    super.init(broker);
    const client = this.client as Listening;
    const self = this as unknown as { connected: boolean; logger: ServiceBroker['logger'] };
    client.removeAllListeners('error');
    let down = false;
    client.on('error', err => {
      self.connected = false;
      if (down) return;
      down = true;
      self.logger.warn('Redis cacher lost its connection: cached actions answer 503 until it is back', {
        message: err?.message,
      });
    });
    client.on('ready', () => {
      if (down) self.logger.info('Redis cacher connected again');
      down = false;
    });
  }
}
