/**
 * Live sessions (max_users): a running client instance holds one seat of its license while it verifies
 * or heartbeats; a seat whose last sign of life is older than the heartbeat timeout is free again.
 *
 * Per license, a Redis sorted set (member: activation id, score: last seen, ms). Opening or refreshing
 * a session is one Lua script, atomic across every replica: drop the timed-out members, then admit the
 * caller if it already holds a seat or a seat is free. A global set feeds the live session count.
 */
import type { Redis } from 'ioredis';

const TOUCH_SCRIPT = `
local key, all = KEYS[1], KEYS[2]
local now, timeout, member, max, global = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - timeout)
if not redis.call('ZSCORE', key, member) and redis.call('ZCARD', key) >= max then
  return 0
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, timeout)
redis.call('ZADD', all, now, global)
return 1`;

const ALL_SESSIONS = 'sessions:all';

function licenseKey(licenseId: number): string {
  return `sessions:license:${licenseId}`;
}

export class SessionStore {
  private readonly redis: Redis;
  private readonly timeoutMs: number;
  /** Activations this process saw admitted recently: no need to ask Redis again within the interval. */
  private readonly recent = new Map<number, number>();
  private readonly refreshMs: number;

  constructor(redis: Redis, timeoutSeconds: number) {
    this.redis = redis;
    this.timeoutMs = timeoutSeconds * 1000;
    // Well inside the timeout, so a session refreshed from memory is certainly still live in Redis.
    this.refreshMs = Math.min(30_000, this.timeoutMs / 4);
  }

  /**
   * Opens or refreshes the session of an activation; false when max_users other sessions are live.
   * `force` always asks Redis (heartbeats); verifies may be answered from the recent-admission memo.
   */
  async touch(
    licenseId: number,
    activationId: number,
    maxUsers: number,
    force = false,
    now = Date.now(),
  ): Promise<boolean> {
    if (!force && this.admittedRecently(activationId, now)) return true;
    const admitted = await this.redis.eval(
      TOUCH_SCRIPT,
      2,
      licenseKey(licenseId),
      ALL_SESSIONS,
      now,
      this.timeoutMs,
      String(activationId),
      maxUsers,
      `${licenseId}:${activationId}`,
    );
    if (admitted === 1) {
      this.recent.set(activationId, now);
      if (this.recent.size > 100_000) this.prune(now);
      return true;
    }
    this.recent.delete(activationId);
    return false;
  }

  /** True when this process admitted the activation recently enough to answer without Redis. */
  admittedRecently(activationId: number, now = Date.now()): boolean {
    const last = this.recent.get(activationId);
    return last !== undefined && now - last < this.refreshMs;
  }

  /** Ends the session of an activation (device deactivated). */
  async end(licenseId: number, activationId: number): Promise<void> {
    this.recent.delete(activationId);
    await this.redis
      .multi()
      .zrem(licenseKey(licenseId), String(activationId))
      .zrem(ALL_SESSIONS, `${licenseId}:${activationId}`)
      .exec();
  }

  async liveCount(now = Date.now()): Promise<number> {
    await this.redis.zremrangebyscore(ALL_SESSIONS, '-inf', now - this.timeoutMs);
    return this.redis.zcard(ALL_SESSIONS);
  }

  async liveCountForLicense(licenseId: number, now = Date.now()): Promise<number> {
    return this.redis.zcount(licenseKey(licenseId), now - this.timeoutMs, '+inf');
  }

  private prune(now: number): void {
    for (const [id, at] of this.recent) if (now - at >= this.refreshMs) this.recent.delete(id);
  }
}
