/**
 * Requests and 5xx answers per minute, cluster-wide, for the monitoring service's error-rate alert.
 * Each gateway counts in memory (two additions per request, no I/O) and every FLUSH_EVERY_MS adds its
 * counts to the current minute's Redis hash in one pipeline, never one Redis call per request. The
 * counts of a flush land in the minute it runs, so a request near a minute's end may be counted in the
 * next one: the alert reads several minutes at once, where that does not matter.
 *
 * Flushes use the gateway's own Redis connection while its broker runs, and never open one: counts
 * not written when the gateway stops (at most one interval's) are lost, which an error rate over
 * minutes does not notice.
 */
import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import type { RedisVars } from '../../mixins/redis.mixin.ts';

const FLUSH_EVERY_MS = 5000;
const MINUTE_MS = 60_000;
/** Minutes are kept this long: the alert reads at most the last hour. */
const KEY_TTL_SECONDS = 3900;

function trafficKey(minute: number): string {
  return `traffic:${minute}`;
}

export class TrafficCounters {
  private requests = 0;
  private errors = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly broker: ServiceBroker;

  constructor(broker: ServiceBroker) {
    this.broker = broker;
    broker.localBus.on('$broker.started', () => this.start());
    broker.localBus.on('$broker.stopped', () => this.stop());
  }

  record(status: number): void {
    this.requests += 1;
    if (status >= 500) this.errors += 1;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Adds the counts since the last flush to the current minute in Redis. */
  async flush(now = Date.now()): Promise<void> {
    const redis = (this.broker.getLocalService('api') as unknown as Partial<RedisVars> | undefined)?.redis;
    if (this.requests === 0 || redis?.status !== 'ready') return;
    const { requests, errors } = this;
    this.requests = 0;
    this.errors = 0;
    const key = trafficKey(Math.floor(now / MINUTE_MS));
    try {
      const results = await redis
        .pipeline()
        .hincrby(key, 'requests', requests)
        .hincrby(key, 'errors', errors)
        .expire(key, KEY_TTL_SECONDS)
        .exec();
      if (!results || results[0]![0]) throw new Error('not counted');
    } catch {
      // Redis away: keep the counts for the next flush (Redis being down is an alert of its own).
      this.requests += requests;
      this.errors += errors;
    }
  }
}

/** Requests and 5xx answers of every gateway over the last `minutes` minutes, the current one included. */
export async function readTraffic(
  redis: Redis,
  minutes: number,
  now = Date.now(),
): Promise<{ requests: number; errors: number }> {
  const current = Math.floor(now / MINUTE_MS);
  const pipeline = redis.pipeline();
  for (let m = current - minutes + 1; m <= current; m += 1) pipeline.hmget(trafficKey(m), 'requests', 'errors');
  const results = (await pipeline.exec()) ?? [];
  let requests = 0;
  let errors = 0;
  for (const [err, value] of results) {
    if (err) throw err;
    const [r, e] = value as [string | null, string | null];
    requests += Number(r ?? 0);
    errors += Number(e ?? 0);
  }
  return { requests, errors };
}
