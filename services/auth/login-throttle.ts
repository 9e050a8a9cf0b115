/**
 * Login throttling: failures are counted per username and per client IP in Redis, shared by every
 * replica, in fixed 15-minute windows starting at the first failure. An attempt reserves its failure
 * BEFORE the password check (one atomic script), so parallel guesses cannot all slip past the limit;
 * a successful login gives the reservation back and clears the username's count.
 */
import type { Redis } from 'ioredis';
import { normalizeUsername } from '../../models/admin-user.model.ts';
import { RateLimitError, ServiceUnavailableError } from '../../lib/core/errors.ts';

export const LOGIN_THROTTLE = {
  windowSeconds: 15 * 60,
  maxFailuresPerUsername: 5,
  /** Higher than per username: several admins may share one office address. */
  maxFailuresPerIp: 20,
} as const;

// Returns 0 when the attempt may go ahead (its failure is counted in advance), otherwise the
// milliseconds until the exhausted window ends.
const RESERVE_SCRIPT = `
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 1 then ttl = 1000 end
    return ttl
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[#KEYS + 1]) end
end
return 0`;

// Success: the username starts afresh; the IP gets its reservation back (never below zero, never a
// key without expiry).
const RELEASE_SCRIPT = `
redis.call('DEL', KEYS[1])
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 and tonumber(redis.call('GET', KEYS[2])) > 0 then
  redis.call('DECR', KEYS[2])
end
return 0`;

function loginKeys(username: string, ip: string | null): string[] {
  const keys = [`login-fail:user:${normalizeUsername(username)}`];
  if (ip) keys.push(`login-fail:ip:${ip}`);
  return keys;
}

export class LoginThrottle {
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Counts the attempt as a failure in advance; RateLimitError when a window is exhausted. */
  async reserve(username: string, ip: string | null): Promise<void> {
    const keys = loginKeys(username, ip);
    const limits = [LOGIN_THROTTLE.maxFailuresPerUsername, LOGIN_THROTTLE.maxFailuresPerIp].slice(0, keys.length);
    let waitMs: number;
    try {
      waitMs = Number(
        await this.redis.eval(RESERVE_SCRIPT, keys.length, ...keys, ...limits, LOGIN_THROTTLE.windowSeconds * 1000),
      );
    } catch {
      throw new ServiceUnavailableError();
    }
    if (waitMs > 0) throw new RateLimitError(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** After a successful login. */
  async release(username: string, ip: string | null): Promise<void> {
    const keys = loginKeys(username, ip);
    // Best effort: a lost release only leaves one phantom failure, which expires with its window.
    await this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys).catch(() => undefined);
  }
}
