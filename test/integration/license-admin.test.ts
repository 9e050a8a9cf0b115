// The license management admin API through the gateway against a real system (one process, every
// service): create, list, read, toggle, bulk changes, quick-edit, key generation, devices and the live
// session count. Each test checks the status, the exact body shape and what the stores hold, and the
// ones that change a license prove that the very next client verify sees the change.
import { randomBytes } from 'node:crypto';
import { hotMetrics } from '../../lib/observability/hot-metrics.ts';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { ServiceBroker } from 'moleculer';
import { ActivationModel } from '../../models/activation.model.ts';
import { LicenseModel } from '../../models/license.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';
import { adminToken as loginAdmin } from '../helpers/admin.ts';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// Four groups of four; no 0/O, 1/I/L or other look-alikes (the exact alphabet is lib/license-keys.ts's business).
const GENERATED_KEY = /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/;
const LOOK_ALIKES = /[01OIL]/;

const LICENSE_OUT_KEYS = [
  'id',
  'key',
  'license_key',
  'customer_id',
  'type',
  'status',
  'valid_from',
  'valid_until',
  'max_activations',
  'max_users',
  'is_active',
  'notes',
  'created_at',
  'updated_at',
  'current_activations',
];
const DEVICE_KEYS = [
  'id',
  'hardware_hash',
  'machine_name',
  'activated_at',
  'last_heartbeat',
  'is_active',
  'app_version',
];

interface Created {
  id: number;
  key: string;
  customer_id: number | null;
  valid_from: string;
  valid_until: string | null;
  max_activations: number;
  max_users: number;
  is_active: boolean;
}

function expectInvalid(res: HttpAnswer, field: string, reason?: string): void {
  const error = expectError(res, 400, 'VALIDATION_ERROR');
  expect(error.details.field, res.text).to.equal(field);
  if (reason) expect(error.details.reason, res.text).to.equal(reason);
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

function unique(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** A license key of our choosing, in the stored format, that no generated key can collide with (it has 0s). */
function chosenKey(): string {
  const hex = randomBytes(6).toString('hex').toUpperCase();
  return `Z0${hex.slice(0, 2)}-${hex.slice(2, 6)}-${hex.slice(6, 10)}-${hex.slice(10, 12)}00`;
}

function ids(list: Array<{ id: number }>): number[] {
  return list.map(l => l.id);
}

describe('license management admin API', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let redis: Redis;
  let token: string;

  function api(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
  }

  function client(path: string, body: Record<string, unknown>): Promise<HttpAnswer> {
    return http('POST', `${system.url}${path}`, { body, headers: { 'x-api-key': TEST_API_KEY } });
  }

  async function verify(
    key: string,
    hardwareHash: string,
  ): Promise<{ valid: boolean; code: string; license?: Record<string, unknown> }> {
    const res = await client('/api/license/verify', { license_key: key, hardware_hash: hardwareHash });
    expect(res.status, res.text).to.equal(200);
    return res.body;
  }

  async function activate(
    key: string,
    hardwareHash = hardware(),
    extra: Record<string, unknown> = {},
  ): Promise<{ id: number; hardware_hash: string }> {
    const res = await client('/api/license/activate', { license_key: key, hardware_hash: hardwareHash, ...extra });
    expect(res.status, res.text).to.equal(200);
    return res.body.activation;
  }

  async function createCustomer(): Promise<{ id: number; name: string }> {
    const res = await api('POST', '/api/customers', { name: unique('Customer '), email: `${unique('c')}@example.com` });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  async function createLicense(fields: Record<string, unknown> = {}): Promise<Created> {
    const res = await api('POST', '/api/licenses', {
      type: 'subscription',
      max_activations: 3,
      max_users: 5,
      valid_until: '2099-12-31',
      ...fields,
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  async function stored(id: number) {
    return LicenseModel.findById(id).lean();
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    redis = new Redis(process.env.REDIS_URL!, { keyPrefix: system.redisKeyPrefix });
    token = await loginAdmin(system.url);
  });

  after(async function () {
    redis?.disconnect();
    await system?.stop();
  });

  describe('POST /api/licenses', function () {
    it('creates a license with a generated key: 201, the documented fields, and the stored record', async function () {
      const customer = await createCustomer();
      const res = await api('POST', '/api/licenses', {
        customer_id: customer.id,
        type: 'perpetual',
        valid_from: '2025-01-01',
        valid_until: '2026-01-01',
        max_activations: 5,
        max_users: 10,
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.all.keys(...LICENSE_OUT_KEYS);
      expect(res.body.current_activations).to.equal(0);
      expect(res.body).to.include({
        customer_id: customer.id,
        type: 'perpetual',
        valid_from: '2025-01-01',
        valid_until: '2026-01-01',
        max_activations: 5,
        max_users: 10,
        is_active: true,
      });
      expect(res.body.id).to.be.a('number');
      expect(res.body.key).to.match(GENERATED_KEY).and.not.match(LOOK_ALIKES);

      const doc = await stored(res.body.id);
      expect(doc).to.include({
        key: res.body.key,
        customer_id: customer.id,
        type: 'perpetual',
        max_activations: 5,
        max_users: 10,
        is_active: true,
      });
      expect(doc!.valid_from.toISOString()).to.equal('2025-01-01T00:00:00.000Z');
      expect(doc!.valid_until!.toISOString()).to.equal('2026-01-01T00:00:00.000Z');
    });

    it('keeps a given key, and defaults valid_from to today and valid_until to none', async function () {
      const key = chosenKey();
      const res = await api('POST', '/api/licenses', { key, type: 'perpetual', max_activations: 1, max_users: 1 });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({
        key,
        customer_id: null,
        valid_until: null,
        valid_from: new Date().toISOString().slice(0, 10),
      });
      expect((await stored(res.body.id))?.key).to.equal(key);
    });

    it('refuses a duplicate key with 409 LICENSE_KEY_EXISTS and stores nothing', async function () {
      const first = await createLicense({ key: chosenKey() });
      const before = await LicenseModel.countDocuments();
      const res = await api('POST', '/api/licenses', {
        key: first.key,
        type: 'trial',
        max_activations: 1,
        max_users: 1,
      });
      expect(expectError(res, 409, 'LICENSE_KEY_EXISTS').details).to.include({ field: 'key' });
      expect(await LicenseModel.countDocuments()).to.equal(before);
      expect((await stored(first.id))?.type).to.equal('subscription');
    });

    it('refuses an unknown customer_id with 404 CUSTOMER_NOT_FOUND and stores nothing', async function () {
      const before = await LicenseModel.countDocuments();
      const res = await api('POST', '/api/licenses', {
        customer_id: 987_654,
        type: 'trial',
        max_activations: 1,
        max_users: 1,
      });
      expect(expectError(res, 404, 'CUSTOMER_NOT_FOUND').details).to.include({ field: 'customer_id' });
      expect(await LicenseModel.countDocuments()).to.equal(before);
    });

    it('refuses valid_until before valid_from with 400 and stores nothing', async function () {
      const before = await LicenseModel.countDocuments();
      const res = await api('POST', '/api/licenses', {
        type: 'subscription',
        valid_from: '2026-06-01',
        valid_until: '2026-05-31',
        max_activations: 1,
        max_users: 1,
      });
      expectInvalid(res, 'valid_until', 'out_of_range');
      expect(await LicenseModel.countDocuments()).to.equal(before);
    });

    it('refuses missing, malformed and unknown fields with 400 and stores nothing', async function () {
      const base = { type: 'subscription', max_activations: 1, max_users: 1 };
      const before = await LicenseModel.countDocuments();
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ max_activations: 1, max_users: 1 }, 'type', 'required'],
        [{ ...base, type: 'forever' }, 'type', 'not_allowed'],
        [{ ...base, max_activations: 0 }, 'max_activations', 'out_of_range'],
        [{ ...base, max_users: 2.5 }, 'max_users', 'type_invalid'],
        [{ ...base, valid_until: 'next year' }, 'valid_until', ''],
        [{ ...base, customer_id: 'abc' }, 'customer_id', 'type_invalid'],
        [{ ...base, _id: 5 }, '_id', 'unknown_field'],
        [{ ...base, expired_notified: true }, 'expired_notified', 'unknown_field'],
        [{ ...base, $set: { is_active: false } }, '$set', 'unknown_field'],
      ];
      for (const [body, field, reason] of cases) {
        const res = await api('POST', '/api/licenses', body);
        if (field === 'valid_until') expectError(res, 400, 'VALIDATION_ERROR');
        else expectInvalid(res, field, reason);
      }
      const badKey = await api('POST', '/api/licenses', { ...base, key: 'abcd-efgh-ijkl-mnop' });
      expect(badKey.status, badKey.text).to.equal(400);
      expect(await LicenseModel.countDocuments()).to.equal(before);
    });
  });

  describe('GET /api/licenses', function () {
    let customer: { id: number };
    let other: { id: number };
    let mine: Created[];
    // Keys of our choosing that sort in the opposite order of their ids, so sorting by key is visible.
    const marker = randomBytes(2).toString('hex').toUpperCase().slice(0, 3);

    before(async function () {
      customer = await createCustomer();
      other = await createCustomer();
      // Five licenses of one customer covering every status and several types, keys sortable by hand.
      mine = [];
      const specs: Array<Record<string, unknown>> = [
        { type: 'subscription', valid_until: '2099-12-31' },
        { type: 'trial', valid_until: '2099-12-31' },
        { type: 'perpetual', valid_until: null },
        { type: 'subscription', valid_from: '2020-01-01', valid_until: '2020-12-31' },
        { type: 'enterprise', valid_until: '2099-12-31', is_active: false },
      ];
      for (const [i, spec] of specs.entries()) {
        mine.push(
          await createLicense({ customer_id: customer.id, key: `${marker}${'EDCBA'[i]}-AAAA-BBBB-CCCC`, ...spec }),
        );
      }
      // Two machines on the first one, to see the activation counts.
      await activate(mine[0]!.key);
      await activate(mine[0]!.key);
      await createLicense({ customer_id: other.id, type: 'trial' });
      // Enough licenses overall that the default page size matters.
      await Promise.all(Array.from({ length: 22 }, () => createLicense()));
    });

    it("lists a customer's licenses with the documented fields and pagination, newest first by default", async function () {
      const res = await api('GET', `/api/licenses?customer_id=${customer.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('licenses', 'pagination');
      expect(res.body.pagination).to.deep.equal({ page: 1, limit: 20, total: 5, pages: 1, more: false });
      expect(ids(res.body.licenses)).to.have.members(ids(mine));
      for (const license of res.body.licenses) {
        expect(license).to.have.all.keys(...LICENSE_OUT_KEYS);
        expect(license.key).to.equal(license.license_key);
        expect(license.customer_id).to.equal(customer.id);
        expect(license.created_at).to.match(ISO_TIMESTAMP);
        expect(license.valid_from).to.match(DATE);
      }
      expect(ids(res.body.licenses), 'newest first').to.deep.equal(ids(mine).reverse());
      const explicit = await api('GET', `/api/licenses?customer_id=${customer.id}&sort=id&order=desc`);
      expect(ids(explicit.body.licenses), 'sort=id&order=desc').to.deep.equal(ids(mine).reverse());
    });

    it('counts current activations per license', async function () {
      const res = await api('GET', `/api/licenses?customer_id=${customer.id}&sort=id&order=asc`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.licenses.map((l: { current_activations: number }) => l.current_activations)).to.deep.equal([
        2, 0, 0, 0, 0,
      ]);
    });

    it('filters by status: active, inactive and expired', async function () {
      const byStatus = async (status: string) => {
        const res = await api('GET', `/api/licenses?customer_id=${customer.id}&status=${status}&order=asc`);
        expect(res.status, res.text).to.equal(200);
        for (const l of res.body.licenses) expect(l.status).to.equal(status);
        return ids(res.body.licenses);
      };
      expect(await byStatus('active')).to.deep.equal([mine[0]!.id, mine[1]!.id, mine[2]!.id]);
      expect(await byStatus('expired')).to.deep.equal([mine[3]!.id]);
      expect(await byStatus('inactive')).to.deep.equal([mine[4]!.id]);
      expectInvalid(await api('GET', '/api/licenses?status=sleeping'), 'status', 'not_allowed');
    });

    it('filters by type and by key text (case-insensitive, never a pattern)', async function () {
      const trial = await api('GET', `/api/licenses?customer_id=${customer.id}&type=trial`);
      expect(ids(trial.body.licenses)).to.deep.equal([mine[1]!.id]);
      const byText = await api('GET', `/api/licenses?q=${mine[2]!.key.slice(0, 7).toLowerCase()}`);
      expect(byText.status, byText.text).to.equal(200);
      expect(ids(byText.body.licenses)).to.deep.equal([mine[2]!.id]);
      const pattern = await api('GET', `/api/licenses?q=${encodeURIComponent('.*')}`);
      expect(pattern.status, pattern.text).to.equal(200);
      expect(pattern.body.licenses).to.deep.equal([]);
      expect(pattern.body.pagination.total).to.equal(0);
    });

    it('sorts by a documented field in either order, and refuses other sort fields', async function () {
      const asc = await api('GET', `/api/licenses?customer_id=${customer.id}&sort=key&order=asc`);
      expect(asc.status, asc.text).to.equal(200);
      const keys = asc.body.licenses.map((l: { key: string }) => l.key);
      expect(keys).to.deep.equal([...mine.map(l => l.key)].sort());
      expect(ids(asc.body.licenses)).to.deep.equal(ids(mine).reverse());
      const desc = await api('GET', `/api/licenses?customer_id=${customer.id}&sort=key&order=desc`);
      expect(desc.body.licenses.map((l: { key: string }) => l.key)).to.deep.equal([...keys].reverse());
      expectInvalid(await api('GET', '/api/licenses?sort=notes'), 'sort', 'not_allowed');
      expectInvalid(await api('GET', '/api/licenses?order=sideways'), 'order', 'not_allowed');
    });

    it('pages through a filter without overlap or gaps', async function () {
      const pages: number[][] = [];
      for (let page = 1; page <= 3; page += 1) {
        const res = await api('GET', `/api/licenses?customer_id=${customer.id}&limit=2&page=${page}&order=asc`);
        expect(res.status, res.text).to.equal(200);
        expect(res.body.pagination).to.deep.equal({ page, limit: 2, total: 5, pages: 3, more: page < 3 });
        pages.push(ids(res.body.licenses));
      }
      expect(pages.map(p => p.length)).to.deep.equal([2, 2, 1]);
      expect(pages.flat()).to.deep.equal(ids(mine));
      const beyond = await api('GET', `/api/licenses?customer_id=${customer.id}&limit=2&page=4`);
      expect(beyond.body.licenses).to.deep.equal([]);
      expect(beyond.body.pagination.more).to.equal(false);
    });

    it('never dumps the table: 20 by default, and page 0, negative pages and huge limits are 400', async function () {
      const all = await api('GET', '/api/licenses');
      expect(all.status, all.text).to.equal(200);
      expect(all.body.pagination.total).to.be.above(20);
      expect(all.body.licenses).to.have.lengthOf(20);
      expect(all.body.pagination.more).to.equal(true);
      const bounds: Array<[string, string]> = [
        ['page=0', 'page'],
        ['page=-1', 'page'],
        ['limit=0', 'limit'],
        ['limit=-5', 'limit'],
        ['limit=1000', 'limit'],
        ['page=1.5', 'page'],
        ['page=abc', 'page'],
      ];
      for (const [query, field] of bounds) expectInvalid(await api('GET', `/api/licenses?${query}`), field);
    });

    it('refuses unknown parameters and query operators with 400', async function () {
      expectInvalid(await api('GET', '/api/licenses?is_active=true'), 'is_active', 'unknown_field');
      const operator = await api('GET', `/api/licenses?${encodeURIComponent('customer_id[$ne]')}=1`);
      expect(operator.status, operator.text).to.equal(400);
      const other2 = await api('GET', `/api/licenses?customer_id=${other.id}`);
      expect(other2.body.pagination.total).to.equal(1);
    });
  });

  describe('GET /api/license/:license_id', function () {
    it('answers the license with its customer name and current activations', async function () {
      const customer = await createCustomer();
      const license = await createLicense({ customer_id: customer.id });
      await activate(license.key);
      const res = await api('GET', `/api/license/${license.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('license');
      expect(res.body.license).to.have.all.keys(...LICENSE_OUT_KEYS, 'customer_name');
      expect(res.body.license).to.include({
        id: license.id,
        key: license.key,
        customer_id: customer.id,
        customer_name: customer.name,
        status: 'active',
        current_activations: 1,
      });
    });

    it('answers an unknown id with 404 LICENSE_NOT_FOUND', async function () {
      expectError(await api('GET', '/api/license/987654'), 404, 'LICENSE_NOT_FOUND');
    });

    for (const bad of ['0', '99999999999999999999']) {
      it(`answers the out-of-range id ${bad} with 400, never 500`, async function () {
        expectInvalid(await api('GET', `/api/license/${bad}`), 'license_id');
      });
    }

    // Ids in paths are digits (services/api/route-match.ts): anything else reaches no route.
    for (const bad of ['abc', '1.5', '-1', '507f1f77bcf86cd799439011', '1e3']) {
      it(`answers the non-numeric id ${bad} with 404 ROUTE_NOT_FOUND, never 500`, async function () {
        expectError(await api('GET', `/api/license/${bad}`), 404, 'ROUTE_NOT_FOUND');
      });
    }
  });

  describe('POST /api/license/:license_id/toggle', function () {
    it('flips the flag with the reference body; twice returns to the original; verify follows at once', async function () {
      const license = await createLicense();
      const machine = (await activate(license.key)).hardware_hash;
      expect(await verify(license.key, machine)).to.include({ valid: true, code: 'VALID' });

      const off = await api('POST', `/api/license/${license.id}/toggle`);
      expect(off.status, off.text).to.equal(200);
      expect(off.body).to.deep.equal({ success: true, is_active: false, message: 'License deactivated successfully' });
      expect((await stored(license.id))?.is_active).to.equal(false);
      expect(await verify(license.key, machine)).to.include({ valid: false, code: 'INACTIVE' });

      const on = await api('POST', `/api/license/${license.id}/toggle`);
      expect(on.status, on.text).to.equal(200);
      expect(on.body).to.deep.equal({ success: true, is_active: true, message: 'License activated successfully' });
      expect((await stored(license.id))?.is_active).to.equal(true);
      expect(await verify(license.key, machine)).to.include({ valid: true, code: 'VALID' });
    });

    it('refuses a body trying to set the flag, an unknown license and a malformed id', async function () {
      const license = await createLicense();
      expectInvalid(
        await api('POST', `/api/license/${license.id}/toggle`, { is_active: false }),
        'is_active',
        'unknown_field',
      );
      expect((await stored(license.id))?.is_active).to.equal(true);
      expectError(await api('POST', '/api/license/987654/toggle'), 404, 'LICENSE_NOT_FOUND');
      // Ids in paths are digits (services/api/route-match.ts): anything else is no route.
      expectError(await api('POST', '/api/license/abc/toggle'), 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('bulk activate, deactivate and delete', function () {
    it('deactivates and activates several licenses with the reference bodies; verify follows at once', async function () {
      const licenses = [await createLicense(), await createLicense(), await createLicense()];
      const machine = (await activate(licenses[0]!.key)).hardware_hash;
      expect(await verify(licenses[0]!.key, machine)).to.include({ code: 'VALID' });

      const off = await api('POST', '/api/licenses/bulk-deactivate', { license_ids: ids(licenses) });
      expect(off.status, off.text).to.equal(200);
      expect(off.body).to.deep.equal({
        success: true,
        count: 3,
        not_found: [],
        message: '3 licenses deactivated successfully',
      });
      for (const l of licenses) expect((await stored(l.id))?.is_active).to.equal(false);
      expect(await verify(licenses[0]!.key, machine)).to.include({ valid: false, code: 'INACTIVE' });

      const on = await api('POST', '/api/licenses/bulk-activate', { license_ids: ids(licenses) });
      expect(on.status, on.text).to.equal(200);
      expect(on.body).to.deep.equal({
        success: true,
        count: 3,
        not_found: [],
        message: '3 licenses activated successfully',
      });
      for (const l of licenses) expect((await stored(l.id))?.is_active).to.equal(true);
      expect(await verify(licenses[0]!.key, machine)).to.include({ valid: true, code: 'VALID' });
    });

    it('lists unknown ids in not_found and changes the known ones', async function () {
      const license = await createLicense();
      const res = await api('POST', '/api/licenses/bulk-deactivate', { license_ids: [987_654, license.id, 987_655] });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        success: true,
        count: 1,
        not_found: [987_654, 987_655],
        message: '1 license deactivated successfully',
      });
      expect((await stored(license.id))?.is_active).to.equal(false);
      const none = await api('POST', '/api/licenses/bulk-activate', { license_ids: [987_654] });
      expect(none.body).to.deep.equal({
        success: true,
        count: 0,
        not_found: [987_654],
        message: '0 licenses activated successfully',
      });
    });

    for (const route of ['bulk-activate', 'bulk-deactivate', 'bulk-delete']) {
      it(`${route}: empty, duplicate, non-integer and oversized id lists are a clear 400 and change nothing`, async function () {
        const license = await createLicense();
        await api('POST', `/api/license/${license.id}/toggle`);
        const before = await stored(license.id);
        const cases: Array<[unknown, string, string]> = [
          [[], 'license_ids', 'too_few_items'],
          [[license.id, license.id], 'license_ids', 'duplicate_items'],
          [[license.id, '2'], 'license_ids.1', 'type_invalid'],
          [[license.id, 1.5], 'license_ids.1', 'type_invalid'],
          [[license.id, null], 'license_ids.1', 'type_invalid'],
          [[license.id, 0], 'license_ids.1', 'out_of_range'],
          [[license.id, { $gt: 0 }], 'license_ids.1', 'type_invalid'],
          [Array.from({ length: 10_000 }, (_, i) => i + 1), 'license_ids', 'too_many_items'],
          [String(license.id), 'license_ids', 'type_invalid'],
        ];
        for (const [value, field, reason] of cases) {
          expectInvalid(await api('POST', `/api/licenses/${route}`, { license_ids: value }), field, reason);
        }
        expectInvalid(await api('POST', `/api/licenses/${route}`, {}), 'license_ids', 'required');
        expectInvalid(
          await api('POST', `/api/licenses/${route}`, { license_ids: [license.id], is_active: true }),
          'is_active',
          'unknown_field',
        );
        expect(await stored(license.id)).to.deep.equal(before);
      });
    }

    it('bulk-delete removes the licenses, their devices and allocations; verify answers NOT_FOUND at once', async function () {
      const doomed = await createLicense();
      const kept = await createLicense();
      const machines = [(await activate(doomed.key)).hardware_hash, (await activate(doomed.key)).hardware_hash];
      const keptMachine = (await activate(kept.key)).hardware_hash;
      expect(await verify(doomed.key, machines[0]!)).to.include({ code: 'VALID' });
      const resource = await api('POST', '/api/resources', { type: 'server', identifier: unique('SRV-') });
      expect(resource.status, resource.text).to.equal(201);
      const allocated = await api('POST', '/api/resources/allocate', {
        license_id: doomed.id,
        resource_ids: [resource.body.id],
      });
      expect(allocated.status, allocated.text).to.equal(200);

      const res = await api('POST', '/api/licenses/bulk-delete', { license_ids: [doomed.id, 987_654] });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        success: true,
        deleted: 1,
        not_found: [987_654],
        message: '1 license deleted successfully',
      });

      expect(await stored(doomed.id)).to.equal(null);
      expect(await ActivationModel.countDocuments({ license_id: doomed.id })).to.equal(0);
      expect(await verify(doomed.key, machines[0]!)).to.deep.include({ valid: false, code: 'NOT_FOUND' });
      expectError(await api('GET', `/api/license/${doomed.id}`), 404, 'LICENSE_NOT_FOUND');
      const freed = await api('GET', `/api/resource/${resource.body.id}`);
      expect(freed.status, freed.text).to.equal(200);
      expect(freed.body.resource).to.include({ status: 'available', license_id: null });

      // The other license and its machine are untouched.
      expect(await stored(kept.id)).to.not.equal(null);
      expect(await ActivationModel.countDocuments({ license_id: kept.id, is_active: true })).to.equal(1);
      expect(await verify(kept.key, keptMachine)).to.include({ code: 'VALID' });

      const again = await api('POST', '/api/licenses/bulk-delete', { license_ids: [doomed.id] });
      expect(again.body).to.deep.equal({
        success: true,
        deleted: 0,
        not_found: [doomed.id],
        message: '0 licenses deleted successfully',
      });
    });
  });

  describe('POST /api/license/:license_id/quick-edit', function () {
    it('changes valid_until, max_activations and max_users with the reference body and stores them', async function () {
      const license = await createLicense({ max_activations: 3, max_users: 5 });
      const res = await api('POST', `/api/license/${license.id}/quick-edit`, {
        valid_until: '2027-01-01',
        max_activations: 10,
        max_users: 50,
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ success: true, message: 'License updated successfully' });
      const doc = await stored(license.id);
      expect(doc).to.include({ max_activations: 10, max_users: 50 });
      expect(doc!.valid_until!.toISOString()).to.equal('2027-01-01T00:00:00.000Z');
      const one = await api('POST', `/api/license/${license.id}/quick-edit`, { max_users: 7 });
      expect(one.status, one.text).to.equal(200);
      expect(await stored(license.id)).to.include({ max_activations: 10, max_users: 7 });
    });

    it('is seen by the very next verify: a new end date, then an end date in the past', async function () {
      const license = await createLicense({ valid_from: '2020-01-01', valid_until: '2099-12-31' });
      const machine = (await activate(license.key)).hardware_hash;
      expect((await verify(license.key, machine)).license).to.include({ valid_until: '2099-12-31' });

      expect(
        (await api('POST', `/api/license/${license.id}/quick-edit`, { valid_until: '2030-06-30' })).status,
      ).to.equal(200);
      const later = await verify(license.key, machine);
      expect(later).to.include({ valid: true, code: 'VALID' });
      expect(later.license).to.include({ valid_until: '2030-06-30' });

      expect(
        (await api('POST', `/api/license/${license.id}/quick-edit`, { valid_until: '2021-01-01' })).status,
      ).to.equal(200);
      expect(await verify(license.key, machine)).to.include({ valid: false, code: 'EXPIRED' });
    });

    for (const field of ['is_active', 'key', 'customer_id', '_id', '$set', 'type', 'valid_from']) {
      it(`refuses ${field} in the body with 400 unknown_field and changes nothing`, async function () {
        const license = await createLicense();
        const before = await stored(license.id);
        const values: Record<string, unknown> = {
          is_active: false,
          key: chosenKey(),
          customer_id: 1,
          _id: 999,
          $set: { is_active: false, max_activations: 100 },
          type: 'perpetual',
          valid_from: '2020-01-01',
        };
        const res = await api('POST', `/api/license/${license.id}/quick-edit`, {
          max_users: 9,
          [field]: values[field],
        });
        expectInvalid(res, field, 'unknown_field');
        expect(await stored(license.id)).to.deep.equal(before);
      });
    }

    it('validates the three fields: a real date, positive integer limits, at least one field', async function () {
      const license = await createLicense();
      const before = await stored(license.id);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ valid_until: 'not-a-date' }, 'valid_until'],
        [{ valid_until: '2027-13-01' }, 'valid_until'],
        [{ valid_until: '2027-02-30' }, 'valid_until'],
        [{ valid_until: 20270101 }, 'valid_until'],
        [{ valid_until: '1999-01-01' }, 'valid_until'],
        [{ max_activations: 0 }, 'max_activations'],
        [{ max_activations: -1 }, 'max_activations'],
        [{ max_activations: 2.5 }, 'max_activations'],
        [{ max_activations: '4' }, 'max_activations'],
        [{ max_users: 0 }, 'max_users'],
        [{ max_users: -3 }, 'max_users'],
        [{ max_users: 1.25 }, 'max_users'],
        [{ max_users: null }, 'max_users'],
      ];
      for (const [body, field] of cases) {
        const res = await api('POST', `/api/license/${license.id}/quick-edit`, body);
        const error = expectError(res, 400, 'VALIDATION_ERROR');
        // anyOf errors may name a path inside the field; the field must still be this one.
        expect(String(error.details.field).split('.')[0], res.text).to.equal(field);
      }
      expectError(await api('POST', `/api/license/${license.id}/quick-edit`, {}), 400, 'VALIDATION_ERROR');
      expect(await stored(license.id)).to.deep.equal(before);
      expectError(await api('POST', '/api/license/987654/quick-edit', { max_users: 3 }), 404, 'LICENSE_NOT_FOUND');
      expectError(await api('POST', '/api/license/abc/quick-edit', { max_users: 3 }), 404, 'ROUTE_NOT_FOUND');
    });

    it('refuses to lower max_activations below the active devices with 409 ACTIVATIONS_EXCEED_LIMIT', async function () {
      const license = await createLicense({ max_activations: 3 });
      for (let i = 0; i < 3; i += 1) await activate(license.key);
      const res = await api('POST', `/api/license/${license.id}/quick-edit`, { max_activations: 2, max_users: 99 });
      const error = expectError(res, 409, 'ACTIVATIONS_EXCEED_LIMIT');
      expect(error.details).to.include({ field: 'max_activations', current_activations: 3 });
      expect(await stored(license.id)).to.include({ max_activations: 3, max_users: 5 });
      const same = await api('POST', `/api/license/${license.id}/quick-edit`, { max_activations: 3 });
      expect(same.status, same.text).to.equal(200);
    });

    it('lowering the limit while devices hold high seats moves them below it, and the new limit holds', async function () {
      const license = await createLicense({ max_activations: 5 });
      const machines: Array<{ id: number; hardware_hash: string }> = [];
      for (let i = 0; i < 5; i += 1) machines.push(await activate(license.key));
      const seats = await ActivationModel.find({ license_id: license.id }).lean();
      expect(seats.map(s => s.slot).sort()).to.deep.equal([0, 1, 2, 3, 4]);
      const low = seats.filter(s => s.slot <= 2);
      for (const device of low) {
        const res = await api('POST', `/api/license/${license.id}/deactivate-device/${device._id}`);
        expect(res.status, res.text).to.equal(200);
      }

      const res = await api('POST', `/api/license/${license.id}/quick-edit`, { max_activations: 2 });
      expect(res.status, res.text).to.equal(200);
      expect((await stored(license.id))?.max_activations).to.equal(2);
      const active = await ActivationModel.find({ license_id: license.id, is_active: true }).lean();
      expect(active).to.have.lengthOf(2);
      expect(active.map(a => a.slot).sort()).to.deep.equal([0, 1]);

      const refused = await client('/api/license/activate', { license_key: license.key, hardware_hash: hardware() });
      expect(expectError(refused, 409, 'ACTIVATION_LIMIT_REACHED').details).to.deep.equal({
        max_activations: 2,
        current_activations: 2,
      });
      // A machine deactivated earlier cannot come back either: the limit counts seats, not records.
      const back = await client('/api/license/activate', {
        license_key: license.key,
        hardware_hash: low[0]!.hardware_hash,
      });
      expectError(back, 409, 'ACTIVATION_LIMIT_REACHED');
      expect(await ActivationModel.countDocuments({ license_id: license.id, is_active: true })).to.equal(2);
      for (const a of active) expect(await verify(license.key, a.hardware_hash)).to.include({ code: 'VALID' });
    });
  });

  describe('POST /api/generate-license-key', function () {
    it('answers 50 distinct keys in the documented shape, without look-alike characters', async function () {
      const keys = new Set<string>();
      for (let i = 0; i < 50; i += 1) {
        const res = await api('POST', '/api/generate-license-key');
        expect(res.status, res.text).to.equal(200);
        expect(res.body).to.have.all.keys('license_key');
        expect(res.body.license_key).to.match(GENERATED_KEY).and.not.match(LOOK_ALIKES);
        keys.add(res.body.license_key);
      }
      expect(keys.size).to.equal(50);
      expect(await LicenseModel.countDocuments({ key: { $in: [...keys] } })).to.equal(0);
    });

    it('refuses a body with fields', async function () {
      expectInvalid(await api('POST', '/api/generate-license-key', { prefix: 'ACME' }), 'prefix', 'unknown_field');
    });
  });

  describe('devices', function () {
    it('GET /api/license/:id/devices lists every device in the reference shape, app_version included', async function () {
      const license = await createLicense();
      const first = await activate(license.key, hardware(), { machine_name: 'DESKTOP-ABC123', app_version: '1.0.0' });
      const second = await activate(license.key, hardware(), { machine_name: 'LAPTOP-XYZ', app_version: '1.1.0' });
      expect((await api('POST', `/api/license/${license.id}/deactivate-device/${second.id}`)).status).to.equal(200);

      const res = await api('GET', `/api/license/${license.id}/devices`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('devices');
      expect(res.body.devices).to.have.lengthOf(2);
      for (const device of res.body.devices) {
        expect(device).to.have.all.keys(...DEVICE_KEYS);
        expect(device.activated_at).to.match(ISO_TIMESTAMP);
        expect(device.last_heartbeat).to.match(ISO_TIMESTAMP);
      }
      expect(res.body.devices[0]).to.include({
        id: first.id,
        hardware_hash: first.hardware_hash,
        machine_name: 'DESKTOP-ABC123',
        app_version: '1.0.0',
        is_active: true,
      });
      expect(res.body.devices[1]).to.include({
        id: second.id,
        machine_name: 'LAPTOP-XYZ',
        app_version: '1.1.0',
        is_active: false,
      });

      expect((await api('GET', `/api/license/${(await createLicense()).id}/devices`)).body).to.deep.equal({
        devices: [],
      });
      expectError(await api('GET', '/api/license/987654/devices'), 404, 'LICENSE_NOT_FOUND');
      expectError(await api('GET', '/api/license/abc/devices'), 404, 'ROUTE_NOT_FOUND');
    });

    it('register-device claims a seat (201), is idempotent (200, same device), and the machine then verifies', async function () {
      const license = await createLicense();
      const hw = hardware();
      const body = { hardware_hash: hw, machine_name: 'DESKTOP-XYZ789', app_version: '1.0.0' };
      const res = await api('POST', `/api/license/${license.id}/register-device`, body);
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.all.keys('success', 'device_id', 'message');
      expect(res.body).to.include({ success: true, message: 'Device registered successfully' });
      const doc = await ActivationModel.findById(res.body.device_id).lean();
      expect(doc).to.include({
        license_id: license.id,
        hardware_hash: hw,
        machine_name: 'DESKTOP-XYZ789',
        app_version: '1.0.0',
        is_active: true,
      });
      expect(doc!.slot).to.be.within(0, license.max_activations - 1);

      const again = await api('POST', `/api/license/${license.id}/register-device`, body);
      expect(again.status, again.text).to.equal(200);
      expect(again.body).to.deep.equal({
        success: true,
        device_id: res.body.device_id,
        message: 'Device was already registered',
      });
      expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(1);
      expect(await verify(license.key, hw)).to.include({ valid: true, code: 'VALID' });
    });

    it('register-device respects the activation limit with 409 and stores nothing', async function () {
      const license = await createLicense({ max_activations: 1 });
      expect(
        (await api('POST', `/api/license/${license.id}/register-device`, { hardware_hash: hardware() })).status,
      ).to.equal(201);
      const res = await api('POST', `/api/license/${license.id}/register-device`, { hardware_hash: hardware() });
      expect(expectError(res, 409, 'ACTIVATION_LIMIT_REACHED').details).to.deep.equal({
        max_activations: 1,
        current_activations: 1,
      });
      expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(1);
    });

    it('register-device refuses an unknown license, a missing hash and foreign fields', async function () {
      const license = await createLicense();
      expectError(
        await api('POST', '/api/license/987654/register-device', { hardware_hash: hardware() }),
        404,
        'LICENSE_NOT_FOUND',
      );
      expectInvalid(
        await api('POST', `/api/license/${license.id}/register-device`, { machine_name: 'X' }),
        'hardware_hash',
        'required',
      );
      expectInvalid(
        await api('POST', `/api/license/${license.id}/register-device`, {
          hardware_hash: hardware(),
          max_activations: 100,
        }),
        'max_activations',
        'unknown_field',
      );
      expectInvalid(
        await api('POST', `/api/license/${license.id}/register-device`, {
          hardware_hash: hardware(),
          license_key: license.key,
        }),
        'license_key',
        'unknown_field',
      );
      expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(0);
    });

    it('deactivate-device frees the seat for another machine; the next verify of the old one is NOT_ACTIVATED', async function () {
      const license = await createLicense({ max_activations: 1 });
      const device = await activate(license.key);
      expect(await verify(license.key, device.hardware_hash)).to.include({ code: 'VALID' });
      expectError(
        await client('/api/license/activate', { license_key: license.key, hardware_hash: hardware() }),
        409,
        'ACTIVATION_LIMIT_REACHED',
      );

      const res = await api('POST', `/api/license/${license.id}/deactivate-device/${device.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ success: true, message: 'Device deactivated successfully' });
      const doc = await ActivationModel.findById(device.id).lean();
      expect(doc!.is_active).to.equal(false);
      expect(doc!.slot).to.be.below(0);
      expect(await verify(license.key, device.hardware_hash)).to.include({ valid: false, code: 'NOT_ACTIVATED' });

      const newcomer = await activate(license.key);
      expect(await verify(license.key, newcomer.hardware_hash)).to.include({ code: 'VALID' });
      const twice = await api('POST', `/api/license/${license.id}/deactivate-device/${device.id}`);
      expect(twice.status, twice.text).to.equal(200);
      expect(twice.body.success).to.equal(true);
    });

    it('deactivate-device of a device of ANOTHER license is 404 DEVICE_NOT_FOUND and changes nothing', async function () {
      const mine = await createLicense();
      const theirs = await createLicense();
      const device = await activate(theirs.key);
      const before = await ActivationModel.findById(device.id).lean();

      const res = await api('POST', `/api/license/${mine.id}/deactivate-device/${device.id}`);
      expect(expectError(res, 404, 'DEVICE_NOT_FOUND').details).to.include({ field: 'device_id' });
      expect(await ActivationModel.findById(device.id).lean()).to.deep.equal(before);
      expect(await verify(theirs.key, device.hardware_hash)).to.include({ code: 'VALID' });

      expectError(await api('POST', `/api/license/${mine.id}/deactivate-device/987654`), 404, 'DEVICE_NOT_FOUND');
      expectError(await api('POST', `/api/license/987654/deactivate-device/${device.id}`), 404, 'LICENSE_NOT_FOUND');
      expectError(await api('POST', `/api/license/${mine.id}/deactivate-device/abc`), 404, 'ROUTE_NOT_FOUND');
      expectInvalid(
        await api('POST', `/api/license/${mine.id}/deactivate-device/${device.id}`, { is_active: false }),
        'is_active',
        'unknown_field',
      );
      expect((await ActivationModel.findById(device.id).lean())!.is_active).to.equal(true);
    });
  });

  describe('GET /api/sessions/active-count', function () {
    beforeEach(async function () {
      // Sessions of earlier tests would count too: start from none (only the session keys are dropped).
      const keys = await redis.keys(`${system.redisKeyPrefix}sessions:*`);
      if (keys.length > 0) await redis.del(...keys.map(k => k.slice(system.redisKeyPrefix.length)));
    });

    it('counts the machines that verified: two machines, {count: 2}; verifying again does not add', async function () {
      const empty = await api('GET', '/api/sessions/active-count');
      expect(empty.status, empty.text).to.equal(200);
      expect(empty.body).to.deep.equal({ count: 0 });

      const license = await createLicense();
      const machines = [await activate(license.key), await activate(license.key)];
      for (const m of machines) expect(await verify(license.key, m.hardware_hash)).to.include({ code: 'VALID' });
      expect((await api('GET', '/api/sessions/active-count')).body).to.deep.equal({ count: 2 });
      expect(await verify(license.key, machines[0]!.hardware_hash)).to.include({ code: 'VALID' });
      expect((await api('GET', '/api/sessions/active-count')).body).to.deep.equal({ count: 2 });
      expectInvalid(await api('GET', '/api/sessions/active-count?license_id=1'), 'license_id', 'unknown_field');
    });

    it('ends the session of a deactivated device (docs/decisions.md, "Sessions")', async function () {
      const license = await createLicense();
      const machines = [await activate(license.key), await activate(license.key)];
      for (const m of machines) expect(await verify(license.key, m.hardware_hash)).to.include({ code: 'VALID' });
      expect((await api('GET', '/api/sessions/active-count')).body).to.deep.equal({ count: 2 });
      expect((await api('POST', `/api/license/${license.id}/deactivate-device/${machines[0]!.id}`)).status).to.equal(
        200,
      );
      expect((await api('GET', '/api/sessions/active-count')).body).to.deep.equal({ count: 1 });
    });
  });
});

/** How many verify calls this broker's own license service answered. */
/** Verify calls a node handled: single, or batched by a gateway without a license service. */
function verifiesServed(broker: ServiceBroker): number {
  const metrics = hotMetrics(broker);
  return (
    metrics.total('moleculer_action_calls_total', { action: 'license.verify' }) +
    metrics.total('moleculer_action_calls_total', { action: 'license.verifyMany' })
  );
}

describe('license changes take effect at once on every license node (two nodes over NATS)', function () {
  this.timeout(30_000);
  // Each license node keeps its own verify views: a change must reach both before the admin call answers.
  const VERIFIES_PER_STEP = 6;
  let system: TestSystem;
  let token: string;

  function api(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
  }

  async function codes(key: string, hardwareHash: string): Promise<string[]> {
    const answers: string[] = [];
    for (let i = 0; i < VERIFIES_PER_STEP; i += 1) {
      const res = await http('POST', `${system.url}/api/license/verify`, {
        body: { license_key: key, hardware_hash: hardwareHash },
        headers: { 'x-api-key': TEST_API_KEY },
      });
      expect(res.status, res.text).to.equal(200);
      answers.push(res.body.code);
    }
    return answers;
  }

  function all(code: string): string[] {
    return Array.from({ length: VERIFIES_PER_STEP }, () => code);
  }

  before(async function () {
    system = await startSystem({
      nodes: [
        ['api', 'auth', 'version', 'customer', 'resource', 'search'],
        ['license', 'device'],
        ['license', 'device'],
      ],
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' },
    });
    // The gateway must know both license nodes, or every verify goes to the first one it found.
    const deadline = Date.now() + 10_000;
    while (
      !system.brokers.every(b => b.registry.getNodeList({ onlyAvailable: true }).length === system.brokers.length)
    ) {
      if (Date.now() > deadline) throw new Error('nodes did not discover each other in time');
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    token = await loginAdmin(system.url);
  });

  after(async function () {
    await system?.stop();
  });

  async function licenseWithMachines(
    count: number,
  ): Promise<{ id: number; key: string; machines: Array<{ id: number; hw: string }> }> {
    const created = await api('POST', '/api/licenses', {
      type: 'subscription',
      valid_from: '2020-01-01',
      valid_until: '2099-12-31',
      max_activations: 3,
      max_users: 5,
    });
    expect(created.status, created.text).to.equal(201);
    const machines: Array<{ id: number; hw: string }> = [];
    for (let i = 0; i < count; i += 1) {
      const hw = hardware();
      const res = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: created.body.key, hardware_hash: hw },
        headers: { 'x-api-key': TEST_API_KEY },
      });
      expect(res.status, res.text).to.equal(200);
      machines.push({ id: res.body.activation.id, hw });
    }
    return { id: created.body.id, key: created.body.key, machines };
  }

  it('toggle, quick-edit, bulk changes and deletion: every following verify agrees, whichever node answers', async function () {
    const { id, key, machines } = await licenseWithMachines(1);
    const hw = machines[0]!.hw;
    const servedBefore = system.brokers.map(verifiesServed);
    expect(await codes(key, hw)).to.deep.equal(all('VALID'));

    expect((await api('POST', `/api/license/${id}/toggle`)).body.is_active).to.equal(false);
    expect(await codes(key, hw)).to.deep.equal(all('INACTIVE'));
    expect((await api('POST', `/api/license/${id}/toggle`)).body.is_active).to.equal(true);
    expect(await codes(key, hw)).to.deep.equal(all('VALID'));

    expect((await api('POST', `/api/license/${id}/quick-edit`, { valid_until: '2021-01-01' })).status).to.equal(200);
    expect(await codes(key, hw)).to.deep.equal(all('EXPIRED'));
    expect((await api('POST', `/api/license/${id}/quick-edit`, { valid_until: '2099-12-31' })).status).to.equal(200);
    expect(await codes(key, hw)).to.deep.equal(all('VALID'));

    expect((await api('POST', '/api/licenses/bulk-deactivate', { license_ids: [id] })).body.count).to.equal(1);
    expect(await codes(key, hw)).to.deep.equal(all('INACTIVE'));
    expect((await api('POST', '/api/licenses/bulk-activate', { license_ids: [id] })).body.count).to.equal(1);
    expect(await codes(key, hw)).to.deep.equal(all('VALID'));

    expect((await api('POST', '/api/licenses/bulk-delete', { license_ids: [id] })).body.deleted).to.equal(1);
    expect(await codes(key, hw)).to.deep.equal(all('NOT_FOUND'));

    const served = system.brokers.map((broker, i) => verifiesServed(broker) - servedBefore[i]!);
    expect(served[0], 'the gateway node runs no license service').to.equal(0);
    expect(served[1], 'license node 1 answered verifies').to.be.above(0);
    expect(served[2], 'license node 2 answered verifies').to.be.above(0);
  });

  it('deactivate-device through a gateway without a local license service; verify agrees on every node', async function () {
    const { id, key, machines } = await licenseWithMachines(2);
    const [a, b] = machines as [{ id: number; hw: string }, { id: number; hw: string }];
    expect(await codes(key, a.hw)).to.deep.equal(all('VALID'));
    // The gateway converts the path's device_id with the schema it learned from the remote node.
    const res = await api('POST', `/api/license/${id}/deactivate-device/${a.id}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ success: true, message: 'Device deactivated successfully' });
    expect(await codes(key, a.hw)).to.deep.equal(all('NOT_ACTIVATED'));
    expect(await codes(key, b.hw)).to.deep.equal(all('VALID'));
  });
});
