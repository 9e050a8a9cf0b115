// Heartbeats through the gateway against a real system (one process): both ways to name the
// activation, the 1/min/activation limit in Redis, the way to the activation record (Redis first, then
// the flush) and the sessions they keep open.
import { randomBytes } from 'node:crypto';
import { dropLicenseViews } from '../../mixins/view-invalidation.mixin.ts';
import { expect } from 'chai';
import mongoose from 'mongoose';
import type { ServiceBroker } from 'moleculer';
import { ActivationModel } from '../../models/activation.model.ts';
import type { JobVars } from '../../mixins/repeating-job.mixin.ts';
import { HEARTBEAT_FLUSH_JOB } from '../../services/device/heartbeat-buffer.ts';
import { LicenseModel } from '../../models/license.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface License {
  id: number;
  key: string;
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

describe('POST /api/license/heartbeat', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let broker: ServiceBroker;

  async function createLicense(overrides: Record<string, unknown> = {}): Promise<License> {
    return broker.call('license.create', {
      type: 'subscription',
      max_activations: 5,
      max_users: 5,
      valid_until: '2099-12-31',
      ...overrides,
    });
  }

  async function activate(license: License, hw = hardware()): Promise<{ id: number; hw: string }> {
    const res = await http('POST', `${system.url}/api/license/activate`, {
      body: { license_key: license.key, hardware_hash: hw },
      headers: AUTH,
    });
    expect(res.status, res.text).to.equal(200);
    return { id: res.body.activation.id, hw };
  }

  function heartbeat(body: Record<string, unknown>): Promise<HttpAnswer> {
    return http('POST', `${system.url}/api/license/heartbeat`, { body, headers: AUTH });
  }

  function verify(body: Record<string, unknown>): Promise<HttpAnswer> {
    return http('POST', `${system.url}/api/license/verify`, { body, headers: AUTH });
  }

  async function liveSessions(): Promise<number> {
    return (await broker.call<{ count: number }, Record<string, never>>('license.activeSessions', {})).count;
  }

  /** Runs the device service's heartbeat flush job once, now, in this process. */
  function flushHeartbeats(): Promise<void> {
    const device = broker.getLocalService('device') as unknown as JobVars;
    return device.jobs[HEARTBEAT_FLUSH_JOB]!.runNow();
  }

  function expectRecorded(res: HttpAnswer, activationId: number, before: number): void {
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({
      success: true,
      valid: true,
      code: 'VALID',
      activation_id: activationId,
      next_heartbeat_seconds: 60,
    });
    expect(res.body.message).to.be.a('string').and.not.empty;
    expect(res.body).to.include.keys('update_available', 'latest_version');
    expect(res.body.last_heartbeat).to.match(ISO_TIMESTAMP);
    expect(Date.parse(res.body.last_heartbeat)).to.be.within(before, Date.now());
  }

  before(async function () {
    await resetStores();
    // The heartbeat limit stays at its default (1/min per activation); only the per-IP limit is lifted.
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
  });

  after(async function () {
    await system?.stop();
  });

  it('records a heartbeat named by license key and hardware hash', async function () {
    const license = await createLicense();
    const device = await activate(license);
    const before = Date.now();
    expectRecorded(
      await heartbeat({ license_key: license.key, hardware_hash: device.hw, app_version: '1.0.0' }),
      device.id,
      before,
    );
  });

  it('records a heartbeat named by license key and activation id', async function () {
    const license = await createLicense();
    const device = await activate(license);
    const before = Date.now();
    expectRecorded(await heartbeat({ license_key: license.key, activation_id: device.id }), device.id, before);
  });

  it('a second heartbeat within the minute for the same activation gets 429 with Retry-After and the limit headers', async function () {
    const license = await createLicense();
    const device = await activate(license);
    const first = await heartbeat({ license_key: license.key, hardware_hash: device.hw });
    expect(first.status, first.text).to.equal(200);
    expect(first.headers.get('x-ratelimit-limit')).to.equal('1');
    expect(first.headers.get('x-ratelimit-remaining')).to.equal('0');

    const second = await heartbeat({ license_key: license.key, hardware_hash: device.hw });
    const error = expectError(second, 429, 'RATE_LIMIT_EXCEEDED');
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    expect(error.details).to.deep.equal({ retry_after: retryAfter });
    expect(second.headers.get('x-ratelimit-limit')).to.equal('1');
    expect(second.headers.get('x-ratelimit-remaining')).to.equal('0');
    expect(Number(second.headers.get('x-ratelimit-reset'))).to.be.within(1, 60);

    // The limit is per activation: another machine of the same license is not held back.
    const other = await activate(license);
    expect((await heartbeat({ license_key: license.key, hardware_hash: other.hw })).status).to.equal(200);
  });

  it('answers the update fields as verify does, whatever the heartbeat decided', async function () {
    const license = await createLicense({ max_users: 1 });
    const a = await activate(license);
    const b = await activate(license);
    // The seeded release is 1.1.0.
    const old = await heartbeat({ license_key: license.key, hardware_hash: a.hw, app_version: '1.0.0' });
    expect(old.body).to.include({ code: 'VALID', update_available: true, latest_version: '1.1.0' });
    const refused = await heartbeat({ license_key: license.key, hardware_hash: b.hw, app_version: '1.1.0' });
    expect(refused.body).to.include({ code: 'TOO_MANY_USERS', update_available: false, latest_version: '1.1.0' });
    const unknown = await heartbeat({ license_key: license.key, hardware_hash: hardware(), app_version: '1.0.0' });
    expect(unknown.body).to.include({ code: 'NOT_ACTIVATED', update_available: true, latest_version: '1.1.0' });
  });

  it('the limit holds per activation whichever way the heartbeat names it', async function () {
    const license = await createLicense();
    const device = await activate(license);
    expect((await heartbeat({ license_key: license.key, hardware_hash: device.hw })).status).to.equal(200);
    expectError(await heartbeat({ license_key: license.key, activation_id: device.id }), 429, 'RATE_LIMIT_EXCEEDED');
  });

  it('a heartbeat from a machine that is not activated is not valid: NOT_ACTIVATED, nothing recorded', async function () {
    const license = await createLicense();
    await activate(license);
    const res = await heartbeat({ license_key: license.key, hardware_hash: hardware() });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({
      success: false,
      valid: false,
      code: 'NOT_ACTIVATED',
      activation_id: null,
      last_heartbeat: null,
    });
  });

  it('an activation id of another license is NOT_ACTIVATED', async function () {
    const mine = await createLicense();
    await activate(mine);
    const other = await activate(await createLicense());
    const res = await heartbeat({ license_key: mine.key, activation_id: other.id });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({ valid: false, code: 'NOT_ACTIVATED', last_heartbeat: null });
  });

  it('a heartbeat of a license deactivated since is INACTIVE', async function () {
    const license = await createLicense();
    const device = await activate(license);
    await LicenseModel.updateOne({ _id: license.id }, { $set: { is_active: false } });
    await dropLicenseViews(broker, { keys: [license.key] });
    const res = await heartbeat({ license_key: license.key, hardware_hash: device.hw });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({ valid: false, code: 'INACTIVE', last_heartbeat: null });
  });

  it('reaches the activation record when the device service flushes, and shows in the license info at once', async function () {
    const license = await createLicense();
    const device = await activate(license);
    const res = await heartbeat({ license_key: license.key, hardware_hash: device.hw });
    expect(res.status, res.text).to.equal(200);
    const at: string = res.body.last_heartbeat;

    // The info merges a heartbeat that is still pending in Redis.
    const pendingInfo = await http('GET', `${system.url}/api/license/info/${license.key}`, { headers: AUTH });
    expect(pendingInfo.status, pendingInfo.text).to.equal(200);
    expect(pendingInfo.body.activations.find((a: { id: number }) => a.id === device.id).last_heartbeat).to.equal(at);

    // The repeating flush job may have run already; either way the record has it after this flush.
    await flushHeartbeats();
    expect((await ActivationModel.findById(device.id).lean())!.last_heartbeat!.toISOString()).to.equal(at);
    const info = await http('GET', `${system.url}/api/license/info/${license.key}`, { headers: AUTH });
    expect(info.body.activations.find((a: { id: number }) => a.id === device.id).last_heartbeat).to.equal(at);
  });

  describe('sessions', function () {
    it('heartbeats and verifies open one session per running activation', async function () {
      const start = await liveSessions();
      const license = await createLicense({ max_users: 3 });
      const a = await activate(license);
      const b = await activate(license);
      expect((await heartbeat({ license_key: license.key, hardware_hash: a.hw })).status).to.equal(200);
      expect(await liveSessions()).to.equal(start + 1);
      expect((await verify({ license_key: license.key, hardware_hash: b.hw })).body.code).to.equal('VALID');
      expect(await liveSessions()).to.equal(start + 2);
      // The same instance verifying again holds the same session.
      expect((await verify({ license_key: license.key, hardware_hash: a.hw })).body.code).to.equal('VALID');
      expect(await liveSessions()).to.equal(start + 2);
    });

    it('a heartbeat beyond max_users is TOO_MANY_USERS and opens no session', async function () {
      const license = await createLicense({ max_users: 1 });
      const a = await activate(license);
      const b = await activate(license);
      expect((await heartbeat({ license_key: license.key, hardware_hash: a.hw })).body.code).to.equal('VALID');
      const count = await liveSessions();
      const res = await heartbeat({ license_key: license.key, hardware_hash: b.hw });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ valid: false, code: 'TOO_MANY_USERS', last_heartbeat: null });
      expect(await liveSessions()).to.equal(count);
    });

    it('deactivating a device ends its session: its seat goes to another machine at once', async function () {
      const license = await createLicense({ max_users: 1 });
      const a = await activate(license);
      expect((await heartbeat({ license_key: license.key, hardware_hash: a.hw })).body.code).to.equal('VALID');
      const count = await liveSessions();
      await broker.call('device.deactivate', { license_id: license.id, device_id: a.id });
      const b = await activate(license);
      expect((await verify({ license_key: license.key, hardware_hash: b.hw })).body.code).to.equal('VALID');
      // A's session is gone, B's is open.
      expect(await liveSessions()).to.equal(count);
    });
  });
});

describe('heartbeats still pending when the device service stops', function () {
  this.timeout(20_000);

  it('reach the activation record through the last flush on stop', async function () {
    await resetStores();
    const system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    let activationId: number;
    let at: string;
    try {
      const license = await system.brokers[0]!.call<License, Record<string, unknown>>('license.create', {
        type: 'subscription',
        max_activations: 5,
        max_users: 5,
        valid_until: '2099-12-31',
      });
      const hw = hardware();
      const activated = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hw },
        headers: AUTH,
      });
      expect(activated.status, activated.text).to.equal(200);
      activationId = activated.body.activation.id;
      const res = await http('POST', `${system.url}/api/license/heartbeat`, {
        body: { license_key: license.key, hardware_hash: hw },
        headers: AUTH,
      });
      expect(res.status, res.text).to.equal(200);
      at = res.body.last_heartbeat;
    } finally {
      await system.stop();
    }

    // The repeating flush may have run already; either way the record has it once the system stopped.
    // (Read through a connection of its own: stopping the system closed the shared one.)
    const db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    try {
      const stored = await db
        .collection<{ _id: number; last_heartbeat: Date | null }>('activations')
        .findOne({ _id: activationId });
      expect(stored?.last_heartbeat?.toISOString()).to.equal(at);
    } finally {
      await db.close();
    }
  });
});
