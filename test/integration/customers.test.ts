// The customer admin API through the gateway against a real system (one process, every service):
// create, read, update, delete, the Select2 search, a customer's licenses and quick stats, the events
// every change sends, bad input (malformed ids, mass assignment, operators), and the role matrix.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import type { Context, ServiceBroker } from 'moleculer';
import { CustomerModel } from '../../models/customer.model.ts';
import {
  ALL_SERVICES,
  TEST_API_KEY,
  http,
  resetStores,
  startSystem,
  type HttpAnswer,
  type TestSystem,
} from '../helpers/system.ts';
import { eventually, expectError } from '../helpers/expect-error.ts';
import { adminToken as loginAdmin, viewerToken as makeViewer } from '../helpers/admin.ts';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CUSTOMER_KEYS = ['id', 'name', 'email', 'company', 'phone', 'notes', 'is_active', 'created_at', 'updated_at'];

function unique(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

describe('customer admin API', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let db: Connection;
  let adminToken: string;
  let viewerToken: string;
  const facts: Array<{ name: string; params: { customer_id?: number; id?: number } }> = [];

  function api(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null } = {},
  ): Promise<HttpAnswer> {
    const token = options.token === undefined ? adminToken : options.token;
    return http(method, `${system.url}${path}`, {
      ...(options.body !== undefined ? { body: options.body } : {}),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  }

  async function createCustomer(
    fields: Record<string, unknown> = {},
  ): Promise<{ id: number; name: string; email: string }> {
    const res = await api('POST', '/api/customers', {
      body: { name: unique('Customer '), email: `${unique('c')}@example.com`, ...fields },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  async function createLicense(
    customerId: number,
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: number; key: string }> {
    return broker.call('license.create', {
      customer_id: customerId,
      type: 'subscription',
      max_activations: 5,
      max_users: 10,
      valid_until: '2099-12-31',
      ...overrides,
    });
  }

  const customers = () =>
    db.collection<{
      _id: number;
      name: string;
      name_lower: string;
      email: string;
      email_lower: string;
      is_active: boolean;
    }>('customers');

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    broker.createService({
      name: 'customerFactSpy',
      events: {
        'customer.*'(ctx: Context<{ customer_id?: number; id?: number }>) {
          facts.push({ name: ctx.eventName ?? '', params: ctx.params });
        },
      },
    });
    await broker.waitForServices(['customerFactSpy'], 5000);
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    adminToken = await loginAdmin(system.url);
    viewerToken = await makeViewer(system.url, adminToken, 'customer.viewer');
  });

  after(async function () {
    await db?.close();
    await system?.stop();
  });

  describe('POST /api/customers', function () {
    it('creates a customer: 201 with the stored fields, normalised copies, and the facts', async function () {
      const res = await api('POST', '/api/customers', {
        body: {
          name: '  Globex Corporation ',
          email: 'Hank@Globex.example',
          company: 'Globex',
          phone: '+1 555 0100',
          notes: 'key account',
        },
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.all.keys(...CUSTOMER_KEYS);
      expect(res.body).to.include({
        name: 'Globex Corporation',
        email: 'Hank@Globex.example',
        company: 'Globex',
        phone: '+1 555 0100',
        notes: 'key account',
        is_active: true,
      });
      expect(res.body.id).to.be.a('number');
      expect(res.body.created_at).to.match(ISO_TIMESTAMP);
      expect(res.headers.get('location')).to.equal(`/api/customer/${res.body.id}`);

      const stored = await customers().findOne({ _id: res.body.id });
      expect(stored).to.include({ name_lower: 'globex corporation', email_lower: 'hank@globex.example' });
      await eventually(
        () => facts.find(f => f.name === 'customer.created' && f.params.customer_id === res.body.id),
        'customer.created',
      );
    });

    it('refuses an email that exists in another case with 409 CUSTOMER_EMAIL_EXISTS, storing nothing', async function () {
      const first = await createCustomer({ email: 'Twin@Example.com' });
      const before = await customers().countDocuments();
      const res = await api('POST', '/api/customers', { body: { name: 'Other', email: 'twin@EXAMPLE.com' } });
      const error = expectError(res, 409, 'CUSTOMER_EMAIL_EXISTS');
      expect(error.details).to.include({ field: 'email' });
      expect(await customers().countDocuments()).to.equal(before);
      expect((await customers().findOne({ _id: first.id }))?.name).to.equal(first.name);
    });

    it('refuses missing, malformed and unknown fields with 400, storing nothing', async function () {
      const before = await customers().countDocuments();
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ email: 'a@example.com' }, 'name', 'required'],
        [{ name: 'A' }, 'email', 'required'],
        [{ name: 'A', email: 'not-an-email' }, 'email', 'format_invalid'],
        [{ name: '   ', email: 'blank@example.com' }, 'name', 'format_invalid'],
        [{ name: { $ne: 1 }, email: 'op@example.com' }, 'name', 'type_invalid'],
        [{ name: 'A', email: 'a@example.com', _id: 5 }, '_id', 'unknown_field'],
        [{ name: 'A', email: 'a@example.com', $set: { is_active: false } }, '$set', 'unknown_field'],
        [{ name: 'A', email: 'a@example.com', created_at: '2020-01-01' }, 'created_at', 'unknown_field'],
        [{ name: 'x'.repeat(201), email: 'long@example.com' }, 'name', 'too_long'],
      ];
      for (const [body, field, reason] of cases) {
        const error = expectError(await api('POST', '/api/customers', { body }), 400, 'VALIDATION_ERROR');
        expect(error.details, JSON.stringify(body)).to.include({ field, reason });
      }
      expect(await customers().countDocuments()).to.equal(before);
    });
  });

  describe('GET /api/customer/:customer_id', function () {
    it('answers the customer', async function () {
      const created = await createCustomer({ company: 'Initech' });
      const res = await api('GET', `/api/customer/${created.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('customer');
      expect(res.body.customer).to.have.all.keys(...CUSTOMER_KEYS);
      expect(res.body.customer).to.include({
        id: created.id,
        name: created.name,
        email: created.email,
        company: 'Initech',
      });
    });

    it('answers 404 CUSTOMER_NOT_FOUND for an unknown id, 400 for ids out of range, 404 for non-numeric ones', async function () {
      expectError(await api('GET', '/api/customer/987654'), 404, 'CUSTOMER_NOT_FOUND');
      for (const bad of ['0', '99999999999999999999']) {
        const error = expectError(await api('GET', `/api/customer/${bad}`), 400, 'VALIDATION_ERROR');
        expect(error.details, bad).to.include({ field: 'customer_id' });
      }
      // Ids in paths are digits (services/api/route-match.ts): anything else reaches no route.
      for (const bad of ['abc', '-1', '1.5', '507f1f77bcf86cd799439011', '%24ne']) {
        expectError(await api('GET', `/api/customer/${bad}`), 404, 'ROUTE_NOT_FOUND');
      }
    });
  });

  describe('PUT /api/customer/:customer_id', function () {
    it("updates the customer's own fields and keeps the normalised copies in step", async function () {
      const created = await createCustomer();
      const res = await api('PUT', `/api/customer/${created.id}`, {
        body: { name: 'Renamed Ltd', email: 'New@Renamed.example', phone: '123' },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ success: true, message: 'Customer updated successfully' });
      expect(res.body.customer).to.include({
        id: created.id,
        name: 'Renamed Ltd',
        email: 'New@Renamed.example',
        phone: '123',
      });
      const stored = await customers().findOne({ _id: created.id });
      expect(stored).to.include({ name: 'Renamed Ltd', name_lower: 'renamed ltd', email_lower: 'new@renamed.example' });
      await eventually(
        () => facts.find(f => f.name === 'customer.updated' && f.params.customer_id === created.id),
        'customer.updated',
      );
    });

    it('refuses mass assignment (_id, id, $set, created_at) and an empty change with 400, changing nothing', async function () {
      const created = await createCustomer();
      const before = await customers().findOne({ _id: created.id });
      for (const [body, field] of [
        [{ _id: 999 }, '_id'],
        [{ id: 999 }, 'id'],
        [{ name: 'Ok', $set: { is_active: false } }, '$set'],
        [{ created_at: '2000-01-01T00:00:00Z' }, 'created_at'],
        [{ name_lower: 'x' }, 'name_lower'],
      ] as Array<[Record<string, unknown>, string]>) {
        const error = expectError(await api('PUT', `/api/customer/${created.id}`, { body }), 400, 'VALIDATION_ERROR');
        expect(error.details).to.include({ field, reason: 'unknown_field' });
      }
      const empty = expectError(await api('PUT', `/api/customer/${created.id}`, { body: {} }), 400, 'VALIDATION_ERROR');
      expect(empty.details).to.include({ reason: 'empty' });
      expect(await customers().findOne({ _id: created.id })).to.deep.equal(before);
    });

    it('answers 409 for an email another customer has, and 404 for an unknown customer', async function () {
      const a = await createCustomer();
      const b = await createCustomer();
      expectError(
        await api('PUT', `/api/customer/${b.id}`, { body: { email: a.email.toUpperCase() } }),
        409,
        'CUSTOMER_EMAIL_EXISTS',
      );
      expect((await customers().findOne({ _id: b.id }))?.email).to.equal(b.email);
      expectError(await api('PUT', '/api/customer/987654', { body: { name: 'Ghost' } }), 404, 'CUSTOMER_NOT_FOUND');
    });

    it('disabling a customer makes its licenses fail verify at once, and enabling them again verifies', async function () {
      const customer = await createCustomer();
      const license = await createLicense(customer.id);
      const hardware = unique('hw-');
      const client = { 'x-api-key': TEST_API_KEY };
      const activated = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hardware },
        headers: client,
      });
      expect(activated.status, activated.text).to.equal(200);
      const verify = () =>
        http('POST', `${system.url}/api/license/verify`, {
          body: { license_key: license.key, hardware_hash: hardware },
          headers: client,
        });
      expect((await verify()).body).to.include({ valid: true, code: 'VALID' });

      expect((await api('PUT', `/api/customer/${customer.id}`, { body: { is_active: false } })).status).to.equal(200);
      expect((await verify()).body).to.include({ valid: false, code: 'CUSTOMER_DISABLED' });

      expect((await api('PUT', `/api/customer/${customer.id}`, { body: { is_active: true } })).status).to.equal(200);
      expect((await verify()).body).to.include({ valid: true, code: 'VALID' });
    });
  });

  describe('DELETE /api/customer/:customer_id', function () {
    it('refuses with 409 CUSTOMER_HAS_LICENSES while licenses exist, keeping the customer', async function () {
      const customer = await createCustomer();
      await createLicense(customer.id);
      await createLicense(customer.id);
      const error = expectError(await api('DELETE', `/api/customer/${customer.id}`), 409, 'CUSTOMER_HAS_LICENSES');
      expect(error.details).to.include({ license_count: 2 });
      expect(await customers().countDocuments({ _id: customer.id })).to.equal(1);
    });

    it('puts the customer back and refuses when a license is created for it during the deletion', async function () {
      const customer = await createCustomer({ notes: 'keep me' });
      const before = await customers().findOne({ _id: customer.id });
      // A concurrent license.create that passed its customer check lands just before the delete.
      // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as it was, and called with its model as `this`
      const original = CustomerModel.deleteOne;
      (CustomerModel as any).deleteOne = function (this: unknown, ...args: any[]) {
        (CustomerModel as any).deleteOne = original;
        return createLicense(customer.id).then(() => (original as any).apply(this, args));
      };
      let res: HttpAnswer;
      try {
        res = await api('DELETE', `/api/customer/${customer.id}`);
      } finally {
        (CustomerModel as any).deleteOne = original;
      }
      expect(expectError(res, 409, 'CUSTOMER_HAS_LICENSES').details).to.include({ license_count: 1 });
      expect(await customers().findOne({ _id: customer.id })).to.deep.equal(before);
      expect(facts.find(f => f.name === 'customer.deleted' && f.params.customer_id === customer.id)).to.equal(
        undefined,
      );
      const licenses = await api('GET', `/api/customer/${customer.id}/licenses`);
      expect(licenses.body.licenses).to.have.lengthOf(1);
    });

    it('deletes a customer without licenses; it is gone afterwards', async function () {
      const customer = await createCustomer();
      const res = await api('DELETE', `/api/customer/${customer.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ success: true, message: 'Customer deleted successfully' });
      expect(await customers().countDocuments({ _id: customer.id })).to.equal(0);
      await eventually(
        () => facts.find(f => f.name === 'customer.deleted' && f.params.customer_id === customer.id),
        'customer.deleted',
      );
      expectError(await api('GET', `/api/customer/${customer.id}`), 404, 'CUSTOMER_NOT_FOUND');
      expectError(await api('DELETE', `/api/customer/${customer.id}`), 404, 'CUSTOMER_NOT_FOUND');
      expectError(await api('DELETE', '/api/customer/abc'), 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('GET /api/customers (Select2)', function () {
    const tag = unique('sel');
    let made: Array<{ id: number; name: string; email: string }>;

    before(async function () {
      made = [];
      for (let i = 0; i < 25; i += 1) {
        made.push(
          await createCustomer({ name: `Zed ${tag} ${String(i).padStart(2, '0')}`, email: `user${i}@${tag}.example` }),
        );
      }
      made.push(await createCustomer({ name: 'Dot.Star (Inc)', email: `dots@${tag}.example` }));
    });

    it('finds by name or email case-insensitively, as "Name - email"', async function () {
      const byName = await api('GET', `/api/customers?q=${tag.toUpperCase()}%2003`);
      expect(byName.status, byName.text).to.equal(200);
      expect(byName.body).to.deep.equal({
        results: [{ id: made[3]!.id, text: `${made[3]!.name} - ${made[3]!.email}` }],
        pagination: { more: false },
      });
      const byEmail = await api('GET', `/api/customers?q=USER7@${tag}`);
      expect(byEmail.body.results).to.deep.equal([{ id: made[7]!.id, text: `${made[7]!.name} - ${made[7]!.email}` }]);
    });

    it('pages by 20 with pagination.more, ordered by name', async function () {
      const first = await api('GET', `/api/customers?q=zed%20${tag}`);
      expect(first.body.results).to.have.lengthOf(20);
      expect(first.body.pagination).to.deep.equal({ more: true });
      expect(first.body.results.map((r: { id: number }) => r.id)).to.deep.equal(made.slice(0, 20).map(c => c.id));
      const second = await api('GET', `/api/customers?q=zed%20${tag}&page=2`);
      expect(second.body.results.map((r: { id: number }) => r.id)).to.deep.equal(made.slice(20, 25).map(c => c.id));
      expect(second.body.pagination).to.deep.equal({ more: false });
      const small = await api('GET', `/api/customers?q=zed%20${tag}&limit=10&page=3`);
      expect(small.body.results.map((r: { id: number }) => r.id)).to.deep.equal(made.slice(20, 25).map(c => c.id));
      const past = await api('GET', `/api/customers?q=zed%20${tag}&page=9`);
      expect(past.body).to.deep.equal({ results: [], pagination: { more: false } });
    });

    it('rejects page 0, negative or non-numeric pages and limits above 100 with 400', async function () {
      for (const query of [
        'page=0',
        'page=-1',
        'page=abc',
        'page=1.5',
        'limit=0',
        'limit=101',
        'limit=100000',
        'page=99999999',
      ]) {
        const error = expectError(await api('GET', `/api/customers?${query}`), 400, 'VALIDATION_ERROR');
        expect(error.details.field, query).to.be.oneOf(['page', 'limit']);
      }
      const all = await api('GET', '/api/customers?limit=100');
      expect(all.status).to.equal(200);
      expect(all.body.results.length).to.be.at.most(100);
    });

    it('treats regex metacharacters and operators in q as literal text', async function () {
      for (const q of ['dot.star (inc)', '(', 'T.S']) {
        const res = await api('GET', `/api/customers?q=${encodeURIComponent(q)}`);
        expect(
          res.body.results.map((r: { id: number }) => r.id),
          q,
        ).to.deep.equal([made[25]!.id]);
      }
      for (const q of ['.*', 'Zed.*', 'd.t', '{"$ne":1}', '^', '\\', '[a-z]+']) {
        const res = await api('GET', `/api/customers?q=${encodeURIComponent(q)}`);
        expect(res.status, q).to.equal(200);
        expect(res.body.results, q).to.deep.equal([]);
      }
      expectError(await api('GET', '/api/customers?q[$ne]=x'), 400, 'VALIDATION_ERROR');
      expectError(await api('GET', '/api/customers?q[$regex]=.*'), 400, 'VALIDATION_ERROR');
    });
  });

  describe("a customer's licenses and quick stats", function () {
    let customer: { id: number };
    let active: { id: number; key: string };

    before(async function () {
      customer = await createCustomer();
      active = await createLicense(customer.id, {
        type: 'perpetual',
        valid_until: null,
        max_users: 10,
        max_activations: 3,
      });
      const inactive = await createLicense(customer.id, { max_users: 5 });
      await broker.call('license.toggle', { license_id: inactive.id });
      await createLicense(customer.id, {
        type: 'trial',
        valid_from: '2020-01-01',
        valid_until: '2021-01-01',
        max_users: 7,
      });
      for (const hw of ['hw-stats-1', 'hw-stats-2']) {
        const res = await http('POST', `${system.url}/api/license/activate`, {
          body: { license_key: active.key, hardware_hash: hw },
          headers: { 'x-api-key': TEST_API_KEY },
        });
        expect(res.status, res.text).to.equal(200);
      }
    });

    it('lists the licenses in the documented shape', async function () {
      const res = await api('GET', `/api/customer/${customer.id}/licenses`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('licenses');
      expect(res.body.licenses).to.have.lengthOf(3);
      for (const l of res.body.licenses) {
        expect(l).to.have.all.keys(
          'id',
          'license_key',
          'type',
          'status',
          'valid_until',
          'max_activations',
          'current_activations',
        );
      }
      expect(res.body.licenses.map((l: { status: string }) => l.status)).to.deep.equal([
        'active',
        'inactive',
        'expired',
      ]);
      expect(res.body.licenses[0]).to.deep.equal({
        id: active.id,
        license_key: active.key,
        type: 'perpetual',
        status: 'active',
        valid_until: null,
        max_activations: 3,
        current_activations: 2,
      });
      expect(res.body.licenses[2].valid_until).to.equal('2021-01-01');
    });

    it('answers the quick stats: total_users sums max_users of the active licenses only', async function () {
      const res = await api('GET', `/api/customer/${customer.id}/quick-stats`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ total_licenses: 3, active_licenses: 1, total_activations: 2, total_users: 10 });
      const empty = await createCustomer();
      expect((await api('GET', `/api/customer/${empty.id}/quick-stats`)).body).to.deep.equal({
        total_licenses: 0,
        active_licenses: 0,
        total_activations: 0,
        total_users: 0,
      });
    });

    it('answers 404 for an unknown customer or a non-numeric id, and 400 for an id out of range', async function () {
      expectError(await api('GET', '/api/customer/987654/licenses'), 404, 'CUSTOMER_NOT_FOUND');
      expectError(await api('GET', '/api/customer/987654/quick-stats'), 404, 'CUSTOMER_NOT_FOUND');
      expectError(await api('GET', '/api/customer/x1/licenses'), 404, 'ROUTE_NOT_FOUND');
      expectError(await api('GET', '/api/customer/0/quick-stats'), 400, 'VALIDATION_ERROR');
    });
  });

  describe('roles', function () {
    it('lets a viewer read and refuses its writes with 403; without a token every route is 401', async function () {
      const customer = await createCustomer();
      const reads = [
        '/api/customers',
        `/api/customer/${customer.id}`,
        `/api/customer/${customer.id}/licenses`,
        `/api/customer/${customer.id}/quick-stats`,
      ];
      const writes: Array<[string, string, unknown]> = [
        ['POST', '/api/customers', { name: 'Viewer Made', email: 'viewer.made@example.com' }],
        ['PUT', `/api/customer/${customer.id}`, { name: 'Viewer Renamed' }],
        ['DELETE', `/api/customer/${customer.id}`, undefined],
      ];
      for (const path of reads) {
        expect((await api('GET', path, { token: viewerToken })).status, path).to.equal(200);
        expectError(await api('GET', path, { token: null }), 401, 'UNAUTHORIZED');
        expectError(await api('GET', path, { token: 'not-a-token' }), 401, 'UNAUTHORIZED');
      }
      for (const [method, path, body] of writes) {
        expectError(await api(method, path, { body, token: viewerToken }), 403, 'FORBIDDEN');
        expectError(await api(method, path, { body, token: null }), 401, 'UNAUTHORIZED');
      }
      const stored = await customers().findOne({ _id: customer.id });
      expect(stored?.name).to.equal(customer.name);
      expect(await customers().countDocuments({ email_lower: 'viewer.made@example.com' })).to.equal(0);
    });
  });
});

describe('customer changes across two nodes over NATS', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let adminToken: string;
  const client = { 'x-api-key': TEST_API_KEY };

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [ALL_SERVICES, ALL_SERVICES],
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' },
    });
    expect(system.urls).to.have.lengthOf(2);
    adminToken = await loginAdmin(system.urls[0]!);
  });

  after(async function () {
    await system?.stop();
  });

  // Repeated: the change crosses NATS, and a lost race must show up reliably, not one run in three.
  it('a customer disabled through node 0 fails verify on the very next verify on node 1 (and node 0)', async function () {
    const admin = { authorization: `Bearer ${adminToken}` };
    for (let round = 0; round < 10; round += 1) {
      const customer = await http('POST', `${system.urls[0]}/api/customers`, {
        body: { name: `Nats ${round}`, email: `${unique('n')}@example.com` },
        headers: admin,
      });
      expect(customer.status, customer.text).to.equal(201);
      const license = await system.brokers[0]!.call<{ key: string }, Record<string, unknown>>('license.create', {
        customer_id: customer.body.id,
        type: 'perpetual',
        max_activations: 2,
        max_users: 2,
      });
      const hw = unique('hw-');
      const activated = await http('POST', `${system.urls[0]}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: hw },
        headers: client,
      });
      expect(activated.status, activated.text).to.equal(200);
      const verifyAt = (url: string) =>
        http('POST', `${url}/api/license/verify`, {
          body: { license_key: license.key, hardware_hash: hw },
          headers: client,
        });
      for (const url of system.urls) expect((await verifyAt(url)).body.code, 'warm view').to.equal('VALID');

      const disabled = await http('PUT', `${system.urls[0]}/api/customer/${customer.body.id}`, {
        body: { is_active: false },
        headers: admin,
      });
      expect(disabled.status, disabled.text).to.equal(200);
      expect((await verifyAt(system.urls[1]!)).body.code, `round ${round}, node 1`).to.equal('CUSTOMER_DISABLED');
      expect((await verifyAt(system.urls[0]!)).body.code, `round ${round}, node 0`).to.equal('CUSTOMER_DISABLED');
    }
  });
});
