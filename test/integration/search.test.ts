// Global search through the gateway against a real system (one process, every service): ranking
// (exact > prefix > contains, then customer, license, device), the answer's shape and urls, the type
// filter, limit bounds, user text taken literally (regex metacharacters, operators), and roles.
import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';
import { adminToken as loginAdmin } from '../helpers/admin.ts';

// Letters that never occur in hex digests or in the fixed parts of the keys below, so a token made
// of them matches only what a test gave it.
const TOKEN_LETTERS = 'GHJKMNPQRSTUVWXYZ';

function token(): string {
  return Array.from({ length: 4 }, () => TOKEN_LETTERS[randomInt(TOKEN_LETTERS.length)]).join('');
}

interface Result {
  type: string;
  id: number;
  title: string;
  subtitle: string;
  url: string;
}

describe('GET /api/global-search', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let adminToken: string;
  let viewerToken: string;

  function search(query: string, tokenOverride?: string | null): Promise<HttpAnswer> {
    const bearer = tokenOverride === undefined ? adminToken : tokenOverride;
    return http('GET', `${system.url}/api/global-search?${query}`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
  }

  async function createCustomer(name: string): Promise<{ id: number; name: string; email: string }> {
    const res = await http('POST', `${system.url}/api/customers`, {
      body: { name, email: `c${randomInt(1e9)}@example.com` },
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  function createLicense(key: string, overrides: Record<string, unknown> = {}): Promise<{ id: number; key: string }> {
    return broker.call('license.create', {
      key,
      type: 'subscription',
      max_activations: 5,
      max_users: 5,
      valid_until: '2099-12-31',
      ...overrides,
    });
  }

  async function activate(key: string, hardware_hash: string, machine_name: string): Promise<number> {
    const res = await http('POST', `${system.url}/api/license/activate`, {
      body: { license_key: key, hardware_hash, machine_name },
      headers: { 'x-api-key': TEST_API_KEY },
    });
    expect(res.status, res.text).to.equal(200);
    return res.body.activation.id;
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    adminToken = await loginAdmin(system.url);
    const viewer = { username: 'search.viewer', password: 'viewer-password-1' };
    const created = await http('POST', `${system.url}/api/admin/users`, {
      body: { ...viewer, role: 'viewer' },
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(created.status, created.text).to.equal(201);
    viewerToken = (await http('POST', `${system.url}/api/admin/login`, { body: viewer })).body.token;
  });

  after(async function () {
    await system?.stop();
  });

  describe('ranking and shape', function () {
    const T = token();
    let expected: Result[];

    before(async function () {
      const exact = await createCustomer(T.toLowerCase());
      const prefix = await createCustomer(`${T} Industries`);
      const contains = await createCustomer(`Big ${T.toLowerCase()} Ltd`);
      const l1 = await createLicense(`${T}-AAAA-BBBB-CCCC`, { customer_id: prefix.id });
      const l2 = await createLicense(`AAAA-${T}-BBBB-CCCC`, {
        customer_id: exact.id,
        valid_from: '2020-01-01',
        valid_until: '2021-01-01',
      });
      const d1 = await activate(l1.key, 'hw-0000000000000001', T.toLowerCase());
      const d2 = await activate(l1.key, `hw-00${T}00`, 'build-box');
      expected = [
        {
          type: 'customer',
          id: exact.id,
          title: exact.name,
          subtitle: exact.email,
          url: `/admin/customers/${exact.id}`,
        },
        {
          type: 'device',
          id: d1,
          title: T.toLowerCase(),
          subtitle: `${l1.key} - Active`,
          url: `/admin/licenses/${l1.id}#devices`,
        },
        {
          type: 'customer',
          id: prefix.id,
          title: prefix.name,
          subtitle: prefix.email,
          url: `/admin/customers/${prefix.id}`,
        },
        {
          type: 'license',
          id: l1.id,
          title: l1.key,
          subtitle: `${prefix.name} - Active`,
          url: `/admin/licenses/${l1.id}`,
        },
        {
          type: 'customer',
          id: contains.id,
          title: contains.name,
          subtitle: contains.email,
          url: `/admin/customers/${contains.id}`,
        },
        {
          type: 'license',
          id: l2.id,
          title: l2.key,
          subtitle: `${exact.name} - Expired`,
          url: `/admin/licenses/${l2.id}`,
        },
        {
          type: 'device',
          id: d2,
          title: 'build-box',
          subtitle: `${l1.key} - Active`,
          url: `/admin/licenses/${l1.id}#devices`,
        },
      ];
    });

    it('ranks exact matches, then prefixes, then the rest; customers, licenses, devices within a rank', async function () {
      const mixedCase = `${T.slice(0, 2).toLowerCase()}${T.slice(2)}`;
      const res = await search(`q=${mixedCase}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('results', 'total');
      for (const r of res.body.results) expect(r).to.have.all.keys('type', 'id', 'title', 'subtitle', 'url');
      expect(res.body).to.deep.equal({ results: expected, total: 7 });
    });

    it('filters by type', async function () {
      for (const type of ['customer', 'license', 'device']) {
        const res = await search(`q=${T}&type=${type}`);
        expect(res.status, res.text).to.equal(200);
        const wanted = expected.filter(r => r.type === type);
        expect(res.body, type).to.deep.equal({ results: wanted, total: wanted.length });
      }
    });

    it('returns the first `limit` results and the total found', async function () {
      const res = await search(`q=${T}&limit=2`);
      expect(res.body).to.deep.equal({ results: expected.slice(0, 2), total: 7 });
      const one = await search(`q=${T}&limit=1&type=license`);
      expect(one.body).to.deep.equal({ results: [expected[3]], total: 2 });
    });

    it('matches a whole license key exactly, ignoring surrounding blanks', async function () {
      const res = await search(`q=${encodeURIComponent(`  ${T.toLowerCase()}-aaaa-bbbb-cccc `)}`);
      expect(res.body).to.deep.equal({ results: [expected[3]], total: 1 });
    });
  });

  it('labels licenses without a customer and inactive ones', async function () {
    const T = token();
    const license = await createLicense(`ZZZZ-${T}-ZZZZ-ZZZZ`);
    await broker.call('license.toggle', { license_id: license.id });
    const res = await search(`q=${T}`);
    expect(res.body).to.deep.equal({
      results: [
        {
          type: 'license',
          id: license.id,
          title: license.key,
          subtitle: 'No customer - Inactive',
          url: `/admin/licenses/${license.id}`,
        },
      ],
      total: 1,
    });
  });

  it('takes regex metacharacters and operators in q literally', async function () {
    const weird = await createCustomer('Meta .* (Group) {"$ne":1} [x]+');
    for (const q of ['.*', '(', '(group)', '{"$ne":1}', '$ne', '[x]+', 'a .* (g']) {
      const res = await search(`q=${encodeURIComponent(q)}`);
      expect(res.status, q).to.equal(200);
      expect(
        res.body.results.map((r: Result) => r.id),
        q,
      ).to.deep.equal([weird.id]);
      expect(res.body.total, q).to.equal(1);
    }
    for (const q of ['.+', 'M.ta', '^Meta', '\\', '[a-z]', 'Group$']) {
      const res = await search(`q=${encodeURIComponent(q)}&type=customer`);
      expect(res.status, q).to.equal(200);
      expect(res.body, q).to.deep.equal({ results: [], total: 0 });
    }
    expectError(await search('q[$ne]=1'), 400, 'VALIDATION_ERROR');
    expectError(await search('q[$regex]=.*'), 400, 'VALIDATION_ERROR');
  });

  it('rejects a missing, blank or oversized q, an unknown type and out-of-range limits with 400', async function () {
    const cases: Array<[string, string]> = [
      ['', 'q'],
      ['q=', 'q'],
      ['q=%20%20', 'q'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['q=acme&type=user', 'type'],
      ['q=acme&type=', 'type'],
      ['q=acme&limit=0', 'limit'],
      ['q=acme&limit=-5', 'limit'],
      ['q=acme&limit=101', 'limit'],
      ['q=acme&limit=1000000', 'limit'],
      ['q=acme&limit=ten', 'limit'],
      ['q=acme&page=2', 'page'],
    ];
    for (const [query, field] of cases) {
      const error = expectError(await search(query), 400, 'VALIDATION_ERROR');
      expect(error.details.field, query).to.equal(field);
    }
    const max = await search('q=a&limit=100');
    expect(max.status).to.equal(200);
    expect(max.body.results.length).to.be.at.most(100);
  });

  it('is readable by a viewer and refused without a valid token', async function () {
    expect((await search('q=acme', viewerToken)).status).to.equal(200);
    expectError(await search('q=acme', null), 401, 'UNAUTHORIZED');
    expectError(await search('q=acme', 'garbage'), 401, 'UNAUTHORIZED');
  });
});
