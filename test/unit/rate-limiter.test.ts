// The in-memory decision of SyncedWindowLimiter, driven by explicit clock values. Nothing here talks to
// Redis: hit() never does, and no sync runs. Syncing and ExactLimiter are tested against the real Redis
// in test/integration/rate-limit.redis.test.ts.
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { SyncedWindowLimiter } from '../../lib/infra/rate-limiter.ts';

// hit() must not use the client; a client that throws on any use proves it.
const UNUSED_REDIS = new Proxy(
  {},
  {
    get() {
      throw new Error('hit() must not talk to Redis');
    },
  },
) as unknown as Redis;

const MINUTE = 60_000;
/** The start of some one-minute window. */
const T0 = 28_000_000 * MINUTE;

describe('SyncedWindowLimiter.hit (before any sync)', function () {
  it('allows `limit` hits in a window, counting remaining down, and refuses the next', function () {
    const limiter = new SyncedWindowLimiter(UNUSED_REDIS, 'unit', 3, 100);
    const decisions = [1, 2, 3, 4, 5].map(i => limiter.hit('1.2.3.4', T0 + i));
    expect(decisions.map(d => d.allowed)).to.deep.equal([true, true, true, false, false]);
    expect(decisions.map(d => d.remaining)).to.deep.equal([2, 1, 0, 0, 0]);
    expect(decisions.every(d => d.limit === 3)).to.equal(true);
  });

  it('reports the seconds until the window ends, rounded up', function () {
    const limiter = new SyncedWindowLimiter(UNUSED_REDIS, 'unit', 10, 100);
    expect(limiter.hit('a', T0).resetSeconds).to.equal(60);
    expect(limiter.hit('a', T0 + 15_000).resetSeconds).to.equal(45);
    expect(limiter.hit('a', T0 + 15_001).resetSeconds).to.equal(45);
    expect(limiter.hit('a', T0 + 59_999).resetSeconds).to.equal(1);
  });

  it('reports the reset time on refusals too', function () {
    const limiter = new SyncedWindowLimiter(UNUSED_REDIS, 'unit', 1, 100);
    limiter.hit('a', T0);
    expect(limiter.hit('a', T0 + 50_000)).to.deep.equal({ allowed: false, limit: 1, remaining: 0, resetSeconds: 10 });
  });

  it('tracks at most maxKeys keys, evicting the oldest, so a flood of distinct clients cannot grow memory', function () {
    const limiter = new SyncedWindowLimiter(UNUSED_REDIS, 'unit', 5, 100, 3);
    for (let i = 0; i < 1000; i += 1) limiter.hit(`10.0.${i >> 8}.${i & 255}`, T0 + i);
    expect(limiter.size).to.equal(3);
    // The newest keys are the ones kept, and still counted.
    expect(limiter.hit('10.0.3.231', T0 + 1001).remaining).to.equal(3);
  });

  it('counts each key on its own', function () {
    const limiter = new SyncedWindowLimiter(UNUSED_REDIS, 'unit', 1, 100);
    expect(limiter.hit('a', T0).allowed).to.equal(true);
    expect(limiter.hit('a', T0 + 1).allowed).to.equal(false);
    expect(limiter.hit('b', T0 + 2).allowed).to.equal(true);
  });

  it('starts afresh in the next window', function () {
    const limiter = new SyncedWindowLimiter(UNUSED_REDIS, 'unit', 2, 100);
    limiter.hit('a', T0 + 59_000);
    limiter.hit('a', T0 + 59_500);
    expect(limiter.hit('a', T0 + 59_999).allowed).to.equal(false);
    const next = limiter.hit('a', T0 + MINUTE);
    expect(next).to.deep.equal({ allowed: true, limit: 2, remaining: 1, resetSeconds: 60 });
  });
});
