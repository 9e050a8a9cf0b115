/**
 * Sliding windows in Redis for the detectors: one sorted set per subject (a license, a hardware hash),
 * members scored by time. Adding a member, dropping those older than the window and counting is one
 * Lua script, atomic across replicas, so two monitoring nodes handling facts of one license count them
 * together. The set expires with its window and its size is capped, so an idle or abusive subject
 * never grows it without bound.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const WINDOW_SCRIPT = `
local key, now, window, member, cap, recent = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZADD', key, now, member)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count > cap then
  redis.call('ZREMRANGEBYRANK', key, 0, count - cap - 1)
  count = cap
end
redis.call('PEXPIRE', key, window)
return {count, redis.call('ZREVRANGE', key, 0, recent - 1)}`;

/** Members kept per window: far above any threshold, so counts stay exact where they matter. */
const WINDOW_CAP = 10_000;
/** Members returned as evidence (the most recent). */
const EVIDENCE_MEMBERS = 50;

export interface WindowCount {
  count: number;
  /** The most recent members, newest first. */
  recent: string[];
}

/** Adds `member` at `now` to the window `key` and answers how many members the last `windowMs` hold. */
export async function addToWindow(
  redis: Redis,
  key: string,
  member: string,
  windowMs: number,
  now = Date.now(),
): Promise<WindowCount> {
  const [count, recent] = (await redis.eval(
    WINDOW_SCRIPT,
    1,
    key,
    now,
    windowMs,
    member,
    WINDOW_CAP,
    EVIDENCE_MEMBERS,
  )) as [number, string[]];
  return { count, recent };
}

/** Hardware hashes are client-chosen strings up to 256 characters: keys use a digest of them. */
export function hardwareDigest(hardwareHash: string): string {
  return createHash('sha256').update(hardwareHash).digest('hex').slice(0, 32);
}

export const WINDOW_KEYS = {
  activations: (licenseId: number) => `anomaly:activations:${licenseId}`,
  hardware: (hardwareHash: string) => `anomaly:hardware:${hardwareDigest(hardwareHash)}`,
  churn: (licenseId: number) => `anomaly:churn:${licenseId}`,
};
