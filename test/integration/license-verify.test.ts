// Verify through the gateway against real systems: the answer's shape, every reason code (always 200,
// valid false), the update fields, and that a change announced by an event is seen by the very next
// verify, in one process and across two gateway nodes connected by NATS (the verify path caches).
import { randomBytes } from 'node:crypto';
import { dropLicenseViews } from '../../mixins/view-invalidation.mixin.ts';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import type { ServiceName } from '../../config/index.ts';
import { CustomerModel } from '../../models/customer.model.ts';
import { LicenseModel } from '../../models/license.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ENV = { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' };

interface License {
  id: number;
  key: string;
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

function verifyAt(url: string, body: Record<string, unknown>): Promise<HttpAnswer> {
  return http('POST', `${url}/api/license/verify`, { body, headers: AUTH });
}

/** A well-formed verify that is not valid: 200, valid false, the reason code and its message. */
function expectInvalid(res: HttpAnswer, code: string): void {
  expect(res.status, res.text).to.equal(200);
  expect(res.body.valid, res.text).to.equal(false);
  expect(res.body.code).to.equal(code);
  expect(res.body.message).to.be.a('string').and.not.empty;
}

function expectValid(res: HttpAnswer): void {
  expect(res.status, res.text).to.equal(200);
  expect(res.body, res.text).to.include({ valid: true, code: 'VALID' });
}

function licenseFactory(broker: () => ServiceBroker) {
  return (overrides: Record<string, unknown> = {}): Promise<License> =>
    broker().call('license.create', {
      type: 'subscription',
      max_activations: 5,
      max_users: 2,
      valid_until: '2099-12-31',
      ...overrides,
    });
}

/**
 * startSystem's wait is satisfied by each node's own services, so nodes may not have discovered each
 * other yet: a broadcast then misses a node. Wait until every node knows every other.
 */
/** An admin's edit: the database changes, then the admin API's broadcast (every replica hears it). */
async function adminEdit(broker: ServiceBroker, license: License, set: Record<string, unknown>): Promise<void> {
  await LicenseModel.updateOne({ _id: license.id }, { $set: { ...set, updated_at: new Date() } });
  await dropLicenseViews(broker, { keys: [license.key] });
}

describe('POST /api/license/verify', function () {
  this.timeout(20_000);

  describe('answers (one process)', function () {
    let system: TestSystem;
    let broker: ServiceBroker;
    const createLicense = licenseFactory(() => broker);

    function verify(body: Record<string, unknown>): Promise<HttpAnswer> {
      return verifyAt(system.url, body);
    }

    async function activate(license: License, hw = hardware()): Promise<{ id: number; hw: string }> {
      const res = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hw },
        headers: AUTH,
      });
      expect(res.status, res.text).to.equal(200);
      return { id: res.body.activation.id, hw };
    }

    before(async function () {
      await resetStores();
      system = await startSystem({ env: ENV });
      broker = system.brokers[0]!;
    });

    after(async function () {
      await system?.stop();
    });

    it("answers VALID with the reference's fields plus the reason code", async function () {
      const license = await createLicense({ max_users: 3 });
      const { hw } = await activate(license);
      const res = await verify({ license_key: license.key, hardware_hash: hw, app_version: '1.1.0' });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        valid: true,
        code: 'VALID',
        message: 'License is valid',
        license: { key: license.key, valid_until: '2099-12-31', max_users: 3 },
        update_available: false,
        latest_version: '1.1.0',
      });
    });

    it('answers a perpetual license with valid_until null', async function () {
      const license = await createLicense({ type: 'perpetual', valid_until: null });
      const { hw } = await activate(license);
      const res = await verify({ license_key: license.key, hardware_hash: hw });
      expectValid(res);
      expect(res.body.license).to.deep.equal({ key: license.key, valid_until: null, max_users: 2 });
    });

    it('reports the seeded 1.1.0 as an update for a client on 1.0.0', async function () {
      const license = await createLicense();
      const { hw } = await activate(license);
      const res = await verify({ license_key: license.key, hardware_hash: hw, app_version: '1.0.0' });
      expectValid(res);
      expect(res.body).to.include({ update_available: true, latest_version: '1.1.0' });
    });

    it('NOT_FOUND for an unknown but well-formed key, without license details', async function () {
      const res = await verify({ license_key: 'ZZZZ-ZZZZ-ZZZZ-ZZZ9', hardware_hash: hardware(), app_version: '1.0.0' });
      expectInvalid(res, 'NOT_FOUND');
      expect(res.body).to.have.all.keys('valid', 'code', 'message', 'update_available', 'latest_version');
    });

    it('INACTIVE for a deactivated license', async function () {
      const license = await createLicense({ is_active: false });
      const res = await verify({ license_key: license.key, hardware_hash: hardware() });
      expectInvalid(res, 'INACTIVE');
      expect(res.body.license.key).to.equal(license.key);
    });

    it("CUSTOMER_DISABLED once the license's customer is disabled", async function () {
      const customerId = await nextId('customer');
      const email = `disabled-${customerId}@example.com`;
      await CustomerModel.create({
        _id: customerId,
        name: 'Soon Disabled',
        name_lower: 'soon disabled',
        email,
        email_lower: email,
      });
      const license = await createLicense({ customer_id: customerId });
      const { hw } = await activate(license);
      expectValid(await verify({ license_key: license.key, hardware_hash: hw }));

      await CustomerModel.updateOne({ _id: customerId }, { $set: { is_active: false } });
      await dropLicenseViews(broker, { all: true });
      expectInvalid(await verify({ license_key: license.key, hardware_hash: hw }), 'CUSTOMER_DISABLED');
    });

    it('NOT_YET_VALID before valid_from', async function () {
      const license = await createLicense({ valid_from: '2099-01-01', valid_until: '2099-12-31' });
      expectInvalid(await verify({ license_key: license.key, hardware_hash: hardware() }), 'NOT_YET_VALID');
    });

    it('EXPIRED after valid_until', async function () {
      const license = await createLicense({ valid_from: '2020-01-01', valid_until: '2020-12-31' });
      const res = await verify({ license_key: license.key, hardware_hash: hardware() });
      expectInvalid(res, 'EXPIRED');
      expect(res.body.license).to.deep.equal({ key: license.key, valid_until: '2020-12-31', max_users: 2 });
    });

    it('NOT_ACTIVATED for a machine that was never activated, even when others are', async function () {
      const license = await createLicense();
      await activate(license);
      expectInvalid(await verify({ license_key: license.key, hardware_hash: hardware() }), 'NOT_ACTIVATED');
    });

    it('NOT_ACTIVATED at once for a device that was deactivated', async function () {
      const license = await createLicense();
      const device = await activate(license);
      expectValid(await verify({ license_key: license.key, hardware_hash: device.hw }));
      await broker.call('device.deactivate', { license_id: license.id, device_id: device.id });
      expectInvalid(await verify({ license_key: license.key, hardware_hash: device.hw }), 'NOT_ACTIVATED');
    });

    it('TOO_MANY_USERS for a second machine while max_users 1 is held by the first', async function () {
      const license = await createLicense({ max_users: 1 });
      const first = await activate(license);
      const second = await activate(license);
      expectValid(await verify({ license_key: license.key, hardware_hash: first.hw }));
      expectInvalid(await verify({ license_key: license.key, hardware_hash: second.hw }), 'TOO_MANY_USERS');
      // The seat holder keeps its seat.
      expectValid(await verify({ license_key: license.key, hardware_hash: first.hw }));
    });

    it('checks in the documented order: inactive beats expired beats not activated', async function () {
      const license = await createLicense({ is_active: false, valid_from: '2020-01-01', valid_until: '2020-12-31' });
      expectInvalid(await verify({ license_key: license.key, hardware_hash: hardware() }), 'INACTIVE');
      await adminEdit(broker, license, { is_active: true });
      expectInvalid(await verify({ license_key: license.key, hardware_hash: hardware() }), 'EXPIRED');
    });

    describe('no stale cache', function () {
      it('a license deactivated in the database answers INACTIVE on the very next verify after the edit (views dropped on every node first)', async function () {
        const license = await createLicense();
        const { hw } = await activate(license);
        expectValid(await verify({ license_key: license.key, hardware_hash: hw }));
        expectValid(await verify({ license_key: license.key, hardware_hash: hw }));

        await adminEdit(broker, license, { is_active: false });
        expectInvalid(await verify({ license_key: license.key, hardware_hash: hw }), 'INACTIVE');

        await adminEdit(broker, license, { is_active: true });
        expectValid(await verify({ license_key: license.key, hardware_hash: hw }));
      });

      it('a validity end moved into the past answers EXPIRED at once, with the new date', async function () {
        const license = await createLicense({ valid_from: '2020-01-01' });
        const { hw } = await activate(license);
        expectValid(await verify({ license_key: license.key, hardware_hash: hw }));
        await adminEdit(broker, license, { valid_until: new Date('2021-06-30T00:00:00Z') });
        const res = await verify({ license_key: license.key, hardware_hash: hw });
        expectInvalid(res, 'EXPIRED');
        expect(res.body.license.valid_until).to.equal('2021-06-30');
      });
    });
  });

  describe('update information after new releases', function () {
    let system: TestSystem;
    let broker: ServiceBroker;
    const createLicense = licenseFactory(() => broker);

    before(async function () {
      await resetStores();
      system = await startSystem({ env: ENV });
      broker = system.brokers[0]!;
    });

    after(async function () {
      await system?.stop();
    });

    function check(currentVersion: string): Promise<HttpAnswer> {
      return http('POST', `${system.url}/api/version/check`, {
        body: { current_version: currentVersion },
        headers: AUTH,
      });
    }

    it('an update is mandatory when any newer release is, not only the latest', async function () {
      const license = await createLicense();
      const hw = hardware();
      const activated = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hw },
        headers: AUTH,
      });
      expect(activated.status, activated.text).to.equal(200);
      // Warm every cache of release information before publishing.
      expect((await check('1.0.0')).body).to.include({ latest_version: '1.1.0' });
      expect(
        (await verifyAt(system.url, { license_key: license.key, hardware_hash: hw, app_version: '1.1.0' })).body,
      ).to.include({
        update_available: false,
        latest_version: '1.1.0',
      });

      await broker.call('version.publish', {
        version: '1.2.0',
        release_date: '2026-01-10',
        download_url: 'https://example.com/download/v1.2.0',
        release_notes: 'Security fix',
        is_mandatory: true,
      });
      await broker.call('version.publish', {
        version: '1.3.0',
        release_date: '2026-02-10',
        download_url: 'https://example.com/download/v1.3.0',
        release_notes: 'New features',
        is_mandatory: false,
      });

      const from110 = await check('1.1.0');
      expect(from110.status, from110.text).to.equal(200);
      expect(from110.body).to.deep.equal({
        update_available: true,
        latest_version: '1.3.0',
        download_url: 'https://example.com/download/v1.3.0',
        release_notes: 'New features',
        is_mandatory: true,
      });
      const from120 = await check('1.2.0');
      expect(from120.body).to.include({ update_available: true, latest_version: '1.3.0', is_mandatory: false });
      const from130 = await check('1.3.0');
      expect(from130.body).to.include({ update_available: false, latest_version: '1.3.0', is_mandatory: false });

      const verified = await verifyAt(system.url, {
        license_key: license.key,
        hardware_hash: hw,
        app_version: '1.1.0',
      });
      expectValid(verified);
      expect(verified.body).to.include({ update_available: true, latest_version: '1.3.0' });
    });
  });

  describe('two gateway nodes over NATS', function () {
    const ALL: ServiceName[] = ['api', 'license', 'device', 'version', 'auth', 'customer'];
    let system: TestSystem;
    let node0: ServiceBroker;
    const createLicense = licenseFactory(() => node0);

    before(async function () {
      await resetStores();
      system = await startSystem({ nodes: [ALL, ALL], env: ENV });
      node0 = system.brokers[0]!;
      expect(system.urls).to.have.lengthOf(2);
    });

    after(async function () {
      await system?.stop();
    });

    async function activatedLicense(): Promise<{ license: License; hw: string; id: number }> {
      const license = await createLicense();
      const hw = hardware();
      const res = await http('POST', `${system.urls[0]}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hw },
        headers: AUTH,
      });
      expect(res.status, res.text).to.equal(200);
      // Both nodes answer from a warm view before the change.
      for (const url of system.urls) expectValid(await verifyAt(url, { license_key: license.key, hardware_hash: hw }));
      return { license, hw, id: res.body.activation.id };
    }

    // Each scenario is repeated: the change crosses NATS, and a lost race must show up reliably,
    // not one run in three.
    const ROUNDS = 20;

    it('a license deactivated through node 0 verifies INACTIVE on the very next verify on node 1', async function () {
      for (let round = 0; round < ROUNDS; round += 1) {
        const { license, hw } = await activatedLicense();
        await adminEdit(node0, license, { is_active: false });
        expectInvalid(await verifyAt(system.urls[1]!, { license_key: license.key, hardware_hash: hw }), 'INACTIVE');
        expectInvalid(await verifyAt(system.urls[0]!, { license_key: license.key, hardware_hash: hw }), 'INACTIVE');
      }
    });

    it('a device deactivated through node 0 verifies NOT_ACTIVATED on the very next verify on node 1', async function () {
      for (let round = 0; round < ROUNDS; round += 1) {
        const { license, hw, id } = await activatedLicense();
        await node0.call('device.deactivate', { license_id: license.id, device_id: id });
        expectInvalid(
          await verifyAt(system.urls[1]!, { license_key: license.key, hardware_hash: hw }),
          'NOT_ACTIVATED',
        );
        expectInvalid(
          await verifyAt(system.urls[0]!, { license_key: license.key, hardware_hash: hw }),
          'NOT_ACTIVATED',
        );
      }
    });

    it('a machine activated through node 0 verifies VALID on the very next verify on node 1', async function () {
      for (let round = 0; round < ROUNDS; round += 1) {
        const license = await createLicense();
        const hw = hardware();
        // Node 1 has seen the license without this machine.
        expectInvalid(
          await verifyAt(system.urls[1]!, { license_key: license.key, hardware_hash: hw }),
          'NOT_ACTIVATED',
        );
        const res = await http('POST', `${system.urls[0]}/api/license/activate`, {
          body: { license_key: license.key, hardware_hash: hw },
          headers: AUTH,
        });
        expect(res.status, res.text).to.equal(200);
        expectValid(await verifyAt(system.urls[1]!, { license_key: license.key, hardware_hash: hw }));
      }
    });
  });
});
