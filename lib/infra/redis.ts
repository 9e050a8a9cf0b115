/**
 * One ioredis connection per process, shared by the services that run in it (gateway rate limits,
 * sessions, heartbeats). While Redis is away a command is retried once and then fails, so a request
 * gets a clear 503 instead of hanging, and /health reports the outage.
 *
 * Every key carries the deployment's namespace (`<NAMESPACE>:`, `default:` when none is set) through
 * ioredis's keyPrefix, so deployments and test runs that share one Redis never see each other's
 * sessions, limits or revocations. (Lua scripts get their KEYS prefixed the same way.)
 */
import { Redis } from 'ioredis';
import { config } from '../../config/index.ts';
import { succeedsWithin } from './deadline.ts';

/** The longest a Redis command may take before it fails (the caller answers 503). */
export const REDIS_COMMAND_TIMEOUT_MS = 1500;

let client: Redis | undefined;

/** The prefix of every key this deployment writes, e.g. `prod:`. */
export function redisKeyPrefix(namespace = config().namespace): string {
  return `${namespace || 'default'}:`;
}
let users = 0;

export function acquireRedis(): Redis {
  users += 1;
  client ??= new Redis(config().redisUrl, {
    keyPrefix: redisKeyPrefix(),
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // A Redis that stops answering without closing the connection must not hang requests (or the
    // limiters' sync): every command fails after this long.
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: attempt => Math.min(attempt * 200, 2000),
  });
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash the process.
  if (client.listenerCount('error') === 0) client.on('error', () => undefined);
  return client;
}

export async function releaseRedis(): Promise<void> {
  users = Math.max(0, users - 1);
  if (users === 0 && client) {
    const closing = client;
    client = undefined;
    await closing.quit().catch(() => closing.disconnect());
  }
}

/** PING with a deadline; false when Redis is unreachable. */
export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  return succeedsWithin(async () => (await redis.ping()) === 'PONG', timeoutMs);
}
