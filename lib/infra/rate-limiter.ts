/**
 * Rate limits shared by every gateway replica through Redis.
 *
 * SyncedWindowLimiter (public and admin limits): fixed one-minute windows. Each replica counts hits in
 * memory and every `syncIntervalMs` adds them to the shared Redis counter in one pipelined INCRBY,
 * reading back the cluster-wide total. A request is decided from (last known total + hits since), so the
 * hot path never waits on Redis. Largest overshoot: each other replica's hits during one sync interval
 * (with 100 ms and 3 replicas at the public limit, a client can get at most a few requests past 100).
 *
 * ExactLimiter: one atomic Lua INCR per request, exact across replicas. The heartbeat limit counts with
 * the same Lua function (EXACT_HIT_LUA) inside the heartbeat's one script (services/license/sessions.ts),
 * which also refreshes the session and buffers the heartbeat: one round trip for all three.
 */
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.ts';

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/** An exact decision also knows how many hits the window had, this one and refused ones included. */
export interface ExactDecision extends LimitDecision {
  hits: number;
}

interface Counter {
  window: number;
  /** Cluster-wide total as of the last sync (including this replica's synced hits). */
  known: number;
  /** Hits on this replica not yet added to Redis. */
  pending: number;
  /** Sent to Redis, reply not yet in. */
  inFlight: number;
  lastHit: number;
}

const WINDOW_MS = 60_000;
/** Keys one replica tracks at most per limiter: distinct clients beyond it evict the oldest entries. */
export const DEFAULT_MAX_KEYS = 100_000;

export class SyncedWindowLimiter {
  private readonly counters = new Map<string, Counter>();
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private readonly redis: Redis;
  private readonly name: string;
  private readonly limit: number;
  private readonly syncIntervalMs: number;
  private readonly maxKeys: number;

  constructor(redis: Redis, name: string, limit: number, syncIntervalMs: number, maxKeys = DEFAULT_MAX_KEYS) {
    this.redis = redis;
    this.name = name;
    this.limit = limit;
    this.syncIntervalMs = syncIntervalMs;
    this.maxKeys = maxKeys;
  }

  /** Keys tracked in memory (bounded by maxKeys). */
  get size(): number {
    return this.counters.size;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sync(), this.syncIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  hit(key: string, now = Date.now()): LimitDecision {
    const window = Math.floor(now / WINDOW_MS);
    let counter = this.counters.get(key);
    if (!counter || counter.window !== window) {
      counter = { window, known: 0, pending: 0, inFlight: 0, lastHit: now };
      if (!this.counters.has(key) && this.counters.size >= this.maxKeys) this.evictOldest();
      this.counters.set(key, counter);
    }
    counter.lastHit = now;
    const used = counter.known + counter.inFlight + counter.pending + 1;
    const resetSeconds = Math.ceil(((window + 1) * WINDOW_MS - now) / 1000);
    if (used > this.limit) {
      return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    }
    counter.pending += 1;
    return { allowed: true, limit: this.limit, remaining: this.limit - used, resetSeconds };
  }

  /**
   * Many distinct keys (a flood of client addresses) must not grow the map without bound. Maps iterate
   * in insertion order, so the first key is the one tracked longest; its hits already synced stay
   * counted in Redis and are read back if it comes again, so at most its last unsynced hits are lost.
   */
  private evictOldest(): void {
    const oldest = this.counters.keys().next().value;
    if (oldest !== undefined) this.counters.delete(oldest);
  }

  /** Pushes pending hits and refreshes the totals of recently used keys. */
  async sync(now = Date.now()): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const window = Math.floor(now / WINDOW_MS);
      const batch: Array<[string, Counter, number]> = [];
      for (const [key, counter] of this.counters) {
        if (counter.window !== window) {
          this.counters.delete(key);
          continue;
        }
        // Keys idle for a while need no fresh total; a key in use learns other replicas' hits.
        if (counter.pending === 0 && now - counter.lastHit > 10 * this.syncIntervalMs) continue;
        batch.push([key, counter, counter.pending]);
        counter.inFlight += counter.pending;
        counter.pending = 0;
      }
      if (batch.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const [key, counter, amount] of batch) {
        const redisKey = `rl:${this.name}:${key}:${counter.window}`;
        pipeline.incrby(redisKey, amount);
        pipeline.pexpire(redisKey, WINDOW_MS + 5000);
      }
      let results: Array<[Error | null, unknown]> | null = null;
      try {
        results = await pipeline.exec();
      } catch {
        results = null;
      }
      batch.forEach(([, counter, amount], i) => {
        counter.inFlight -= amount;
        const reply = results?.[i * 2];
        if (reply && !reply[0]) counter.known = Number(reply[1]);
        // Redis unreachable: keep counting locally so this replica still enforces its share.
        else counter.known += amount;
      });
    } finally {
      this.syncing = false;
    }
  }
}

/**
 * The exact count as a Lua function, so a script that does more in the same call (the heartbeat's, in
 * services/license/sessions.ts) counts exactly as ExactLimiter does: `exact_hit(key, window_ms)` adds
 * the hit and answers the window's hits (this one included) and the milliseconds left in it.
 */
export const EXACT_HIT_LUA = `
local function exact_hit(key, window_ms)
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, window_ms) end
  return count, redis.call('PTTL', key)
end`;

const EXACT_SCRIPT = new RedisScript(
  `${EXACT_HIT_LUA}
local count, ttl = exact_hit(KEYS[1], ARGV[1])
return {count, ttl}`,
  1,
);

export class ExactLimiter {
  private readonly redis: Redis;
  private readonly name: string;
  readonly limit: number;
  /** The window: the first hit of a key starts it, the key expires with it. */
  readonly windowMs = WINDOW_MS;

  constructor(redis: Redis, name: string, limit: number) {
    this.redis = redis;
    this.name = name;
    this.limit = limit;
  }

  /** The Redis key counting `key`'s hits (without the namespace prefix, which the client adds). */
  keyOf(key: string): string {
    return `rl:${this.name}:${key}`;
  }

  async hit(key: string): Promise<ExactDecision> {
    const [count, ttl] = (await EXACT_SCRIPT.run(this.redis, this.keyOf(key), WINDOW_MS)) as [number, number];
    return this.decide(count, ttl);
  }

  /** The decision for a window that holds `count` hits (this one included) and ends in `ttl` ms. */
  decide(count: number, ttl: number): ExactDecision {
    const resetSeconds = Math.max(1, Math.ceil(ttl / 1000));
    return {
      allowed: count <= this.limit,
      limit: this.limit,
      remaining: Math.max(0, this.limit - count),
      resetSeconds,
      hits: count,
    };
  }
}
