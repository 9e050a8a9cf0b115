/**
 * The session store's Lua scripts and the Redis keys they share (sessions.ts holds the store and says
 * what each script is for). Every script runs atomically in Redis, so every replica sees one order.
 */
import { EXACT_HIT_LUA } from '../../lib/infra/rate-limiter.ts';
import { RedisScript } from '../../lib/infra/redis-script.ts';
import { BUFFER_HEARTBEAT_LUA } from '../device/contract.ts';

/**
 * Opening or refreshing a session, as a Lua function shared by the admission script and the
 * heartbeat's script: `touch_session(key, all, level_key, full, minute, now, timeout, member, max,
 * global, license, heartbeat)` answers admitted (1 or 0) and the license's used seats, previous level
 * and level.
 */
const TOUCH_SESSION_LUA = `
local function touch_session(key, all, levelKey, full, minute, now, timeout, member, max, global, license, heartbeat)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - timeout)
  local admitted = 1
  if not redis.call('ZSCORE', key, member) and redis.call('ZCARD', key) >= max then
    admitted = 0
  else
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, timeout)
    redis.call('ZADD', all, now, global)
    if heartbeat == '1' and redis.call('INCR', minute) == 1 then redis.call('EXPIRE', minute, 3600) end
  end
  local used = redis.call('ZCARD', key)
  local level = 0
  if used >= max then level = 100 elseif used * 100 >= max * 80 then level = 80 end
  local previous = tonumber(redis.call('GET', levelKey) or '0')
  if level == 0 then
    if previous > 0 then redis.call('DEL', levelKey) end
  elseif level ~= previous then
    redis.call('SET', levelKey, level, 'PX', timeout)
  else
    redis.call('PEXPIRE', levelKey, timeout)
  end
  if level == 100 then
    redis.call('ZADD', full, now, license)
  elseif previous == 100 then
    redis.call('ZREM', full, license)
  end
  return admitted, used, previous, level
end`;

/** The common answer is just 0 or 1; a table only when the usage level moved. */
export const TOUCH_SCRIPT = new RedisScript(
  `${TOUCH_SESSION_LUA}
local admitted, used, previous, level = touch_session(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5],
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7])
if level == previous then return admitted end
return {admitted, used, previous, level}`,
  5,
);

/**
 * A heartbeat of a valid activation, in one call: the exact rate limit (ExactLimiter's own function),
 * then, within the limit, the session (as TOUCH_SCRIPT, counted in its minute) and, when admitted, the
 * heartbeat's time in the device service's buffer (its contract's function). Answers {hits, ttl} when
 * over the limit, {hits, ttl, admitted} or, when the usage level moved, {hits, ttl, admitted, used,
 * previous, level}.
 */
export const HEARTBEAT_SCRIPT = new RedisScript(
  `${EXACT_HIT_LUA}
${TOUCH_SESSION_LUA}
${BUFFER_HEARTBEAT_LUA}
local count, ttl = exact_hit(KEYS[1], ARGV[1])
if count > tonumber(ARGV[2]) then return {count, ttl} end
local admitted, used, previous, level = touch_session(KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6],
  tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8], '1')
if admitted == 1 then buffer_heartbeat(KEYS[7], ARGV[5], ARGV[3]) end
if level == previous then return {count, ttl, admitted} end
return {count, ttl, admitted, used, previous, level}`,
  7,
);

/**
 * Takes the lapsed members out of the global set and answers them: whoever removes one announces it.
 * Licenses no longer refreshed at 100% leave the full set on the way.
 */
export const LAPSE_SCRIPT = `
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #lapsed, 2 do redis.call('ZREM', KEYS[1], lapsed[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
return lapsed`;

export const ALL_SESSIONS = 'sessions:all';
export const FULL_LICENSES = 'sessions:full';
export const MINUTE_MS = 60_000;

/** Heartbeats admitted in one minute (kept an hour by the script). */
export function heartbeatMinuteKey(minute: number): string {
  return `heartbeats:minute:${minute}`;
}

export function licenseKey(licenseId: number): string {
  return `sessions:license:${licenseId}`;
}

export function levelKey(licenseId: number): string {
  return `sessions:level:${licenseId}`;
}
