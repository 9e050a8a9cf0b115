// The OpenAPI document is generated from the route table and the running actions' schemas, so it must
// list every route with the parameters its action validates.
import { expect } from 'chai';
import { ROUTES } from '../../services/api/routes/index.ts';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
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

  it('names the server it came from: relative first, then the real listening address and port', function () {
    const port = new URL(system.url).port;
    expect(port).to.match(/^\d+$/);
    expect(doc.servers[0].url).to.equal('/');
    expect(doc.servers.map((s: any) => s.url)).to.include(`http://127.0.0.1:${port}`);
    expect(JSON.stringify(doc.servers)).to.not.include(':8080');
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

describe('GET /api/docs (API reference page)', function () {
  this.timeout(20_000);
  const ASSETS = '/api/docs/assets/';
  let system: TestSystem;
  let page: HttpAnswer<string>;
  let referenced: string[];

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api']] });
    page = await http('GET', `${system.url}/api/docs`);
    referenced = [...page.text.matchAll(/\s(?:src|href)="([^"]*)"/g)].map(m => m[1]!);
  });

  after(async function () {
    await system?.stop();
  });

  it('answers 200 text/html under a Content-Security-Policy without inline scripts', function () {
    expect(page.status, page.text).to.equal(200);
    expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSrc = csp.split(';').find(d => d.trim().startsWith('script-src'));
    expect(scriptSrc?.trim()).to.equal("script-src 'self'");
    // Every script is a file: no script element has content of its own.
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).to.have.length.above(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).to.match(/\ssrc="/);
      expect(body!.trim()).to.equal('');
    }
    expect(page.text).to.not.match(/\son[a-z]+=/i);
  });

  it('references only files of its own assets route, on the same origin', function () {
    expect(referenced).to.have.length.above(2);
    for (const url of referenced) expect(url.startsWith(ASSETS), url).to.equal(true);
  });

  it('serves every referenced file with its content type', async function () {
    const types: Record<string, RegExp> = {
      css: /^text\/css; charset=utf-8$/,
      js: /^text\/javascript; charset=utf-8$/,
      png: /^image\/png$/,
    };
    for (const url of referenced) {
      const res = await fetch(`${system.url}${url}`);
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status, url).to.equal(200);
      const extension = url.split('.').pop()!;
      expect(types[extension], url).to.be.instanceOf(RegExp);
      expect(res.headers.get('content-type'), url).to.match(types[extension]!);
      expect(body.length, url).to.be.above(0);
    }
  });

  it("starts Swagger UI on this server's OpenAPI document, from a file", async function () {
    const scripts = referenced.filter(url => url.endsWith('.js'));
    const texts = await Promise.all(scripts.map(async url => (await http('GET', `${system.url}${url}`)).text));
    expect(texts.some(text => text.includes("url: '/api/docs/openapi.json'"))).to.equal(true);
    expect((await http('GET', `${system.url}/api/docs/openapi.json`)).status).to.equal(200);
  });

  it('answers 404 for a file outside its list, even one the package has', async function () {
    for (const name of ['nope.js', 'package.json', 'index.html', 'swagger-ui.js.map']) {
      expectError(await http('GET', `${system.url}${ASSETS}${name}`), 404, 'ROUTE_NOT_FOUND');
    }
  });

  it('answers 404 for a path-traversal attempt', async function () {
    for (const name of [
      '..%2fpackage.json',
      '..%2f..%2f..%2fpackage.json',
      '%2e%2e%2fpackage.json',
      '..%5cpackage.json',
    ]) {
      const res = await http('GET', `${system.url}${ASSETS}${name}`);
      expectError(res, 404, 'ROUTE_NOT_FOUND');
      expect(res.text).to.not.include('swagger-ui-dist');
    }
    // Dot segments a client does not normalise away do not leave the route either.
    expectError(await http('GET', `${system.url}/api/docs/assets/x/..%2f..%2fpackage.json`), 404, 'ROUTE_NOT_FOUND');
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
