// The facts of issue 9, produced through the HTTP API with the gateway and the services on separate
// nodes over NATS, heard by a spy service on the gateway's node: each announced once per state change,
// with `event_id` and `at`; usage thresholds crossing once and re-arming; silent machines announced
// once per lapse; heartbeats counted, never announced one by one.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { Redis } from 'ioredis';
import { LicenseModel } from '../../models/license.model.ts';
import { announceExpiries } from '../../services/license/expiry.ts';
import { announceLapses } from '../../services/license/lapses.ts';
import type { LicenseThis } from '../../services/license/state.ts';
import { adminToken } from '../helpers/admin.ts';
import { FactSpy } from '../helpers/fact-spy.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface License {
  id: number;
  key: string;
  customer_id: number | null;
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

describe('facts (gateway and services on separate nodes over NATS)', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let services: ServiceBroker;
  let spy: FactSpy;
  let redis: Redis;
  let token: string;
  let customerId: number;

  function admin(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
  }

  async function createLicense(fields: Record<string, unknown>): Promise<License> {
    const res = await admin('POST', '/api/licenses', {
      customer_id: customerId,
      type: 'subscription',
      valid_until: '2099-12-31',
      max_users: 50,
      ...fields,
    });
    expect(res.status, res.text).to.equal(201);
    return res.body as License;
  }

  async function activate(license: License, hw = hardware()): Promise<{ id: number; hw: string }> {
    const res = await http('POST', `${system.url}/api/license/activate`, {
      headers: AUTH,
      body: { license_key: license.key, hardware_hash: hw },
    });
    expect(res.status, res.text).to.equal(200);
    return { id: res.body.activation.id, hw };
  }

  async function deactivate(license: License, deviceId: number): Promise<HttpAnswer> {
    const res = await admin('POST', `/api/license/${license.id}/deactivate-device/${deviceId}`);
    expect(res.status, res.text).to.equal(200);
    return res;
  }

  function verify(license: License, hw: string): Promise<HttpAnswer> {
    return http('POST', `${system.url}/api/license/verify`, {
      headers: AUTH,
      body: { license_key: license.key, hardware_hash: hw },
    });
  }

  function heartbeat(license: License, hw: string): Promise<HttpAnswer> {
    return http('POST', `${system.url}/api/license/heartbeat`, {
      headers: AUTH,
      body: { license_key: license.key, hardware_hash: hw },
    });
  }

  function licenseService(): LicenseThis {
    return services.getLocalService('license') as unknown as LicenseThis;
  }

  function thresholds(license: License, metric: 'activations' | 'users') {
    return spy.of('license.usage_threshold', f => f.license_id === license.id && f.metric === metric);
  }

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [['api'], ['auth', 'license', 'device', 'version', 'customer', 'monitoring']],
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        RATE_LIMIT_HEARTBEAT_PER_MINUTE: '100',
      },
    });
    services = system.brokers[1]!;
    spy = await FactSpy.attach(system.brokers[0]!);
    redis = new Redis(process.env.REDIS_URL!, { keyPrefix: system.redisKeyPrefix });
    token = await adminToken(system.url);
    const customer = await admin('POST', '/api/customers', { name: 'Facts Customer', email: 'facts@example.com' });
    expect(customer.status, customer.text).to.equal(201);
    customerId = customer.body.id;
  });

  after(async function () {
    redis?.disconnect();
    await system?.stop();
  });

  describe('license.activated and license.deactivated', function () {
    it('an activation announces license.activated and device.registered once, with event_id and at', async function () {
      const license = await createLicense({ max_activations: 5 });
      const before = Date.now();
      const device = await activate(license);
      const [fact] = await spy.wait('license.activated', f => f.activation_id === device.id);
      expect(fact).to.deep.include({ license_id: license.id, activation_id: device.id, customer_id: customerId });
      expect(fact!.event_id).to.match(UUID);
      expect(fact!.at).to.match(ISO);
      expect(Date.parse(fact!.at)).to.be.within(before, Date.now());
      await spy.wait('device.registered', f => f.activation_id === device.id);

      // Activating the same machine again changes nothing and announces nothing.
      await activate(license, device.hw);
      await spy.settle();
      expect(spy.of('license.activated', f => f.activation_id === device.id)).to.have.lengthOf(1);
      expect(spy.of('device.registered', f => f.activation_id === device.id)).to.have.lengthOf(1);
    });

    it('deactivating a device announces license.deactivated once with the customer; a second call announces nothing', async function () {
      const license = await createLicense({ max_activations: 5 });
      const device = await activate(license);
      const first = await deactivate(license, device.id);
      expect(first.body).to.deep.equal({ success: true, message: 'Device deactivated successfully' });
      const [fact] = await spy.wait('license.deactivated', f => f.activation_id === device.id);
      expect(fact).to.deep.include({ license_id: license.id, activation_id: device.id, customer_id: customerId });
      expect(fact!.event_id).to.match(UUID);

      const second = await deactivate(license, device.id);
      expect(second.body).to.deep.equal({ success: true, message: 'Device was already deactivated' });
      await spy.settle();
      expect(spy.of('license.deactivated', f => f.activation_id === device.id)).to.have.lengthOf(1);
      expect(spy.of('device.deactivated', f => f.activation_id === device.id)).to.have.lengthOf(1);
    });
  });

  describe('license.usage_threshold', function () {
    it('seats: 80% and 100% of max_activations fire once each, re-arm below and fire again', async function () {
      const license = await createLicense({ max_activations: 5 });
      const devices = [];
      for (let i = 0; i < 3; i += 1) devices.push(await activate(license));
      await spy.settle();
      expect(thresholds(license, 'activations')).to.deep.equal([]);

      devices.push(await activate(license)); // 4 of 5: 80%
      const [at80] = await spy.wait('license.usage_threshold', f => f.license_id === license.id);
      expect(at80).to.deep.include({
        license_id: license.id,
        customer_id: customerId,
        metric: 'activations',
        threshold: 80,
        used: 4,
        limit: 5,
      });
      expect(at80!.event_id).to.match(UUID);

      devices.push(await activate(license)); // 5 of 5: 100%
      await spy.wait('license.usage_threshold', f => f.license_id === license.id && f.threshold === 100);
      expect(thresholds(license, 'activations').map(f => [f.threshold, f.used])).to.deep.equal([
        [80, 4],
        [100, 5],
      ]);

      // Back to 4 of 5: no fact, but 100% is re-armed; 80% still holds, so it is not.
      await deactivate(license, devices[0]!.id);
      await spy.settle();
      expect(thresholds(license, 'activations')).to.have.lengthOf(2);
      await activate(license);
      await spy.wait('license.usage_threshold', f => f.license_id === license.id, 3);
      await spy.settle();
      expect(thresholds(license, 'activations').map(f => f.threshold)).to.deep.equal([80, 100, 100]);
      expect((await LicenseModel.findById(license.id).lean())!.activation_level).to.equal(100);
    });

    it('a jump past both levels announces 80 then 100', async function () {
      const license = await createLicense({ max_activations: 1 });
      await activate(license);
      await spy.wait('license.usage_threshold', f => f.license_id === license.id, 2);
      expect(thresholds(license, 'activations').map(f => [f.threshold, f.used, f.limit])).to.deep.equal([
        [80, 1, 1],
        [100, 1, 1],
      ]);
    });

    it('a quick edit of max_activations crosses or re-arms the level', async function () {
      const license = await createLicense({ max_activations: 10 });
      for (let i = 0; i < 4; i += 1) await activate(license);
      await spy.settle();
      expect(thresholds(license, 'activations')).to.deep.equal([]);

      // 4 of 4 after the cut: both levels reached at once.
      expect((await admin('POST', `/api/license/${license.id}/quick-edit`, { max_activations: 4 })).status).to.equal(
        200,
      );
      await spy.wait('license.usage_threshold', f => f.license_id === license.id, 2);
      expect(thresholds(license, 'activations').map(f => [f.threshold, f.used, f.limit])).to.deep.equal([
        [80, 4, 4],
        [100, 4, 4],
      ]);

      // 4 of 20: below both, re-armed without a fact.
      expect((await admin('POST', `/api/license/${license.id}/quick-edit`, { max_activations: 20 })).status).to.equal(
        200,
      );
      await spy.settle();
      expect(thresholds(license, 'activations')).to.have.lengthOf(2);
      expect((await LicenseModel.findById(license.id).lean())!.activation_level).to.equal(0);
    });

    it('sessions: 80% and 100% of max_users fire once each from verifies, re-arm when a session ends', async function () {
      const license = await createLicense({ max_activations: 10, max_users: 5 });
      const devices = [];
      for (let i = 0; i < 6; i += 1) devices.push(await activate(license));
      for (let i = 0; i < 3; i += 1) expect((await verify(license, devices[i]!.hw)).body.valid).to.equal(true);
      await spy.settle();
      expect(thresholds(license, 'users')).to.deep.equal([]);

      expect((await verify(license, devices[3]!.hw)).body.valid).to.equal(true); // 4 of 5 sessions
      await spy.wait('license.usage_threshold', f => f.license_id === license.id && f.metric === 'users');
      expect((await verify(license, devices[4]!.hw)).body.valid).to.equal(true); // 5 of 5
      await spy.wait('license.usage_threshold', f => f.license_id === license.id && f.metric === 'users', 2);
      expect((await verify(license, devices[5]!.hw)).body.code).to.equal('TOO_MANY_USERS');
      await spy.settle();
      expect(thresholds(license, 'users').map(f => [f.threshold, f.used, f.limit])).to.deep.equal([
        [80, 4, 5],
        [100, 5, 5],
      ]);
      expect(thresholds(license, 'users')[0]!.customer_id).to.equal(customerId);

      // A device deactivated ends its session; the next admission sees 4 of 5 and re-arms 100%.
      await deactivate(license, devices[0]!.id);
      expect((await heartbeat(license, devices[1]!.hw)).status).to.equal(200);
      expect((await verify(license, devices[5]!.hw)).body.valid).to.equal(true); // 5 of 5 again
      await spy.wait('license.usage_threshold', f => f.license_id === license.id && f.metric === 'users', 3);
      await spy.settle();
      expect(thresholds(license, 'users').map(f => f.threshold)).to.deep.equal([80, 100, 100]);
    });
  });

  describe('device.heartbeat.dead', function () {
    /** Time passes for one session: its last sign of life moves back past the timeout. */
    async function silence(license: License, activationId: number, ago = 10 * 60_000): Promise<number> {
      const at = Date.now() - ago;
      expect(await redis.zadd('sessions:all', 'XX', 'CH', at, `${license.id}:${activationId}`)).to.equal(1);
      return at;
    }

    it('fires once per lapse, however many sweeps run, and again when the machine comes back and lapses again', async function () {
      const license = await createLicense({ max_activations: 5 });
      const device = await activate(license);
      expect((await heartbeat(license, device.hw)).status).to.equal(200);
      const silentSince = await silence(license, device.id);

      const swept = await Promise.all([announceLapses(licenseService()), announceLapses(licenseService())]);
      expect(swept.reduce((a, b) => a + b, 0)).to.equal(1);
      const [dead] = await spy.wait('device.heartbeat.dead', f => f.activation_id === device.id);
      expect(dead).to.deep.include({
        license_id: license.id,
        activation_id: device.id,
        customer_id: customerId,
        last_heartbeat: new Date(silentSince).toISOString(),
      });
      expect(dead!.event_id).to.match(UUID);
      expect(await announceLapses(licenseService())).to.equal(0);

      // The machine comes back (a heartbeat opens its session again), then falls silent again.
      expect((await heartbeat(license, device.hw)).status).to.equal(200);
      await silence(license, device.id);
      expect(await announceLapses(licenseService())).to.equal(1);
      await spy.wait('device.heartbeat.dead', f => f.activation_id === device.id, 2);
      await spy.settle();
      expect(spy.of('device.heartbeat.dead', f => f.activation_id === device.id)).to.have.lengthOf(2);
    });

    it('counts live sessions without taking the lapsed ones out: the sweep does, and announces them', async function () {
      const license = await createLicense({ max_activations: 5 });
      const device = await activate(license);
      expect((await heartbeat(license, device.hw)).status).to.equal(200);
      const live = (await admin('GET', '/api/sessions/active-count')).body.count as number;
      await silence(license, device.id);
      expect((await admin('GET', '/api/sessions/active-count')).body.count).to.equal(live - 1);
      // Still there for the sweep to find and announce.
      expect(await redis.zscore('sessions:all', `${license.id}:${device.id}`)).to.not.equal(null);
      expect(await announceLapses(licenseService())).to.equal(1);
      await spy.wait('device.heartbeat.dead', f => f.activation_id === device.id);
    });

    it('a deactivated device ends its session without a dead fact', async function () {
      const license = await createLicense({ max_activations: 5 });
      const device = await activate(license);
      expect((await heartbeat(license, device.hw)).status).to.equal(200);
      await deactivate(license, device.id);
      expect(await redis.zscore('sessions:all', `${license.id}:${device.id}`)).to.equal(null);
      expect(await announceLapses(licenseService())).to.equal(0);
      await spy.settle();
      expect(spy.of('device.heartbeat.dead', f => f.activation_id === device.id)).to.deep.equal([]);
    });
  });

  describe('heartbeats', function () {
    it('are counted per minute in Redis and never announced one by one', async function () {
      const license = await createLicense({ max_activations: 5 });
      const device = await activate(license);
      await spy.settle();
      spy.clear();
      const minute = Math.floor(Date.now() / 60_000);
      const before = Number((await redis.get(`heartbeats:minute:${minute}`)) ?? 0);
      for (let i = 0; i < 3; i += 1) expect((await heartbeat(license, device.hw)).status).to.equal(200);
      await spy.settle();
      expect(spy.heard.map(h => h.name)).to.deep.equal([]);
      // The three may straddle a minute boundary: count both minutes.
      const after =
        Number((await redis.get(`heartbeats:minute:${minute}`)) ?? 0) +
        Number((await redis.get(`heartbeats:minute:${minute + 1}`)) ?? 0);
      expect(after - before).to.equal(3);
      // A minute later, this minute's count is the figure of the last complete minute.
      const counted = Number((await redis.get(`heartbeats:minute:${minute}`)) ?? 0);
      expect(await licenseService().sessions.heartbeatsLastMinute((minute + 1) * 60_000)).to.equal(counted);
    });
  });

  describe('license.expired', function () {
    it('fires once with the customer when the validity has passed', async function () {
      const license = await createLicense({ max_activations: 2, valid_from: '2020-01-01' });
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      await LicenseModel.updateOne({ _id: license.id }, { $set: { valid_until: new Date(`${yesterday}T00:00:00Z`) } });
      await Promise.all([announceExpiries(licenseService()), announceExpiries(licenseService())]);
      const [fact] = await spy.wait('license.expired', f => f.license_id === license.id);
      expect(fact).to.deep.include({ license_id: license.id, customer_id: customerId, valid_until: yesterday });
      await spy.settle();
      expect(spy.of('license.expired', f => f.license_id === license.id)).to.have.lengthOf(1);
    });
  });
});
