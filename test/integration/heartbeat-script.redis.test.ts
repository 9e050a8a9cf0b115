// The heartbeat's one script (SessionStore.heartbeat) against the real Redis: the exact limit, the
// session and the device service's buffer in one call. It must count exactly under concurrency, across
// replicas, expire with its window, leave Redis exactly as the three separate calls it replaces did
// (ExactLimiter.hit, SessionStore.touch as a heartbeat, bufferHeartbeat), and what it buffers must be
// what the device service's flush writes to the activation record.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { ActivationModel } from '../../models/activation.model.ts';
import { ExactLimiter } from '../../lib/infra/rate-limiter.ts';
import { RedisScript } from '../../lib/infra/redis-script.ts';
import { HEARTBEAT_BUFFER_KEY } from '../../services/device/contract.ts';
import { bufferHeartbeat, flushHeartbeats } from '../../services/device/heartbeat-buffer.ts';
import { SessionStore, type HeartbeatResult, type HeartbeatSession } from '../../services/license/sessions.ts';
import { resetStores } from '../helpers/system.ts';

const TIMEOUT_SECONDS = 300;
const MINUTE = 60_000;

/** A client whose keys live under a prefix of their own (as a deployment's namespace). */
function prefixedRedis(): Redis {
  return new Redis(process.env.REDIS_URL!, { keyPrefix: `hbscript-${randomBytes(4).toString('hex')}:` });
}

async function dropKeys(redis: Redis): Promise<void> {
  const prefix = redis.options.keyPrefix!;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map(k => k.slice(prefix.length)));
}

/** Every key under the client's prefix: type, value and whether it expires (TTL rounded to seconds). */
async function dump(redis: Redis): Promise<Record<string, unknown>> {
  const prefix = redis.options.keyPrefix!;
  const out: Record<string, unknown> = {};
  for (const full of (await redis.keys(`${prefix}*`)).sort()) {
    const key = full.slice(prefix.length);
    const type = await redis.type(key);
    const value =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? await redis.hgetall(key)
          : type === 'zset'
            ? await redis.zrange(key, 0, -1, 'WITHSCORES')
            : type;
    const ttl = await redis.pttl(key);
    out[key] = { type, value, expires: ttl >= 0 };
  }
  return out;
}

/** The milliseconds left of each expiring key under the client's prefix. */
async function ttls(redis: Redis): Promise<Record<string, number>> {
  const prefix = redis.options.keyPrefix!;
  const out: Record<string, number> = {};
  for (const full of await redis.keys(`${prefix}*`)) {
    const ttl = await redis.pttl(full.slice(prefix.length));
    if (ttl >= 0) out[full.slice(prefix.length)] = ttl;
  }
  return out;
}

describe('the heartbeat script', function () {
  this.timeout(20_000);
  let redis: Redis;
  let name: string;

  before(async function () {
    await resetStores();
    await mongoose.connect(process.env.MONGO_URL!);
    redis = prefixedRedis();
  });

  after(async function () {
    await dropKeys(redis);
    redis.disconnect();
    await mongoose.disconnect();
  });

  beforeEach(function () {
    // A limiter name per test: no test sees another's counters.
    name = `hb-${randomBytes(4).toString('hex')}`;
  });

  function session(licenseId: number, activationId: number, maxUsers = 5): HeartbeatSession {
    return { licenseId, activationId, maxUsers };
  }

  it('lets exactly `limit` of 50 concurrent heartbeats through, counting every one', async function () {
    const limiter = new ExactLimiter(redis, name, 10);
    const store = new SessionStore(redis, TIMEOUT_SECONDS);
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.heartbeat(limiter, 'a:1', session(7001, 1), now)),
    );
    const allowed = results.filter(r => r.decision.allowed);
    expect(allowed).to.have.lengthOf(10);
    // Each heartbeat saw its own count: 1 to 50, once each.
    expect(results.map(r => r.decision.hits).sort((x, y) => x - y)).to.deep.equal(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(allowed.map(r => r.decision.remaining).sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Only those within the limit reached the session (and each was admitted); the others stopped at the limit.
    expect(allowed.every(r => r.session?.admitted === true)).to.equal(true);
    expect(results.filter(r => !r.decision.allowed).every(r => r.session === null)).to.equal(true);
    expect(await redis.get(limiter.keyOf('a:1'))).to.equal('50');
    expect(await redis.get(`heartbeats:minute:${Math.floor(now / MINUTE)}`)).to.equal('10');
    expect(await redis.hget(HEARTBEAT_BUFFER_KEY, '1')).to.equal(String(now));
    expect(await redis.zscore('sessions:license:7001', '1')).to.equal(String(now));
  });

  it('counts exactly across two replicas', async function () {
    // A second connection with the same prefix: another replica of the same deployment.
    const other = new Redis(process.env.REDIS_URL!, { keyPrefix: redis.options.keyPrefix });
    try {
      const a = { limiter: new ExactLimiter(redis, name, 5), store: new SessionStore(redis, TIMEOUT_SECONDS) };
      const b = { limiter: new ExactLimiter(other, name, 5), store: new SessionStore(other, TIMEOUT_SECONDS) };
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const replica = i % 2 ? a : b;
          return replica.store.heartbeat(replica.limiter, 'a:2', session(7002, 2));
        }),
      );
      expect(results.filter(r => r.decision.allowed)).to.have.lengthOf(5);
      expect(await redis.get(a.limiter.keyOf('a:2'))).to.equal('50');
    } finally {
      other.disconnect();
    }
  });

  it('expires with its window: one minute from the first heartbeat, then counting starts again', async function () {
    const limiter = new ExactLimiter(redis, name, 1);
    const store = new SessionStore(redis, TIMEOUT_SECONDS);
    const first = await store.heartbeat(limiter, 'a:3', session(7003, 3));
    expect(first.decision).to.include({ allowed: true, limit: 1, remaining: 0, hits: 1 });
    expect(first.decision.resetSeconds).to.be.within(59, 60);
    expect(await redis.pttl(limiter.keyOf('a:3'))).to.be.within(1, MINUTE);

    // Later in the window: refused, told the time left (not a fresh minute).
    await redis.pexpire(limiter.keyOf('a:3'), 12_000);
    const refused = await store.heartbeat(limiter, 'a:3', session(7003, 3));
    expect(refused.decision).to.include({ allowed: false, remaining: 0, hits: 2, resetSeconds: 12 });
    expect(refused.session).to.equal(null);

    // The window ends: the next heartbeat is the first of a new one.
    await redis.pexpire(limiter.keyOf('a:3'), 20);
    await new Promise(resolve => setTimeout(resolve, 60));
    const next = await store.heartbeat(limiter, 'a:3', session(7003, 3));
    expect(next.decision).to.include({ allowed: true, hits: 1 });
    expect(next.decision.resetSeconds).to.be.within(59, 60);
  });

  it('leaves Redis exactly as the limiter, the session touch and the buffer write did one by one', async function () {
    const before = prefixedRedis();
    const after = prefixedRedis();
    try {
      const now = Date.now();
      // Two licenses: max_users 1 (the second machine is refused, the level moves to 100) and 5 (80%).
      const steps: Array<[number, number, number]> = [
        [7101, 11, 1],
        [7101, 12, 1],
        [7102, 21, 5],
        [7102, 22, 5],
        [7102, 23, 5],
        [7102, 24, 5],
        [7101, 11, 1],
      ];
      const old = { limiter: new ExactLimiter(before, name, 100), store: new SessionStore(before, TIMEOUT_SECONDS) };
      const oneScript = {
        limiter: new ExactLimiter(after, name, 100),
        store: new SessionStore(after, TIMEOUT_SECONDS),
      };
      const oldAnswers: HeartbeatResult[] = [];
      const newAnswers: HeartbeatResult[] = [];
      for (const [licenseId, activationId, maxUsers] of steps) {
        const decision = await old.limiter.hit(`a:${activationId}`);
        const touched = await old.store.touch(licenseId, activationId, maxUsers, true, now);
        if (touched.admitted) await bufferHeartbeat(before, activationId, now);
        oldAnswers.push({ decision, session: touched });
        newAnswers.push(
          await oneScript.store.heartbeat(
            oneScript.limiter,
            `a:${activationId}`,
            session(licenseId, activationId, maxUsers),
            now,
          ),
        );
      }
      // The same answers; the seconds left in a window may straddle a second between the two calls.
      const strip = (answers: typeof newAnswers) =>
        answers.map(({ decision: { resetSeconds: _reset, ...decision }, session: s }) => ({ decision, session: s }));
      expect(strip(newAnswers)).to.deep.equal(strip(oldAnswers));
      newAnswers.forEach((a, i) =>
        expect(a.decision.resetSeconds - oldAnswers[i]!.decision.resetSeconds).to.be.within(-1, 1),
      );
      expect(newAnswers.map(a => a.session?.admitted)).to.deep.equal([true, false, true, true, true, true, true]);
      expect(newAnswers[0]!.session!.moved).to.deep.equal({ used: 1, previous: 0, level: 100 });
      expect(newAnswers[5]!.session!.moved).to.deep.equal({ used: 4, previous: 0, level: 80 });
      expect(await dump(after)).to.deep.equal(await dump(before));
      const [oldTtls, newTtls] = [await ttls(before), await ttls(after)];
      for (const [key, ttl] of Object.entries(newTtls)) expect(ttl - oldTtls[key]!, key).to.be.within(-2000, 2000);
      // The refused machine's heartbeat was counted against its limit, but neither buffered nor admitted.
      expect(await after.hget(HEARTBEAT_BUFFER_KEY, '12')).to.equal(null);
      expect(await after.get(oneScript.limiter.keyOf('a:12'))).to.equal('1');
    } finally {
      await dropKeys(before);
      await dropKeys(after);
      before.disconnect();
      after.disconnect();
    }
  });

  it('keeps the admission memo as a heartbeat touch does: admitted remembered, refused forgotten', async function () {
    const limiter = new ExactLimiter(redis, name, 10);
    const store = new SessionStore(redis, TIMEOUT_SECONDS);
    await store.heartbeat(limiter, 'a:31', session(7201, 31, 1));
    expect(store.admittedRecently(31)).to.equal(true);
    const refused = await store.heartbeat(limiter, 'a:32', session(7201, 32, 1));
    expect(refused.session?.admitted).to.equal(false);
    expect(store.admittedRecently(32)).to.equal(false);
  });

  it('without a valid activation, only counts the limit', async function () {
    const limiter = new ExactLimiter(redis, name, 1);
    const store = new SessionStore(redis, TIMEOUT_SECONDS);
    const keysBefore = await redis.keys(`${redis.options.keyPrefix}*`);
    const first = await store.heartbeat(limiter, 'h:KEY:unknown', null);
    expect(first).to.deep.include({ session: null });
    expect(first.decision).to.include({ allowed: true, hits: 1 });
    expect((await store.heartbeat(limiter, 'h:KEY:unknown', null)).decision.allowed).to.equal(false);
    const added = (await redis.keys(`${redis.options.keyPrefix}*`)).filter(k => !keysBefore.includes(k));
    expect(added).to.deep.equal([`${redis.options.keyPrefix}${limiter.keyOf('h:KEY:unknown')}`]);
  });

  it('what it buffers, the device service flushes to the activation record', async function () {
    const id = 990_001;
    await ActivationModel.create({
      _id: id,
      license_id: 7301,
      license_key: 'ACEF-ACEF-ACEF-ACEF',
      hardware_hash: 'hbscript',
      machine_name: '',
      app_version: '',
      slot: 0,
      is_active: true,
      activated_at: new Date(),
      deactivated_at: null,
      last_heartbeat: null,
    });
    // A deployment of its own: the buffer holds this heartbeat only.
    const own = prefixedRedis();
    try {
      const now = Date.now();
      const store = new SessionStore(own, TIMEOUT_SECONDS);
      await store.heartbeat(new ExactLimiter(own, name, 1), `a:${id}`, session(7301, id), now);
      expect(await flushHeartbeats(own)).to.equal(1);
      expect((await ActivationModel.findById(id).lean())!.last_heartbeat!.getTime()).to.equal(now);
      expect(await own.exists(HEARTBEAT_BUFFER_KEY)).to.equal(0);
    } finally {
      await dropKeys(own);
      own.disconnect();
    }
  });

  it('rejects when Redis is unreachable (the heartbeat answers 503)', async function () {
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    unreachable.on('error', () => undefined);
    try {
      const store = new SessionStore(unreachable, TIMEOUT_SECONDS);
      const limiter = new ExactLimiter(unreachable, name, 1);
      let failed = false;
      await store.heartbeat(limiter, 'a:41', session(7401, 41)).catch(() => (failed = true));
      expect(failed).to.equal(true);
    } finally {
      unreachable.disconnect();
    }
  });
});

describe('RedisScript', function () {
  it('loads a script Redis does not hold yet (NOSCRIPT), then calls it by its hash, keys prefixed', async function () {
    const redis = prefixedRedis();
    try {
      // A script no Redis has seen: its text is unique to this run.
      const script = new RedisScript(`-- ${randomBytes(8).toString('hex')}\nreturn redis.call('INCR', KEYS[1])`, 1);
      expect(await redis.script('EXISTS', script.sha)).to.deep.equal([0]);
      expect(await script.run(redis, 'counter')).to.equal(1);
      expect(await redis.script('EXISTS', script.sha)).to.deep.equal([1]);
      expect(await script.run(redis, 'counter')).to.equal(2);
      expect(await redis.get('counter')).to.equal('2');
    } finally {
      await dropKeys(redis);
      redis.disconnect();
    }
  });
});
