// What the dashboard reads besides live stats: monitoring.series (activations counted from
// license.activated facts, verifications counted in memory by the license service and added to Redis
// in one pipelined flush), and the license list's filters for licenses near their limits or expiring.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { ServiceBroker } from 'moleculer';
import { HOUR_MS, SERIES_TTL_SECONDS, hourOf } from '../../lib/observability/hourly-series.ts';
import type { SeriesAnswer } from '../../services/monitoring/contract.ts';
import type { LicenseThis } from '../../services/license/state.ts';
import {
  activate,
  api,
  createLicense,
  dayFromToday,
  eventually,
  opsFixture,
  verify,
  type OpsFixture,
} from './admin-panel-ops.helpers.ts';

describe('Admin Panel data: monitoring.series and the license list filters', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let broker: ServiceBroker;
  let redis: Redis;

  const series = () => broker.call<SeriesAnswer, object>('monitoring.series', {});
  const license = () => broker.getLocalService('license') as unknown as LicenseThis;

  before(async function () {
    f = await opsFixture('series.viewer', { LIVE_STATS_CACHE_MS: '0' });
    broker = f.system.brokers[0]!;
    redis = new Redis(process.env.REDIS_URL!, { keyPrefix: f.system.redisKeyPrefix });
  });

  after(async function () {
    redis?.disconnect();
    await f?.stop();
  });

  describe('monitoring.series', function () {
    it('answers 24 hourly points ending with the current hour and 30 daily points ending today', async function () {
      const answer = await series();
      expect(answer.hourly).to.have.lengthOf(24);
      expect(answer.daily).to.have.lengthOf(30);
      const hour = new Date(hourOf(Date.now()) * HOUR_MS).toISOString();
      expect(answer.hourly.at(-1)!.start).to.equal(hour);
      expect(answer.hourly[0]!.start).to.equal(new Date((hourOf(Date.now()) - 23) * HOUR_MS).toISOString());
      expect(answer.daily.at(-1)!.start).to.equal(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
      expect(answer.daily[0]!.start.slice(0, 10)).to.equal(dayFromToday(-29));
      for (const p of [...answer.hourly, ...answer.daily])
        expect(p).to.have.all.keys('start', 'activations', 'verifications');
    });

    it('counts each new activation in its hour and day, from the license.activated facts', async function () {
      const before = await series();
      const { key } = await createLicense(f);
      for (const hw of ['series-a', 'series-b']) expect((await activate(f, key, hw)).status).to.equal(200);
      // Activating the same machine again claims no seat and announces nothing: not counted.
      expect((await activate(f, key, 'series-a')).status).to.equal(200);
      await eventually(async () => {
        const after = await series();
        expect(after.hourly.at(-1)!.activations).to.equal(before.hourly.at(-1)!.activations + 2);
        expect(after.daily.at(-1)!.activations).to.equal(before.daily.at(-1)!.activations + 2);
      });
      const stored = `series:activations:${hourOf(Date.now())}`;
      expect(Number(await redis.get(stored))).to.be.at.least(2);
      const ttl = await redis.ttl(stored);
      expect(ttl)
        .to.be.above(SERIES_TTL_SECONDS - 60)
        .and.at.most(SERIES_TTL_SECONDS);
      expect(SERIES_TTL_SECONDS).to.be.above(30 * 86_400);
    });

    it('counts verifications in memory and adds them to the current hour in one flush', async function () {
      const { key } = await createLicense(f);
      expect((await activate(f, key, 'series-verify')).status).to.equal(200);
      // No timed flush in the middle of this test: stop() flushes what is pending and stops the timer.
      await license().verifySeries.stop();
      const stored = `series:verifications:${hourOf(Date.now())}`;
      const before = Number((await redis.get(stored)) ?? 0);
      for (let i = 0; i < 3; i += 1) expect((await verify(f, key, 'series-verify')).body.valid).to.equal(true);
      // Nothing reached Redis on the verify path itself...
      expect(Number((await redis.get(stored)) ?? 0)).to.equal(before);
      // ...until the flush adds the count in one pipeline.
      expect(await license().verifySeries.flush()).to.equal(3);
      expect(Number(await redis.get(stored))).to.equal(before + 3);
      expect(await redis.ttl(stored)).to.be.above(SERIES_TTL_SECONDS - 60);
      const answer = await series();
      expect(answer.hourly.at(-1)!.verifications).to.equal(before + 3);
      expect(answer.daily.at(-1)!.verifications).to.be.at.least(before + 3);
      license().verifySeries.start();
    });

    it('counts refused verifications too (every answer of the verify route)', async function () {
      await license().verifySeries.stop();
      const stored = `series:verifications:${hourOf(Date.now())}`;
      const before = Number((await redis.get(stored)) ?? 0);
      const res = await verify(f, 'NONE-XIST-ENTL-ICNS', 'series-unknown');
      expect(res.body.valid).to.equal(false);
      expect(await license().verifySeries.flush()).to.equal(1);
      expect(Number(await redis.get(stored))).to.equal(before + 1);
      license().verifySeries.start();
    });

    it('puts older hours into their own day of the 30-day chart', async function () {
      const twoDaysAgo = hourOf(Date.now()) - 48;
      await redis.set(`series:activations:${twoDaysAgo}`, '7', 'EX', 600);
      const answer = await series();
      const day = new Date(twoDaysAgo * HOUR_MS).toISOString().slice(0, 10);
      expect(answer.daily.find(p => p.start.startsWith(day))!.activations).to.be.at.least(7);
      expect(answer.hourly.every(p => p.start !== new Date(twoDaysAgo * HOUR_MS).toISOString())).to.equal(true);
    });
  });

  describe('GET /api/licenses?expires_within_days=', function () {
    it('lists the licenses valid until today or within the days given, not the expired nor the later ones', async function () {
      const soon = await createLicense(f, { valid_until: dayFromToday(10), notes: 'expiring' });
      const today = await createLicense(f, { valid_until: dayFromToday(0), notes: 'expiring' });
      await createLicense(f, { valid_until: dayFromToday(45), notes: 'expiring' });
      await createLicense(f, { valid_from: dayFromToday(-10), valid_until: dayFromToday(-1), notes: 'expiring' });
      await createLicense(f, { valid_until: null, type: 'perpetual', notes: 'expiring' });
      const res = await api(f, 'GET', '/api/licenses?expires_within_days=30&sort=valid_until&order=asc&limit=100');
      expect(res.status, res.text).to.equal(200);
      const ids = res.body.licenses.map((l: { id: number }) => l.id);
      expect(ids).to.deep.equal([today.id, soon.id]);
      const combined = await api(f, 'GET', '/api/licenses?expires_within_days=30&status=expired');
      expect(combined.body.licenses).to.deep.equal([]);
    });

    it('refuses a number of days that is not a whole number from 0 to 3660', async function () {
      for (const bad of ['-1', '3661', 'soon']) {
        const res = await api(f, 'GET', `/api/licenses?expires_within_days=${bad}`);
        expect(res.status, bad).to.equal(400);
        expect(res.body.error.details.field).to.equal('expires_within_days');
      }
    });
  });

  describe('GET /api/licenses?min_usage_level=', function () {
    it('lists the licenses using at least 80% or 100% of their seats', async function () {
      const four = await createLicense(f, { max_activations: 5 });
      for (const hw of ['u1', 'u2', 'u3', 'u4']) await activate(f, four.key, `${four.id}-${hw}`);
      const full = await createLicense(f, { max_activations: 2 });
      for (const hw of ['u1', 'u2']) await activate(f, full.key, `${full.id}-${hw}`);
      const low = await createLicense(f, { max_activations: 5 });
      await activate(f, low.key, `${low.id}-u1`);
      const ids = async (level: number) =>
        (await api(f, 'GET', `/api/licenses?min_usage_level=${level}&limit=100`)).body.licenses.map(
          (l: { id: number }) => l.id,
        );
      expect(await ids(80))
        .to.include.members([four.id, full.id])
        .and.not.include(low.id);
      expect(await ids(100))
        .to.include(full.id)
        .and.not.include.members([four.id, low.id]);
    });

    it('refuses a level other than 80 or 100', async function () {
      const res = await api(f, 'GET', '/api/licenses?min_usage_level=50');
      expect(res.status).to.equal(400);
      expect(res.body.error.details).to.include({ field: 'min_usage_level' });
    });
  });
});
