// The security suite, generated from the OpenAPI document (GET /api/docs/openapi.json), so a new route
// is attacked the day it is added: for every operation, no and wrong credentials, a viewer on writes,
// MongoDB operators, __proto__, unknown fields and wrong types in its body and query, huge and deeply
// nested bodies, huge pages, regex bombs in search strings, forged forwarding and override headers.
// Every refusal is a 4xx in the common format with nothing internal in it, and nothing is stored.
// Then cross-owner ids, brute-force login, the staff pages (session, CSRF, role), and finally a dump of
// the database, Redis and the logs written meanwhile, which must hold none of the secrets used.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { Redis } from 'ioredis';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { signJwt } from '../../lib/security/jwt.ts';
import { PAGE_ROUTES } from '../../services/api/routes/index.ts';
import {
  acceptsObject,
  expectClientError,
  expectNoServerError,
  operationsOf,
  sampleBody,
  wrongQueryValue,
  wrongType,
  type Operation,
} from '../helpers/openapi-probe.ts';
import { PageClient } from '../helpers/pages.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { securityFixtures, type Fixtures } from '../helpers/security-fixtures.ts';

const VIEWER = { username: 'sec.viewer', password: 'sec-viewer-password-1' };
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
/** Collections written by requests; background ones (alerts, histories, delivery logs) are not compared. */
const STORED = [
  'admin_users',
  'api_keys',
  'customers',
  'licenses',
  'activations',
  'resources',
  'releases',
  'webhook_endpoints',
  'lead_institutions',
  'lead_contacts',
  'lead_activities',
  'counters',
];

describe('security suite (generated from the OpenAPI document)', function () {
  this.timeout(180_000);
  let system: TestSystem;
  let db: Connection;
  let operations: Operation[];
  let fx: Fixtures;
  const secrets: string[] = [TEST_CREDENTIALS.adminPassword, VIEWER.password, WEBHOOK_SECRET];
  const logs: string[] = [];
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  const auth = (op: Operation, as: 'admin' | 'viewer' = 'admin'): Record<string, string> =>
    op.auth === 'apiKey'
      ? { 'x-api-key': TEST_API_KEY }
      : op.auth === 'bearer'
        ? { authorization: `Bearer ${as === 'admin' ? fx.adminToken : fx.viewerToken}` }
        : {};

  function urlOf(op: Operation, query: Record<string, unknown> = {}, ids: Record<string, string> = {}): string {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(ids[name] ?? fx.ids[name] ?? '1'),
    );
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      // An array is the key repeated (`q=a&q=b`), as a query string sends a list.
      for (const item of Array.isArray(v) ? v : [v])
        qs.append(k, typeof item === 'string' ? item : JSON.stringify(item));
    }
    const search = qs.toString();
    return `${system.url}${path}${search ? `?${search}` : ''}`;
  }

  function send(
    op: Operation,
    options: {
      body?: unknown;
      raw?: string;
      query?: Record<string, unknown>;
      headers?: Record<string, string>;
      as?: 'admin' | 'viewer';
    } = {},
  ): Promise<HttpAnswer> {
    const headers = { ...auth(op, options.as), ...options.headers };
    const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
    return http(op.method, urlOf(op, options.query), {
      headers: options.raw !== undefined ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(options.raw !== undefined ? { rawBody: options.raw } : hasBody ? { body: options.body ?? {} } : {}),
    });
  }

  /** Every stored document of the request-written collections, as one digest per collection. */
  async function snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of STORED) {
      const docs = await db.collection(name).find().sort({ _id: 1 }).toArray();
      out[name] = createHash('sha256').update(JSON.stringify(docs)).digest('hex');
    }
    return out;
  }

  async function unchanged(what: string, run: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await run();
    expect(await snapshot(), `${what} stored something`).to.deep.equal(before);
  }

  before(async function () {
    await resetStores();
    const capture =
      (sink: 'out' | 'err') =>
      (chunk: unknown, ...rest: unknown[]) => {
        logs.push(String(chunk));
        return (writes[sink] as (...a: unknown[]) => boolean)(chunk, ...rest);
      };
    process.stdout.write = capture('out');
    process.stderr.write = capture('err');
    system = await startSystem({
      env: {
        LOG_LEVEL: 'debug',
        TRUST_PROXY: '1',
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_IP_PER_MINUTE: '100000',
      },
    });
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    const doc = await http('GET', `${system.url}/api/docs/openapi.json`);
    operations = operationsOf(doc.body);
    fx = await securityFixtures(system.url, VIEWER, WEBHOOK_SECRET);
    secrets.push(fx.adminToken, fx.viewerToken, fx.pageCookie);
  });

  after(async function () {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    await system?.stop();
    await db?.close();
  });

  it('covers every route of the document', function () {
    expect(operations.length).to.be.above(50);
    expect(operations.filter(o => o.auth === 'bearer' && o.role === null)).to.deep.equal([]);
  });

  it('refuses every protected route without credentials and with wrong ones (401, the reference body for the API key)', async function () {
    const forged = await signJwt(
      { typ: 'admin', sub: '1', name: 'admin', role: 'admin', jti: 'forgedforgedforged1', iat: 1, exp: 4_000_000_000 },
      'not-the-secret',
    );
    for (const op of operations.filter(o => o.auth !== 'none')) {
      await unchanged(`${op.method} ${op.path} without credentials`, async () => {
        const variants: Array<Record<string, string>> =
          op.auth === 'apiKey'
            ? [
                {},
                { 'x-api-key': 'wrong-key' },
                { 'x-api-key': `${TEST_API_KEY}4` },
                { authorization: `Bearer ${fx.adminToken}` },
              ]
            : [
                {},
                { authorization: 'Bearer garbage' },
                { authorization: `Bearer ${forged}` },
                { 'x-api-key': TEST_API_KEY },
              ];
        for (const headers of variants) {
          const res = await http(op.method, urlOf(op), {
            headers,
            ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} }),
          });
          expectClientError(res, `${op.method} ${op.path} with ${JSON.stringify(headers).slice(0, 40)}`, [401]);
        }
      });
    }
  });

  it('refuses a viewer on every write route (403), storing nothing', async function () {
    for (const op of operations.filter(o => o.role === 'admin')) {
      await unchanged(`${op.method} ${op.path} as a viewer`, async () => {
        const res = await send(op, { as: 'viewer', body: op.body ? sampleBody(op.body, true) : {} });
        expectClientError(res, `${op.method} ${op.path} as a viewer`, [403]);
      });
    }
  });

  it('refuses MongoDB operators, __proto__, unknown fields and wrong types in every body and query', async function () {
    for (const op of operations.filter(o => o.auth !== 'none' || o.body || Object.keys(o.query).length > 0)) {
      const fields = op.body ? Object.entries(op.body.properties ?? {}) : Object.entries(op.query);
      const base = op.body ? sampleBody(op.body) : {};
      await unchanged(`${op.method} ${op.path} with injections`, async () => {
        for (const [field, schema] of fields) {
          for (const attack of [{ $gt: '' }, { $ne: null }, { $where: 'sleep(1000)' }]) {
            if (acceptsObject(schema)) continue;
            const res = op.body
              ? await send(op, { body: { ...base, [field]: attack } })
              : await send(op, { query: { [`${field}[${Object.keys(attack)[0]}]`]: 'x' } });
            expectClientError(res, `${op.method} ${op.path} ${field}=${JSON.stringify(attack)}`, [400, 404]);
          }
          const res = op.body
            ? await send(op, { body: { ...base, [field]: wrongType(schema) } })
            : await send(op, { query: { [field]: wrongQueryValue(schema) } });
          expectClientError(res, `${op.method} ${op.path} ${field} of a wrong type`, [400, 404]);
        }
        if (op.body) {
          const json = JSON.stringify(base);
          for (const raw of [
            `{"__proto__":{"role":"admin"},${json.slice(1)}`,
            `{"constructor":{"prototype":{"role":"admin"}},${json.slice(1)}`,
            JSON.stringify({ ...base, injected_field: 1 }),
          ]) {
            expectClientError(
              await send(op, { raw: raw.replace(',}', '}') }),
              `${op.method} ${op.path} ${raw.slice(0, 40)}`,
              [400, 404],
            );
          }
        } else if (op.auth !== 'none') {
          const res = await send(op, {
            query: { '__proto__[role]': 'admin', 'constructor[prototype][role]': 'admin' },
          });
          expectClientError(res, `${op.method} ${op.path} __proto__ in the query`, [400, 404]);
        }
      });
    }
  });

  it('refuses huge and deeply nested bodies, and huge pages, fast', async function () {
    for (const op of operations) {
      await unchanged(`${op.method} ${op.path} with oversized input`, async () => {
        if (op.body) {
          expectClientError(
            await send(op, { raw: JSON.stringify({ x: 'y'.repeat(70_000) }) }),
            `${op.path} huge`,
            [413],
          );
          const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
          expectClientError(await send(op, { raw: deep }), `${op.path} deep`, [400]);
          const wide = JSON.stringify({ ...sampleBody(op.body), list: Array.from({ length: 5000 }, (_, i) => i) });
          expectClientError(await send(op, { raw: wide }), `${op.path} wide`, [400]);
        }
        for (const name of ['page', 'limit', 'per_page'].filter(n => n in op.query)) {
          const started = Date.now();
          const res = await send(op, { query: { [name]: '999999999999' } });
          expectClientError(res, `${op.path} ${name}=huge`, [400]);
          expect(Date.now() - started).to.be.below(1000);
        }
      });
    }
  });

  it('answers regex-bomb search strings fast, treated as plain text', async function () {
    const bombs = ['(a+)+$', '(.*a){30}', `${'a'.repeat(60)}!`, '[', '\\', '.*'];
    for (const op of operations) {
      const textFields = Object.entries(op.body?.properties ?? op.query).filter(
        ([name, s]) => /^(q|search|query|text)$/.test(name) && !acceptsObject(s),
      );
      for (const [field] of textFields) {
        for (const bomb of bombs) {
          const started = Date.now();
          const res = op.body
            ? await send(op, { body: { ...sampleBody(op.body), [field]: bomb } })
            : await send(op, { query: { [field]: bomb } });
          expectNoServerError(res, `${op.path} ${field}=${bomb}`);
          expect(Date.now() - started, `${op.path} ${field}=${bomb}`).to.be.below(1000);
        }
      }
    }
  });

  it('is not fooled by forwarding and override headers', async function () {
    const forged = {
      'x-forwarded-for': '127.0.0.1, 10.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-host': 'evil.example',
      'x-original-url': '/api/admin/users',
      'x-rewrite-url': '/api/admin/users',
      'x-http-method-override': 'DELETE',
    };
    for (const op of operations) {
      await unchanged(`${op.method} ${op.path} with forged headers`, async () => {
        const res = await http(op.method, urlOf(op), {
          headers: forged,
          ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} }),
        });
        if (op.auth !== 'none') expectClientError(res, `${op.method} ${op.path} forged headers`, [401]);
        else expectNoServerError(res, `${op.method} ${op.path} forged headers`);
      });
    }
  });

  it("refuses another license's device and activation: 404, or not valid, and nothing changes", async function () {
    for (const op of operations.filter(o => o.pathParams.filter(p => p.endsWith('_id')).length >= 2)) {
      await unchanged(`${op.method} ${op.path} across owners`, async () => {
        const res = await http(op.method, urlOf(op, {}, fx.foreignIds), {
          headers: auth(op),
          ...(op.method === 'POST' || op.method === 'PUT' ? { body: {} } : {}),
        });
        expectClientError(res, `${op.method} ${op.path} with another license's id`, [403, 404]);
      });
    }
    for (const [path, body] of [
      ['/api/license/heartbeat', { license_key: fx.licenseKeyA, activation_id: fx.activationB }],
      [
        '/api/v1/validate',
        { license_key: fx.licenseKeyA, hardware_id: 'sec-machine-a', activation_id: fx.activationB },
      ],
    ] as const) {
      const res = await http('POST', `${system.url}${path}`, { headers: { 'x-api-key': TEST_API_KEY }, body });
      expectNoServerError(res, path);
      expect(res.body.valid, `${path}: ${res.text}`).to.equal(false);
    }
  });

  it('slows brute-force login down and never locks the real admin out', async function () {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const res = await http('POST', `${system.url}/api/admin/login`, {
        headers: { 'x-forwarded-for': '203.0.113.99' },
        body: { username: TEST_CREDENTIALS.adminUsername, password: `guess-${i}` },
      });
      statuses.push(res.status);
      if (res.status !== 401) expectClientError(res, 'brute force', [429]);
    }
    expect(statuses.filter(s => s === 429).length).to.be.at.least(4);
    expect(
      (
        await http('POST', `${system.url}/api/admin/login`, {
          headers: { 'x-forwarded-for': '198.51.100.5' },
          body: { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword },
        })
      ).status,
    ).to.equal(200);
  });

  it('guards every staff page: no session, no CSRF token, a viewer on admin forms', async function () {
    const viewer = new PageClient(system.url);
    await viewer.login(VIEWER.username, VIEWER.password);
    secrets.push(...viewer.cookies.values());
    for (const route of PAGE_ROUTES.filter(r => r.auth === 'page' || r.auth === 'pageAdmin')) {
      const path = route.path.replace(/:(\w+)/g, (_, name: string) => fx.ids[name] ?? '999999');
      await unchanged(`${route.method} ${route.path} unguarded`, async () => {
        const anonymous = new PageClient(system.url);
        const res =
          route.method === 'GET' ? await anonymous.get(path) : await anonymous.post(path, {}, 'no-session-token');
        expect(res.status, `${route.method} ${route.path} without a session`).to.equal(303);
        expect(res.location).to.match(/^\/login/);
        if (route.method === 'POST') {
          const submit = (csrf: string | null) =>
            route.body === 'multipart'
              ? viewer.upload(path, 'name\nx\n', 'leads.csv', csrf)
              : viewer.post(path, {}, csrf);
          expect((await submit(null)).status, `${route.path} without CSRF`).to.equal(403);
          expect((await submit('forged-csrf-token')).status, `${route.path} forged CSRF`).to.equal(403);
          if (route.auth === 'pageAdmin') {
            await viewer.get('/leads/');
            expect((await submit(viewer.csrf)).status, `${route.path} as a viewer`).to.equal(403);
          }
        }
      });
    }
  });

  it('leaves no raw secret in the database, in Redis or in the logs', async function () {
    // A key shown once, then never again: regenerate it last (the test key stops working).
    const regenerated = await http('POST', `${system.url}/api/admin/api-key/regenerate`, {
      headers: { authorization: `Bearer ${fx.adminToken}` },
    });
    expect(regenerated.status).to.equal(200);
    secrets.push(regenerated.body.api_key, fx.analyticsToken);
    const dump: string[] = [];
    for (const { name } of await db.db!.listCollections().toArray()) {
      dump.push(JSON.stringify(await db.collection(name).find().toArray()));
    }
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      for (const key of await redis.keys(`${system.redisKeyPrefix}*`)) {
        const type = await redis.type(key);
        if (type === 'string') dump.push(key, String(await redis.get(key)));
        if (type === 'hash') dump.push(key, JSON.stringify(await redis.hgetall(key)));
        if (type === 'zset') dump.push(key, JSON.stringify(await redis.zrange(key, 0, -1)));
      }
    } finally {
      redis.disconnect();
    }
    const haystacks = { database: dump.join('\n'), logs: logs.join('') };
    expect(haystacks.logs.length, 'the logs were captured').to.be.above(1000);
    for (const secret of secrets.filter(s => s.length >= 12)) {
      for (const [where, text] of Object.entries(haystacks)) {
        expect(text.includes(secret), `${where} holds a raw secret (${secret.slice(0, 6)}...)`).to.equal(false);
      }
    }
  });
});
