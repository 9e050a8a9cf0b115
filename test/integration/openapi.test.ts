// The OpenAPI document is generated from the route table and the running actions' schemas, so it must
// list every route with the parameters its action validates.
import { expect } from 'chai';
import { ROUTES } from '../../services/api/routes/index.ts';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

describe('GET /api/docs/openapi.json', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let doc: any;

  before(async function () {
    await resetStores();
    system = await startSystem();
    const res = await http('GET', `${system.url}/api/docs/openapi.json`);
    expect(res.status).to.equal(200);
    doc = res.body;
  });

  after(async function () {
    await system?.stop();
  });

  it('is an OpenAPI 3.1 document with both security schemes', function () {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.components.securitySchemes).to.have.all.keys('ApiKey', 'BearerAuth');
  });

  it('documents every route of the route table with its method, security and path parameters', function () {
    for (const route of ROUTES) {
      const op = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).to.be.an('object');
      expect(op.operationId).to.equal(route.action);
      const security =
        route.auth === 'apiKey' ? [{ ApiKey: [] }] : route.auth === 'none' ? undefined : [{ BearerAuth: [] }];
      expect(op.security, `${route.method} ${route.path}`).to.deep.equal(security);
      for (const name of [...route.path.matchAll(/:([A-Za-z_]+)/g)].map(m => m[1])) {
        expect(
          op.parameters.find((p: any) => p.name === name && p.in === 'path'),
          `${route.path} ${name}`,
        ).to.be.an('object');
      }
    }
  });

  it('derives request bodies and query parameters from the action schemas', function () {
    const verify = doc.paths['/api/license/verify'].post;
    expect(verify.requestBody.content['application/json'].schema.required).to.deep.equal([
      'license_key',
      'hardware_hash',
    ]);
    expect(verify.requestBody.content['application/json'].schema.properties.license_key.pattern).to.be.a('string');
    const list = doc.paths['/api/licenses'].get;
    expect(list.parameters.map((p: any) => `${p.in}:${p.name}`)).to.include.members([
      'query:page',
      'query:limit',
      'query:status',
    ]);
    const quickEdit = doc.paths['/api/license/{license_id}/quick-edit'].post;
    expect(Object.keys(quickEdit.requestBody.content['application/json'].schema.properties)).to.have.members([
      'valid_until',
      'max_activations',
      'max_users',
    ]);
  });
});

describe('admin rate limit', function () {
  this.timeout(20_000);
  let system: TestSystem;

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_ADMIN_PER_MINUTE: '3', RATE_LIMIT_PUBLIC_PER_MINUTE: '100' } });
  });

  after(async function () {
    await system?.stop();
  });

  it('allows RATE_LIMIT_ADMIN_PER_MINUTE requests per token, then answers 429 with Retry-After', async function () {
    // Stay inside one window: the limit counts per wall-clock minute.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise(resolve => setTimeout(resolve, 60_500 - intoMinute));
    const login = await http('POST', `${system.url}/api/admin/login`, {
      body: { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword },
    });
    expect(login.status, login.text).to.equal(200);
    const headers = { authorization: `Bearer ${login.body.token}` };
    for (let i = 0; i < 3; i += 1) {
      const res = await http('GET', `${system.url}/api/versions`, { headers });
      expect(res.status, res.text).to.equal(200);
      expect(res.headers.get('x-ratelimit-limit')).to.equal('3');
      expect(res.headers.get('x-ratelimit-remaining')).to.equal(String(2 - i));
    }
    const limited = await http('GET', `${system.url}/api/versions`, { headers });
    expectError(limited, 429, 'RATE_LIMIT_EXCEEDED');
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
  });
});
