/**
 * Verifications per hour for the dashboard's chart (lib/observability/hourly-series.ts). The verify hot
 * path stays synchronous and free of I/O: it adds one to a number in memory; every FLUSH_EVERY_MS the
 * count since the last flush goes to the current hour in Redis in one pipeline (INCRBY + EXPIRE), as
 * the gateway's traffic counters do (services/api/traffic-counters.ts).
 *
 * A flush lands in the hour it runs, so verifications of the last few seconds of an hour may count in
 * the next one: invisible on an hourly chart. Redis away: the count is kept for the next flush. Counts
 * not flushed when the service stops (at most one interval's) are lost, which a chart does not notice.
 */
import type { Redis } from 'ioredis';
import { addToSeries } from '../../lib/observability/hourly-series.ts';

const FLUSH_EVERY_MS = 5000;

export class VerifySeries {
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** One verification answered: the whole cost on the hot path. */
  add(): void {
    this.pending += 1;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Adds the count since the last flush to the current hour; answers how many were written. */
  async flush(now = Date.now()): Promise<number> {
    if (this.pending === 0 || this.redis.status !== 'ready') return 0;
    const count = this.pending;
    this.pending = 0;
    try {
      const results = await addToSeries(this.redis.pipeline(), 'verifications', count, now).exec();
      if (!results || results[0]![0]) throw new Error('not counted');
      return count;
    } catch {
      this.pending += count;
      return 0;
    }
  }
}
