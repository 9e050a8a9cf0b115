/**
 * Login throttling, shared by every replica through Redis. Two bounds:
 *
 *   - per (username, client IP): a progressive delay. The first failures cost nothing (a typo); from
 *     the FREE-th failure on, the pair must wait before its next try, twice as long after each further
 *     failure (1 s, 2 s, 4 s, ... at most 15 minutes). It keys on the pair so that guessing at a
 *     username from one address slows down only that address: the real user, elsewhere, is never
 *     locked out by someone else's failures (a per-username lock would let anyone lock the admin out).
 *   - per client IP: at most 20 failures per 15-minute window, whatever usernames it tries (spraying
 *     one password over many usernames).
 *
 * An attempt reserves its failure BEFORE the password check (one atomic script), so parallel guesses
 * from one pair cannot slip past the delay. A successful login clears the pair and gives the IP's
 * reservation back. Without Redis a login is refused with 503 (fail closed: an unthrottled login
 * would let guesses through at full speed); docs/security.md lists this choice per limit.
 *
 * What this leaves: an attacker with many addresses can try FREE + a few passwords per address and
 * hour. Passwords of at least 12 characters in production and scrypt (about 100 ms of CPU per check)
 * carry that; the login route's public per-IP rate limit bounds the CPU one address can cost.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { normalizeUsername } from '../../models/admin-user.model.ts';
import { RateLimitError, ServiceUnavailableError } from '../../lib/core/errors.ts';

export const LOGIN_THROTTLE = {
  /** Failures of one (username, IP) pair that cost no wait. */
  freeFailuresPerPair: 3,
  /** The wait after the FREE-th failure; it doubles with every further failure. */
  firstDelayMs: 1000,
  maxDelayMs: 15 * 60 * 1000,
  /** A pair with no attempt for this long starts afresh. */
  pairMemoryMs: 60 * 60 * 1000,
  /** Per client IP: failures per window, whatever the usernames. */
  ipWindowSeconds: 15 * 60,
  /** Higher than per pair: several admins may share one office address. */
  maxFailuresPerIp: 20,
} as const;

// KEYS: pair, [ip]. ARGV: free, firstDelayMs, maxDelayMs, pairMemoryMs, maxFailuresPerIp, ipWindowMs.
// Returns 0 when the attempt may go ahead (its failure counted in advance), else the milliseconds to
// wait. Redis's own clock: replicas' clocks may differ.
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if KEYS[2] then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= tonumber(ARGV[5]) then
    local ttl = redis.call('PTTL', KEYS[2])
    if ttl < 1 then ttl = 1000 end
    return ttl
  end
end
local notBefore = tonumber(redis.call('HGET', KEYS[1], 'not_before') or '0')
if notBefore > now then return notBefore - now end
local fails = tonumber(redis.call('HGET', KEYS[1], 'fails') or '0') + 1
local free = tonumber(ARGV[1])
local delay = 0
if fails >= free then delay = math.min(tonumber(ARGV[2]) * 2 ^ (fails - free), tonumber(ARGV[3])) end
redis.call('HSET', KEYS[1], 'fails', fails, 'not_before', string.format('%.0f', now + delay))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(ARGV[4]) + delay))
if KEYS[2] and redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
return 0`;

// Success: the pair starts afresh; the IP gets its reservation back (never below zero, never a key
// without expiry).
const RELEASE_SCRIPT = `
redis.call('DEL', KEYS[1])
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 and tonumber(redis.call('GET', KEYS[2])) > 0 then
  redis.call('DECR', KEYS[2])
end
return 0`;

/** The pair's key: hashed, so any username (up to 128 characters) makes a short key. */
export function pairKey(username: string, ip: string | null): string {
  const digest = createHash('sha256')
    .update(`${normalizeUsername(username)}\n${ip ?? 'internal'}`)
    .digest('base64url');
  return `login-fail:pair:${digest}`;
}

export function ipKey(ip: string): string {
  return `login-fail:ip:${ip}`;
}

function loginKeys(username: string, ip: string | null): string[] {
  return ip ? [pairKey(username, ip), ipKey(ip)] : [pairKey(username, ip)];
}

export class LoginThrottle {
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Counts the attempt as a failure in advance; RateLimitError when it must wait. */
  async reserve(username: string, ip: string | null): Promise<void> {
    const keys = loginKeys(username, ip);
    const t = LOGIN_THROTTLE;
    let waitMs: number;
    try {
      waitMs = Number(
        await this.redis.eval(
          RESERVE_SCRIPT,
          keys.length,
          ...keys,
          t.freeFailuresPerPair,
          t.firstDelayMs,
          t.maxDelayMs,
          t.pairMemoryMs,
          t.maxFailuresPerIp,
          t.ipWindowSeconds * 1000,
        ),
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
