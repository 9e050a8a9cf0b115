// When valid_until passes, the license stops verifying and `license.expired` fires exactly once, however
// many replicas run the expiry job (the flag flips with one conditional update).
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Context, ServiceBroker } from 'moleculer';
import { LicenseModel } from '../../models/license.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { eventually } from '../helpers/expect-error.ts';

import { announceExpiries } from '../../services/license/expiry.ts';
import type { LicenseThis } from '../../services/license/state.ts';

describe('license expiry', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  const expired: Array<{ license_id: number; valid_until: string }> = [];

  /** One run of the expiry job's task on this node's license service; answers how many it announced. */
  function runExpiryJob(now = Date.now()): Promise<number> {
    return announceExpiries(broker.getLocalService('license') as unknown as LicenseThis, now);
  }

  /** A license created through the API, its end date then set straight in the database (a past one). */
  async function licenseEndedOn(validUntil: Date): Promise<number> {
    const license = await broker.call<{ id: number }, Record<string, unknown>>('license.create', {
      type: 'subscription',
      max_activations: 1,
      max_users: 1,
      valid_from: '2020-01-01',
      valid_until: '2099-12-31',
    });
    await LicenseModel.updateOne({ _id: license.id }, { $set: { valid_until: validUntil } });
    return license.id;
  }

  async function expectNotAnnounced(id: number): Promise<void> {
    expect((await LicenseModel.findById(id).lean())!.expired_notified).to.equal(false);
    expect(expired.find(e => e.license_id === id)).to.equal(undefined);
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    broker.createService({
      name: 'expirySpy',
      events: {
        'license.expired'(ctx: Context<{ license_id: number; valid_until: string }>) {
          expired.push(ctx.params);
        },
      },
    });
    await broker.waitForServices(['expirySpy'], 5000);
  });

  after(async function () {
    await system?.stop();
  });

  it('fires license.expired once for a license whose last valid day has passed, and verify answers EXPIRED', async function () {
    const license = await broker.call<{ id: number; key: string }, Record<string, unknown>>('license.create', {
      type: 'subscription',
      max_activations: 2,
      max_users: 2,
      valid_from: '2020-01-01',
      valid_until: '2099-12-31',
    });
    const hw = `hw-${randomBytes(6).toString('hex')}`;
    const headers = { 'x-api-key': TEST_API_KEY };
    expect(
      (
        await http('POST', `${system.url}/api/license/activate`, {
          headers,
          body: { license_key: license.key, hardware_hash: hw },
        })
      ).status,
    ).to.equal(200);

    // Time passes: its last valid day was yesterday.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await LicenseModel.updateOne({ _id: license.id }, { $set: { valid_until: new Date(`${yesterday}T00:00:00Z`) } });

    // Two runs of the job (two replicas, or two ticks): one notification.
    const fired = (await Promise.all([runExpiryJob(), runExpiryJob()])).reduce((a, b) => a + b, 0);
    expect(fired).to.equal(1);
    expect(await runExpiryJob()).to.equal(0);
    const event = await eventually(() => expired.find(e => e.license_id === license.id), 'license.expired');
    expect(event.valid_until).to.equal(yesterday);
    expect(expired.filter(e => e.license_id === license.id)).to.have.length(1);
    expect((await LicenseModel.findById(license.id).lean())!.expired_notified).to.equal(true);

    // The job dropped the verify views: the very next verify says EXPIRED.
    const res = await http('POST', `${system.url}/api/license/verify`, {
      headers,
      body: { license_key: license.key, hardware_hash: hw },
    });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ valid: false, code: 'EXPIRED' });
  });

  it('leaves a license valid through its last day alone', async function () {
    const today = new Date().toISOString().slice(0, 10);
    const license = await broker.call<{ id: number }, Record<string, unknown>>('license.create', {
      type: 'trial',
      max_activations: 1,
      max_users: 1,
      valid_from: '2020-01-01',
      valid_until: today,
    });
    await runExpiryJob();
    expect((await LicenseModel.findById(license.id).lean())!.expired_notified).to.equal(false);
  });

  it("announces an end date more than a week past in the run of an hour's first minute", async function () {
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const id = await licenseEndedOn(new Date(`${monthAgo}T00:00:00Z`));
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;

    // Minute 5 of the hour: the last week's end days only.
    await runExpiryJob(hour + 5 * 60_000 + 1000);
    await expectNotAnnounced(id);

    // The hour's first minute: the last year's end days.
    expect(await runExpiryJob(hour + 1000)).to.be.at.least(1);
    const event = await eventually(() => expired.find(e => e.license_id === id), 'license.expired');
    expect(event.valid_until).to.equal(monthAgo);
  });

  it("announces an end date more than a year past, not at a midnight, in the run of the day's first minute only", async function () {
    // Written by hand, as the API never writes it: two years ago, in the afternoon.
    const endedAt = new Date(Date.now() - 730 * 86_400_000);
    endedAt.setUTCHours(13, 37, 0, 0);
    const id = await licenseEndedOn(endedAt);
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;

    // The first minute of 05:00: the last year's end days, looked up as midnights.
    await runExpiryJob(day + 5 * 3_600_000 + 1000);
    await expectNotAnnounced(id);

    // The day's first minute: every end date that has passed.
    expect(await runExpiryJob(day + 1000)).to.be.at.least(1);
    const event = await eventually(() => expired.find(e => e.license_id === id), 'license.expired');
    expect(event.valid_until).to.equal(endedAt.toISOString().slice(0, 10));
    expect((await LicenseModel.findById(id).lean())!.expired_notified).to.equal(true);
  });
});
