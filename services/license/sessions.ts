/**
 * Live sessions (max_users): a running client instance holds one seat of its license while it verifies
 * or heartbeats; a seat whose last sign of life is older than the heartbeat timeout is free again.
 *
 * Per license, a Redis sorted set (member: activation id, score: last seen, ms). Opening or refreshing
 * a session is one Lua script, atomic across every replica: drop the timed-out members, then admit the
 * caller if it already holds a seat or a seat is free. A global set feeds the live session count and
 * the lapse sweep (`device.heartbeat.dead`).
 *
 * The same script moves the license's usage level (0, 80 or 100% of max_users, usage.ts) kept beside
 * the set: it answers the level before and after, so the caller announces an upward crossing exactly
 * once across replicas, and a lower count re-arms it. Licenses at 100% are listed in one more sorted
 * set for the monitoring alerts. An admitted heartbeat is also counted in its minute (live stats'
 * heartbeats_per_minute). No extra round trip: it all happens in the admission's one script (a
 * separate write, even pipelined, measured several microseconds of client CPU per heartbeat).
 *
 * A heartbeat goes further in the same spirit: one script counts its exact rate limit, refreshes its
 * session and buffers its time for the device service (HEARTBEAT_SCRIPT), where it used to take three
 * round trips and a broker call (docs/performance.md, "Heartbeats at scale").
 */
import type { Redis } from 'ioredis';
import type { ExactDecision, ExactLimiter } from '../../lib/infra/rate-limiter.ts';
import { HEARTBEAT_BUFFER_KEY } from '../device/contract.ts';
import {
  ALL_SESSIONS,
  FULL_LICENSES,
  HEARTBEAT_SCRIPT,
  LAPSE_SCRIPT,
  MINUTE_MS,
  TOUCH_SCRIPT,
  heartbeatMinuteKey,
  levelKey,
  licenseKey,
} from './session-scripts.ts';

/** A move of a license's max_users usage level (0, 80 or 100), as the admission script saw it. */
export interface UsersLevelMove {
  used: number;
  previous: number;
  level: number;
}

export interface TouchResult {
  admitted: boolean;
  /** Set when this admission moved the license's usage level (up: announce; down: re-armed). */
  moved: UsersLevelMove | null;
}

/** The activation a heartbeat names, found valid by the verdict: its session is checked. */
export interface HeartbeatSession {
  licenseId: number;
  activationId: number;
  maxUsers: number;
}

export interface HeartbeatResult {
  /** The exact limit's decision, this heartbeat counted. */
  decision: ExactDecision;
  /** The session check; null when there was none (no valid activation, or over the limit). */
  session: TouchResult | null;
}

/** A session whose machine fell silent: taken out of the live set by this process. */
export interface LapsedSession {
  licenseId: number;
  activationId: number;
  lastSeen: number;
}

const ADMITTED_FROM_MEMO: TouchResult = { admitted: true, moved: null };
/** A shared admission's answer: the level move belongs to the caller that asked (announced once). */
const sharedAnswer = (r: TouchResult): TouchResult => (r.moved ? { admitted: r.admitted, moved: null } : r);
/** Admissions the memo holds at most; a prune brings it down to MEMO_PRUNED_TO. */
const MEMO_MAX = 100_000;
const MEMO_PRUNED_TO = 90_000;
/** After a failed admission, Redis is not asked again for this long. */
const FAIL_OPEN_RETRY_MS = 2000;
/** A failure this long after the previous one starts a new outage (logged again). */
const FAIL_OPEN_QUIET_MS = 60_000;

export class SessionStore {
  private readonly redis: Redis;
  private readonly timeoutMs: number;
  /** Activations this process saw admitted recently: no need to ask Redis again within the interval. */
  private readonly recent = new Map<number, number>();
  private readonly refreshMs: number;
  /** From this age on, a verify answered from the memo also refreshes it (refreshDue). */
  private readonly refreshAheadMs: number;
  /** Admissions of verifies on their way to Redis, by activation: concurrent ones share the answer. */
  private readonly asking = new Map<number, Promise<TouchResult>>();
  /** Until when Redis counts as away (the last admission failed): admissions fail open at once. */
  private downUntil = 0;

  constructor(redis: Redis, timeoutSeconds: number) {
    this.redis = redis;
    this.timeoutMs = timeoutSeconds * 1000;
    // Well inside the timeout, so a session refreshed from memory is certainly still live in Redis.
    this.refreshMs = Math.min(30_000, this.timeoutMs / 4);
    this.refreshAheadMs = (this.refreshMs * 3) / 4;
  }

  /**
   * Opens or refreshes the session of an activation; not admitted when max_users other sessions are
   * live. A heartbeat always asks Redis and is counted in its minute when admitted; verifies may be
   * answered from the recent-admission memo, and concurrent verifies of one activation share one
   * question to Redis (only the one that asked learns of a usage level move, so it is announced once).
   */
  async touch(
    licenseId: number,
    activationId: number,
    maxUsers: number,
    heartbeat = false,
    now = Date.now(),
  ): Promise<TouchResult> {
    if (!heartbeat) {
      if (this.admittedRecently(activationId, now)) return ADMITTED_FROM_MEMO;
      const asked = this.asking.get(activationId);
      if (asked) return asked.then(sharedAnswer);
    }
    return this.ask(licenseId, activationId, maxUsers, heartbeat, now);
  }

  /**
   * True when the activation's memo is in its last quarter and nobody is asking Redis about it: the
   * caller answers from the memo and refreshes it in the background (refresh), so a machine verifying
   * all the time never finds its memo expired and never sends a burst of admissions at once.
   */
  refreshDue(activationId: number, now = Date.now()): boolean {
    const last = this.recent.get(activationId);
    return last !== undefined && now - last >= this.refreshAheadMs && !this.asking.has(activationId);
  }

  /** Asks Redis for the activation's session now, memo or not (the refresh refreshDue asks for). */
  refresh(licenseId: number, activationId: number, maxUsers: number, now = Date.now()): Promise<TouchResult> {
    return this.ask(licenseId, activationId, maxUsers, false, now);
  }

  private ask(
    licenseId: number,
    activationId: number,
    maxUsers: number,
    heartbeat: boolean,
    now: number,
  ): Promise<TouchResult> {
    // Redis known to be away: fail at once rather than wait for another command timeout.
    if (now < this.downUntil || this.redis.status !== 'ready') {
      return Promise.reject(new Error('Session store unavailable'));
    }
    const asked = TOUCH_SCRIPT.run(
      this.redis,
      licenseKey(licenseId),
      ALL_SESSIONS,
      levelKey(licenseId),
      FULL_LICENSES,
      heartbeatMinuteKey(Math.floor(now / MINUTE_MS)),
      now,
      this.timeoutMs,
      String(activationId),
      maxUsers,
      `${licenseId}:${activationId}`,
      String(licenseId),
      heartbeat ? '1' : '0',
    ).then(raw => {
      const reply = raw as number | [number, number, number, number];
      const [admitted, moved] =
        typeof reply === 'number' ? [reply, null] : [reply[0], { used: reply[1], previous: reply[2], level: reply[3] }];
      return this.remember(activationId, admitted === 1, moved, now);
    });
    // A heartbeat is counted in its minute: each one asks for itself.
    if (heartbeat) return asked;
    this.asking.set(activationId, asked);
    const done = () => {
      if (this.asking.get(activationId) === asked) this.asking.delete(activationId);
    };
    asked.then(done, done);
    return asked;
  }

  /**
   * A heartbeat's Redis work in one round trip: counts it against its exact limit (`limitKey` of
   * `limiter`) and, for an activation the verdict found valid (`session`) and within the limit, opens
   * or refreshes its session exactly as touch(heartbeat) does and, when admitted, buffers the heartbeat
   * at `now` for the device service's flush. A heartbeat with no valid activation is only counted
   * (the limiter's own call). Redis away: rejects, as the limiter does (the caller answers 503).
   */
  async heartbeat(
    limiter: ExactLimiter,
    limitKey: string,
    session: HeartbeatSession | null,
    now = Date.now(),
  ): Promise<HeartbeatResult> {
    if (!session) return { decision: await limiter.hit(limitKey), session: null };
    const { licenseId, activationId, maxUsers } = session;
    const reply = (await HEARTBEAT_SCRIPT.run(
      this.redis,
      limiter.keyOf(limitKey),
      licenseKey(licenseId),
      ALL_SESSIONS,
      levelKey(licenseId),
      FULL_LICENSES,
      heartbeatMinuteKey(Math.floor(now / MINUTE_MS)),
      HEARTBEAT_BUFFER_KEY,
      limiter.windowMs,
      limiter.limit,
      now,
      this.timeoutMs,
      String(activationId),
      maxUsers,
      `${licenseId}:${activationId}`,
      String(licenseId),
    )) as number[];
    const decision = limiter.decide(reply[0]!, reply[1]!);
    if (reply.length === 2) return { decision, session: null };
    const moved = reply.length === 6 ? { used: reply[3]!, previous: reply[4]!, level: reply[5]! } : null;
    return { decision, session: this.remember(activationId, reply[2] === 1, moved, now) };
  }

  /** Keeps the memo in step with an admission Redis decided. */
  private remember(activationId: number, admitted: boolean, moved: UsersLevelMove | null, now: number): TouchResult {
    if (admitted) {
      this.recent.set(activationId, now);
      if (this.recent.size > MEMO_MAX) this.prune(now);
    } else {
      this.recent.delete(activationId);
    }
    return { admitted, moved };
  }

  /**
   * An admission failed (Redis away) and the caller admits without a seat check (fail open): the
   * activation counts as admitted for the memo's interval, so its next verifies answer from memory,
   * and Redis is not asked again for a moment. True for the first failure of an outage (log it once).
   */
  failedOpen(activationId: number, now = Date.now()): boolean {
    const first = now >= this.downUntil + FAIL_OPEN_QUIET_MS;
    this.downUntil = now + FAIL_OPEN_RETRY_MS;
    this.recent.set(activationId, now);
    if (this.recent.size > MEMO_MAX) this.prune(now);
    return first;
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

  /** Live sessions across the cluster. Counts only: lapsed members are left for the lapse sweep to announce. */
  async liveCount(now = Date.now()): Promise<number> {
    return this.redis.zcount(ALL_SESSIONS, now - this.timeoutMs, '+inf');
  }

  async liveCountForLicense(licenseId: number, now = Date.now()): Promise<number> {
    return this.redis.zcount(licenseKey(licenseId), now - this.timeoutMs, '+inf');
  }

  /** The live sessions of a license (most recently seen first, at most `limit`): who holds them and when last seen. */
  async liveOfLicense(
    licenseId: number,
    limit: number,
    now = Date.now(),
  ): Promise<Array<{ activationId: number; lastSeen: number }>> {
    const flat = await this.redis.zrevrangebyscore(
      licenseKey(licenseId),
      '+inf',
      now - this.timeoutMs,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const live: Array<{ activationId: number; lastSeen: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const activationId = Number(flat[i]);
      if (Number.isSafeInteger(activationId)) live.push({ activationId, lastSeen: Number(flat[i + 1]) });
    }
    return live;
  }

  /**
   * Takes up to `limit` sessions silent past the timeout out of the live set, atomically: of two
   * replicas sweeping at once, each lapse goes to exactly one. A machine that comes back is admitted
   * again and can lapse again.
   */
  async takeLapsed(limit: number, now = Date.now()): Promise<LapsedSession[]> {
    const flat = (await this.redis.eval(
      LAPSE_SCRIPT,
      2,
      ALL_SESSIONS,
      FULL_LICENSES,
      now - this.timeoutMs,
      limit,
    )) as string[];
    const lapsed: LapsedSession[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [license, activation] = flat[i]!.split(':').map(Number);
      if (!Number.isSafeInteger(license) || !Number.isSafeInteger(activation)) continue;
      lapsed.push({ licenseId: license!, activationId: activation!, lastSeen: Number(flat[i + 1]) });
    }
    return lapsed;
  }

  /** Heartbeats admitted in the last complete minute, by every replica. */
  async heartbeatsLastMinute(now = Date.now()): Promise<number> {
    return Number((await this.redis.get(heartbeatMinuteKey(Math.floor(now / MINUTE_MS) - 1))) ?? 0);
  }

  /** Licenses whose live sessions fill max_users (refreshed by an admission within the timeout). */
  async fullLicenses(limit: number, now = Date.now()): Promise<number[]> {
    const ids = await this.redis.zrangebyscore(FULL_LICENSES, now - this.timeoutMs, '+inf', 'LIMIT', 0, limit);
    return ids.map(Number).filter(Number.isSafeInteger);
  }

  /**
   * Forgets the admissions older than the refresh interval and, when more than MEMO_PRUNED_TO were
   * admitted within it (one process serving a few hundred thousand machines a minute), the longest-held
   * ones too: the next prune is then 10,000 admissions away. (Forgetting only the old ones left the memo
   * at its bound, and every admission walked all of it: about 1 ms each.) A forgotten activation is
   * asked in Redis again, which answers the same.
   */
  private prune(now: number): void {
    for (const [id, at] of this.recent) if (now - at >= this.refreshMs) this.recent.delete(id);
    let excess = this.recent.size - MEMO_PRUNED_TO;
    for (const id of this.recent.keys()) {
      if (excess-- <= 0) break;
      this.recent.delete(id);
    }
  }
}
