// The rate limiters against the real Redis: two SyncedWindowLimiter instances stand for two gateway
// replicas sharing one counter, and ExactLimiter must stay exact under concurrency.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ExactLimiter, SyncedWindowLimiter } from '../../lib/infra/rate-limiter.ts';

const MINUTE = 60_000;

describe('rate limiters on Redis', function () {
  this.timeout(10_000);
  let redis: Redis;
  /** A fresh limiter name per test, so no test sees another's counters. */
  let name: string;
  /** The start of the current window plus a little: every hit and sync of a test uses this clock. */
  let now: number;

  before(function () {
    redis = new Redis(process.env.REDIS_URL!);
  });

  after(function () {
    redis.disconnect();
  });

  beforeEach(function () {
    name = `test-${randomBytes(4).toString('hex')}`;
    now = Math.floor(Date.now() / MINUTE) * MINUTE + 1000;
  });

  function windowKey(key: string): string {
    return `rl:${name}:${key}:${Math.floor(now / MINUTE)}`;
  }

  describe('SyncedWindowLimiter with two replicas', function () {
    it("adds each replica's hits to the shared counter on sync", async function () {
      const a = new SyncedWindowLimiter(redis, name, 10, 100);
      const b = new SyncedWindowLimiter(redis, name, 10, 100);
      for (let i = 0; i < 3; i += 1) a.hit('ip', now);
      for (let i = 0; i < 2; i += 1) b.hit('ip', now);
      await a.sync(now);
      await b.sync(now);
      expect(await redis.get(windowKey('ip'))).to.equal('5');
      const ttl = await redis.pttl(windowKey('ip'));
      expect(ttl).to.be.within(MINUTE, MINUTE + 5000);
    });

    it("after a sync, each replica counts the other's hits against the limit", async function () {
      const a = new SyncedWindowLimiter(redis, name, 6, 100);
      const b = new SyncedWindowLimiter(redis, name, 6, 100);
      for (let i = 0; i < 3; i += 1) expect(a.hit('ip', now).allowed).to.equal(true);
      for (let i = 0; i < 2; i += 1) expect(b.hit('ip', now).allowed).to.equal(true);
      // Each pushes its own hits; a second round lets the first learn what the other pushed.
      await a.sync(now);
      await b.sync(now);
      await a.sync(now);

      const fromA = a.hit('ip', now);
      expect(fromA).to.include({ allowed: true, remaining: 0 });
      expect(a.hit('ip', now).allowed).to.equal(false);

      await a.sync(now);
      await b.sync(now);
      // B has seen A's 4 hits and its own 2: the limit of 6 is used up.
      expect(b.hit('ip', now)).to.include({ allowed: false, remaining: 0 });
      expect(await redis.get(windowKey('ip'))).to.equal('6');
    });

    it('does not push refused hits to the shared counter', async function () {
      const a = new SyncedWindowLimiter(redis, name, 2, 100);
      for (let i = 0; i < 10; i += 1) a.hit('ip', now);
      await a.sync(now);
      expect(await redis.get(windowKey('ip'))).to.equal('2');
    });

    it('keeps separate counters per key', async function () {
      const a = new SyncedWindowLimiter(redis, name, 5, 100);
      a.hit('one', now);
      a.hit('two', now);
      a.hit('two', now);
      await a.sync(now);
      expect(await redis.get(windowKey('one'))).to.equal('1');
      expect(await redis.get(windowKey('two'))).to.equal('2');
    });

    it('pushes pending hits when stopped', async function () {
      const a = new SyncedWindowLimiter(redis, name, 5, 60_000);
      a.start();
      a.hit('ip');
      a.hit('ip');
      await a.stop();
      // hit() used the real clock here; the window may just have turned, so look at both.
      const keys = await redis.keys(`rl:${name}:ip:*`);
      const values = await Promise.all(keys.map(k => redis.get(k)));
      expect(values.reduce((sum, v) => sum + Number(v), 0)).to.equal(2);
    });

    it('syncs on its own timer once started', async function () {
      const a = new SyncedWindowLimiter(redis, name, 5, 20);
      a.start();
      try {
        a.hit('ip');
        const deadline = Date.now() + 2000;
        let total = 0;
        while (total === 0 && Date.now() < deadline) {
          await new Promise(resolve => setTimeout(resolve, 20));
          const keys = await redis.keys(`rl:${name}:ip:*`);
          total = (await Promise.all(keys.map(k => redis.get(k)))).reduce((sum, v) => sum + Number(v), 0);
        }
        expect(total).to.equal(1);
      } finally {
        await a.stop();
      }
    });

    it('keeps enforcing locally when Redis is unreachable', async function () {
      const unreachable = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      unreachable.on('error', () => undefined);
      try {
        const a = new SyncedWindowLimiter(unreachable, name, 3, 100);
        a.hit('ip', now);
        a.hit('ip', now);
        await a.sync(now);
        expect(a.hit('ip', now)).to.include({ allowed: true, remaining: 0 });
        expect(a.hit('ip', now).allowed).to.equal(false);
      } finally {
        unreachable.disconnect();
      }
    });
  });

  describe('ExactLimiter', function () {
    it('allows exactly one of 20 concurrent hits with limit 1', async function () {
      const limiter = new ExactLimiter(redis, name, 1);
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.hit('activation')));
      expect(decisions.filter(d => d.allowed)).to.have.lengthOf(1);
      expect(decisions.every(d => d.limit === 1 && d.remaining === 0)).to.equal(true);
      expect(await redis.get(`rl:${name}:activation`)).to.equal('20');
    });

    it('allows exactly `limit` of 20 concurrent hits across two replicas', async function () {
      const a = new ExactLimiter(redis, name, 5);
      const b = new ExactLimiter(redis, name, 5);
      const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit('activation')));
      expect(decisions.filter(d => d.allowed)).to.have.lengthOf(5);
    });

    it('counts remaining down and sets a one-minute expiry on the first hit', async function () {
      const limiter = new ExactLimiter(redis, name, 2);
      const first = await limiter.hit('k');
      expect(first).to.include({ allowed: true, limit: 2, remaining: 1 });
      expect(first.resetSeconds).to.be.within(59, 60);
      expect(await limiter.hit('k')).to.include({ allowed: true, remaining: 0 });
      expect(await limiter.hit('k')).to.include({ allowed: false, remaining: 0 });
      expect(await redis.pttl(`rl:${name}:k`)).to.be.within(1, MINUTE);
    });

    it('reports the time left in the window, not a fresh minute, on later hits', async function () {
      const limiter = new ExactLimiter(redis, name, 1);
      await limiter.hit('k');
      await redis.pexpire(`rl:${name}:k`, 12_000);
      const later = await limiter.hit('k');
      expect(later.allowed).to.equal(false);
      expect(later.resetSeconds).to.equal(12);
    });

    it('keeps different keys apart', async function () {
      const limiter = new ExactLimiter(redis, name, 1);
      expect((await limiter.hit('a')).allowed).to.equal(true);
      expect((await limiter.hit('b')).allowed).to.equal(true);
      expect((await limiter.hit('a')).allowed).to.equal(false);
    });
  });
});
