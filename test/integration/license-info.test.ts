// GET /api/license/info/{license_key} against a real system (one process): the reference's shape with
// the customer's name and every activation (active or not), and the error answers.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const LICENSE_FIELDS = [
  'id',
  'key',
  'customer_name',
  'type',
  'valid_from',
  'valid_until',
  'max_activations',
  'max_users',
  'is_active',
];
const ACTIVATION_FIELDS = ['id', 'hardware_hash', 'machine_name', 'activated_at', 'last_heartbeat', 'is_active'];

describe('GET /api/license/info/{license_key}', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let broker: ServiceBroker;

  function info(key: string): Promise<HttpAnswer> {
    return http('GET', `${system.url}/api/license/info/${key}`, { headers: AUTH });
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
  });

  after(async function () {
    await system?.stop();
  });

  it("answers the reference's shape: the license with its customer's name, and every activation", async function () {
    const customerId: number = await broker.call('customer.ensureTestCustomer', {});
    const license = await broker.call<{ id: number; key: string }, Record<string, unknown>>('license.create', {
      customer_id: customerId,
      type: 'subscription',
      valid_from: '2025-01-01',
      valid_until: '2099-12-31',
      max_activations: 5,
      max_users: 10,
    });
    const machines = [`hw-${randomBytes(6).toString('hex')}`, `hw-${randomBytes(6).toString('hex')}`];
    const ids: number[] = [];
    for (const [i, hw] of machines.entries()) {
      const res = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hw, machine_name: `DESKTOP-${i}`, app_version: '1.0.0' },
        headers: AUTH,
      });
      expect(res.status, res.text).to.equal(200);
      ids.push(res.body.activation.id);
    }
    await broker.call('device.deactivate', { license_id: license.id, device_id: ids[1] });

    const res = await info(license.key);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.have.all.keys('license', 'activations');
    expect(res.body.license).to.have.all.keys(...LICENSE_FIELDS);
    expect(res.body.license).to.deep.equal({
      id: license.id,
      key: license.key,
      customer_name: 'ACME Corp',
      type: 'subscription',
      valid_from: '2025-01-01',
      valid_until: '2099-12-31',
      max_activations: 5,
      max_users: 10,
      is_active: true,
    });
    expect(res.body.activations).to.have.lengthOf(2);
    for (const a of res.body.activations) {
      expect(a).to.have.all.keys(...ACTIVATION_FIELDS);
      expect(a.id).to.be.a('number');
      expect(a.activated_at).to.match(ISO_TIMESTAMP);
      expect(a.last_heartbeat).to.match(ISO_TIMESTAMP);
    }
    expect(res.body.activations.map((a: { id: number }) => a.id)).to.deep.equal(ids);
    expect(res.body.activations.map((a: { hardware_hash: string }) => a.hardware_hash)).to.deep.equal(machines);
    expect(res.body.activations.map((a: { machine_name: string }) => a.machine_name)).to.deep.equal([
      'DESKTOP-0',
      'DESKTOP-1',
    ]);
    expect(res.body.activations.map((a: { is_active: boolean }) => a.is_active)).to.deep.equal([true, false]);
  });

  it('answers the seeded test license: ACME Corp, perpetual, no end date', async function () {
    const res = await info('TEST-TEST-TEST-TEST');
    expect(res.status, res.text).to.equal(200);
    expect(res.body.license).to.have.all.keys(...LICENSE_FIELDS);
    expect(res.body.license).to.include({
      key: 'TEST-TEST-TEST-TEST',
      customer_name: 'ACME Corp',
      type: 'perpetual',
      valid_until: null,
      is_active: true,
    });
    expect(res.body.activations).to.be.an('array');
  });

  it('answers a license without customer with customer_name null and no activations', async function () {
    const license = await broker.call<{ id: number; key: string }, Record<string, unknown>>('license.create', {
      type: 'trial',
      valid_until: '2099-12-31',
      max_activations: 1,
      max_users: 1,
    });
    const res = await info(license.key);
    expect(res.status, res.text).to.equal(200);
    expect(res.body.license).to.include({
      id: license.id,
      customer_name: null,
      type: 'trial',
      valid_until: '2099-12-31',
    });
    expect(res.body.activations).to.deep.equal([]);
  });

  it('answers an unknown key with 404 LICENSE_NOT_FOUND', async function () {
    const error = expectError(await info('ZZZZ-ZZZZ-ZZZZ-ZZZ9'), 404, 'LICENSE_NOT_FOUND');
    expect(error.details).to.include({ field: 'license_key' });
  });

  for (const malformed of [
    'TEST-TEST-TEST',
    'test-test-test-test',
    'TEST-TEST-TEST-TEST5',
    'TEST_TEST_TEST_TEST',
    'TEST-TEST-TEST-TE%21',
  ]) {
    it(`answers the malformed key ${malformed} with 400 INVALID_LICENSE`, async function () {
      const error = expectError(await info(malformed), 400, 'INVALID_LICENSE');
      expect(error.details).to.deep.equal({ field: 'license_key', reason: 'format_invalid' });
    });
  }

  it('needs the API key', async function () {
    const res = await http('GET', `${system.url}/api/license/info/TEST-TEST-TEST-TEST`);
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
  });
});
