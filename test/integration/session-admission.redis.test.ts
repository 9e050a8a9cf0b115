// Admissions of verifies (SessionStore.touch, refreshDue, refresh) against the real Redis: concurrent
// verifies of one machine ask Redis once, the level move reaches one of them only, heartbeats are never
// shared, and a memo refreshed ahead of its end keeps a busy machine off the slow path for good.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { SessionStore } from '../../services/license/sessions.ts';

const TIMEOUT_SECONDS = 180;
/** The memo's interval at that timeout (a quarter of it, at most 30 s) and when a refresh is due. */
const REFRESH_MS = 30_000;
const REFRESH_AHEAD_MS = 22_500;

/** A client under a prefix of its own, and a count of the scripts it sent. */
function countingRedis(): { redis: Redis; scripts: () => number } {
  const redis = new Redis(process.env.REDIS_URL!, { keyPrefix: `admission-${randomBytes(4).toString('hex')}:` });
  let scripts = 0;
  const evalsha = redis.evalsha.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  const evalScript = redis.eval.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  Object.assign(redis, {
    evalsha: (...args: unknown[]) => {
      scripts += 1;
      return evalsha(...args);
    },
    // The first call of a script Redis does not hold yet is EVALSHA then EVAL: one question.
    eval: (...args: unknown[]) => evalScript(...args),
  });
  return { redis, scripts: () => scripts };
}

async function dropKeys(redis: Redis): Promise<void> {
  const prefix = redis.options.keyPrefix!;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys.map(k => k.slice(prefix.length)));
}

describe('Session admissions of verifies (SessionStore, real Redis)', function () {
  let redis: Redis;
  let scripts: () => number;
  let store: SessionStore;

  beforeEach(async function () {
    ({ redis, scripts } = countingRedis());
    await redis.ping();
    store = new SessionStore(redis, TIMEOUT_SECONDS);
  });

  afterEach(async function () {
    await dropKeys(redis);
    redis.disconnect();
  });

  it('50 concurrent verifies of one machine ask Redis once and are all admitted', async function () {
    const now = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => store.touch(1, 11, 5, false, now)));
    expect(answers.every(a => a.admitted)).to.equal(true);
    expect(scripts()).to.equal(1);
    expect(await redis.zscore('sessions:license:1', '11')).to.equal(String(now));
  });

  it('announces a usage level move to one of the concurrent verifies only', async function () {
    const now = Date.now();
    // max_users 1: the first admission moves the license from 0 to 100%.
    const answers = await Promise.all(Array.from({ length: 10 }, () => store.touch(2, 21, 1, false, now)));
    const moves = answers.filter(a => a.moved !== null);
    expect(moves).to.have.length(1);
    expect(moves[0]!.moved).to.deep.equal({ used: 1, previous: 0, level: 100 });
  });

  it('asks Redis for every heartbeat, even concurrent ones of one machine', async function () {
    const now = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => store.touch(3, 31, 5, true, now)));
    expect(scripts()).to.equal(5);
    expect(await redis.get(`heartbeats:minute:${Math.floor(now / 60_000)}`)).to.equal('5');
  });

  it('different machines of one license are asked for separately', async function () {
    const now = Date.now();
    const answers = await Promise.all([41, 42, 43].map(id => store.touch(4, id, 2, false, now)));
    expect(answers.map(a => a.admitted)).to.deep.equal([true, true, false]);
    expect(scripts()).to.equal(3);
  });

  it('is due for a refresh in the last quarter of the memo, and not while one is asked', async function () {
    const t0 = Date.now();
    await store.touch(5, 51, 5, false, t0);
    expect(store.refreshDue(51, t0 + REFRESH_AHEAD_MS - 1)).to.equal(false);
    expect(store.refreshDue(51, t0 + REFRESH_AHEAD_MS)).to.equal(true);
    const refreshing = store.refresh(5, 51, 5, t0 + REFRESH_AHEAD_MS);
    expect(store.refreshDue(51, t0 + REFRESH_AHEAD_MS)).to.equal(false);
    expect((await refreshing).admitted).to.equal(true);
    expect(scripts()).to.equal(2);
  });

  it('a refreshed memo answers past the end of the first one, and Redis saw the refresh', async function () {
    const t0 = Date.now() - REFRESH_MS;
    await store.touch(6, 61, 5, false, t0);
    const t1 = t0 + REFRESH_AHEAD_MS;
    await store.refresh(6, 61, 5, t1);
    expect(store.admittedRecently(61, t0 + REFRESH_MS + 1)).to.equal(true);
    expect(await redis.zscore('sessions:license:6', '61')).to.equal(String(t1));
    // A verify then is answered from the memo: no further question.
    await store.touch(6, 61, 5, false, t0 + REFRESH_MS + 1);
    expect(scripts()).to.equal(2);
  });

  it('a machine whose seat was taken meanwhile is refused by the refresh and leaves the memo', async function () {
    const t0 = Date.now();
    await store.touch(7, 71, 1, false, t0);
    // Its session ends elsewhere (another replica deactivated it) and another machine takes the seat.
    await redis.zrem('sessions:license:7', '71');
    await store.touch(7, 72, 1, false, t0 + 1);
    const refreshed = await store.refresh(7, 71, 1, t0 + REFRESH_AHEAD_MS);
    expect(refreshed.admitted).to.equal(false);
    expect(store.admittedRecently(71, t0 + REFRESH_AHEAD_MS + 1)).to.equal(false);
  });
});
