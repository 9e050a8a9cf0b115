// What the security review found at the gateway, each kept fixed: the client IP behind proxies, limits
// that made-up credentials cannot multiply, the route clash of client paths with admin ids, CORS,
// security headers on every JSON answer, and 5xx logs without URLs.
import { expect } from 'chai';
import { adminToken } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

const KEY = { 'x-api-key': TEST_API_KEY };
const SERVICES = ['api', 'auth', 'license', 'device', 'version', 'customer', 'web'] as const;

/** Rate-limit windows are whole minutes: a short test must not straddle two of them. */
async function awayFromMinuteBoundary(marginMs = 5000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise(resolve => setTimeout(resolve, left + 50));
}

function verify(url: string, headers: Record<string, string> = {}) {
  return http('POST', `${url}/api/license/verify`, {
    headers: { ...KEY, ...headers },
    body: { license_key: 'TEST-TEST-TEST-TEST', hardware_hash: 'gateway-hardening' },
  });
}

async function withSystem(env: Record<string, string>, run: (system: TestSystem) => Promise<void>): Promise<void> {
  const system = await startSystem({ nodes: [[...SERVICES]], env });
  try {
    await run(system);
  } finally {
    await system.stop();
  }
}

describe('gateway hardening', function () {
  this.timeout(60_000);

  before(async function () {
    await resetStores();
  });

  describe('client IP behind TRUST_PROXY proxies', function () {
    it('counts the public limit under the address our proxy appended, whatever the client wrote to its left', async function () {
      await withSystem({ TRUST_PROXY: '1', RATE_LIMIT_PUBLIC_PER_MINUTE: '5' }, async system => {
        await awayFromMinuteBoundary();
        const statuses: number[] = [];
        for (let i = 0; i < 7; i += 1) {
          // The client claims a new address each time; the proxy appends the one it saw.
          const res = await verify(system.url, { 'x-forwarded-for': `10.9.8.${i}, 203.0.113.9` });
          statuses.push(res.status);
        }
        expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429, 429]);
        // Another client behind the same proxy has its own bucket.
        expect((await verify(system.url, { 'x-forwarded-for': '203.0.113.10' })).status).to.equal(200);
      });
    });

    it('counts values that are not an IP address, and over-long ones, under the socket address', async function () {
      await withSystem({ TRUST_PROXY: '1', RATE_LIMIT_PUBLIC_PER_MINUTE: '4' }, async system => {
        await awayFromMinuteBoundary();
        const junk = ['not-an-ip', 'x'.repeat(5000), '1.2.3.4.5', '999.1.1.1', ''];
        const statuses: number[] = [];
        for (const value of junk) statuses.push((await verify(system.url, { 'x-forwarded-for': value })).status);
        // Five requests, one bucket (127.0.0.1): the fifth is over the limit of 4.
        expect(statuses).to.deep.equal([200, 200, 200, 200, 429]);
      });
    });

    it('with TRUST_PROXY=0 (the default) ignores X-Forwarded-For altogether', async function () {
      await withSystem({ RATE_LIMIT_PUBLIC_PER_MINUTE: '3' }, async system => {
        await awayFromMinuteBoundary();
        const statuses: number[] = [];
        for (let i = 0; i < 4; i += 1) {
          statuses.push((await verify(system.url, { 'x-forwarded-for': `198.51.100.${i}` })).status);
        }
        expect(statuses).to.deep.equal([200, 200, 200, 429]);
      });
    });
  });

  describe('admin limits', function () {
    it('limits admin requests per client IP before authentication: made-up bearer tokens get no fresh buckets', async function () {
      await withSystem({ RATE_LIMIT_ADMIN_IP_PER_MINUTE: '5' }, async system => {
        await awayFromMinuteBoundary();
        const statuses: number[] = [];
        for (let i = 0; i < 7; i += 1) {
          const res = await http('GET', `${system.url}/api/licenses`, {
            headers: { authorization: `Bearer random-${i}-${Math.random()}` },
          });
          statuses.push(res.status);
        }
        expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429, 429]);
      });
    });

    it('limits per verified token, not per spelling of the Authorization header', async function () {
      await withSystem({ RATE_LIMIT_ADMIN_PER_MINUTE: '4', RATE_LIMIT_PUBLIC_PER_MINUTE: '1000' }, async system => {
        const token = await adminToken(system.url);
        await awayFromMinuteBoundary();
        const spellings = [
          `Bearer ${token}`,
          `bearer  ${token}`,
          `BEARER ${token}`,
          `Bearer   ${token}`,
          `Bearer ${token}`,
        ];
        const statuses: number[] = [];
        for (const authorization of spellings) {
          statuses.push((await http('GET', `${system.url}/api/licenses`, { headers: { authorization } })).status);
        }
        expect(statuses).to.deep.equal([200, 200, 200, 200, 429]);
        // Another token of the same address is counted on its own.
        const other = await adminToken(system.url);
        expect(
          (await http('GET', `${system.url}/api/licenses`, { headers: { authorization: `Bearer ${other}` } })).status,
        ).to.equal(200);
      });
    });

    it('limits page requests per client IP before the session is looked up: made-up cookies get no fresh buckets', async function () {
      await withSystem({ RATE_LIMIT_ADMIN_IP_PER_MINUTE: '4' }, async system => {
        await awayFromMinuteBoundary();
        const statuses: number[] = [];
        for (let i = 0; i < 6; i += 1) {
          const cookie = `ls_session=${Buffer.from(`${i}-${Math.random()}`.padEnd(32, 'x')).toString('base64url').slice(0, 43)}`;
          const res = await fetch(`${system.url}/leads/`, {
            headers: { cookie, accept: 'text/html' },
            redirect: 'manual',
          });
          await res.text();
          statuses.push(res.status);
        }
        expect(statuses).to.deep.equal([303, 303, 303, 303, 429, 429]);
      });
    });
  });

  describe('routes', function () {
    let system: TestSystem;
    before(async function () {
      system = await startSystem({ nodes: [[...SERVICES]] });
    });
    after(async function () {
      await system?.stop();
    });

    it('answers GET /api/license/verify (a client route with the wrong method) 405 with Allow: POST', async function () {
      const res = await http('GET', `${system.url}/api/license/verify`, { headers: KEY });
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).to.equal('POST');
      expect(res.body.error.details).to.deep.equal({ allowed: ['POST'] });
    });

    it('lets ids in admin paths match digits only: /api/license/12x is no route', async function () {
      const token = await adminToken(system.url);
      const res = await http('GET', `${system.url}/api/license/12x`, { headers: { authorization: `Bearer ${token}` } });
      expectError(res, 404, 'ROUTE_NOT_FOUND');
    });

    it('answers a method no route has with 405 and every method the path takes', async function () {
      const res = await http('PATCH', `${system.url}/api/licenses`);
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).to.equal('GET, POST');
    });

    it('puts nosniff, a deny-all CSP and no-referrer on every JSON answer, errors included', async function () {
      const answers = [
        await verify(system.url),
        await http('POST', `${system.url}/api/license/verify`, { body: {} }),
        await http('GET', `${system.url}/api/nowhere`),
        await http('GET', `${system.url}/api/license/verify`, { headers: KEY }),
        await http('GET', `${system.url}/api/licenses`),
        await http('POST', `${system.url}/api/license/verify`, { headers: KEY, rawBody: '{', body: undefined }),
        await http('GET', `${system.url}/health`),
      ];
      for (const res of answers) {
        expect(res.headers.get('x-content-type-options'), res.text).to.equal('nosniff');
        expect(res.headers.get('content-security-policy'), res.text).to.equal(
          "default-src 'none'; frame-ancestors 'none'",
        );
        expect(res.headers.get('referrer-policy'), res.text).to.equal('no-referrer');
      }
    });

    it('leaves the API reference page and the staff pages their own policies', async function () {
      const docs = await http('GET', `${system.url}/api/docs`);
      expect(docs.status).to.equal(200);
      expect(docs.headers.get('content-security-policy')).to.include("script-src 'self'");
      const login = await fetch(`${system.url}/login`, { headers: { accept: 'text/html' } });
      await login.text();
      expect(login.headers.get('content-security-policy')).to.include("form-action 'self'");
    });
  });

  describe('CORS', function () {
    const ORIGIN = 'https://app.example.com';

    it('answers a preflight from an allowed origin with 204 before authentication and limits', async function () {
      await withSystem(
        { CORS_ORIGINS: `${ORIGIN},http://localhost:3000`, RATE_LIMIT_PUBLIC_PER_MINUTE: '1' },
        async system => {
          for (let i = 0; i < 3; i += 1) {
            const res = await fetch(`${system.url}/api/license/verify`, {
              method: 'OPTIONS',
              headers: {
                origin: ORIGIN,
                'access-control-request-method': 'POST',
                'access-control-request-headers': 'x-api-key, content-type',
              },
            });
            expect(res.status).to.equal(204);
            expect(res.headers.get('access-control-allow-origin')).to.equal(ORIGIN);
            expect(res.headers.get('access-control-allow-methods')).to.include('POST');
            expect(res.headers.get('access-control-allow-headers'))
              .to.include('X-API-Key')
              .and.include('Authorization');
            expect(res.headers.get('access-control-allow-credentials')).to.equal(null);
            expect(res.headers.get('vary')).to.include('Origin');
          }
          // The call itself: allowed origin named in the answer, its limit counted once.
          const call = await verify(system.url, { origin: ORIGIN });
          expect(call.status).to.equal(200);
          expect(call.headers.get('access-control-allow-origin')).to.equal(ORIGIN);
          expect(call.headers.get('access-control-expose-headers')).to.include('Retry-After');
          expect(call.headers.get('vary')).to.include('Origin');
        },
      );
    });

    it('gives an origin outside the list no Access-Control-Allow-Origin, preflight or call', async function () {
      await withSystem({ CORS_ORIGINS: ORIGIN }, async system => {
        const preflight = await fetch(`${system.url}/api/admin/login`, {
          method: 'OPTIONS',
          headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
        });
        expect(preflight.status).to.equal(204);
        expect(preflight.headers.get('access-control-allow-origin')).to.equal(null);
        const call = await verify(system.url, { origin: 'https://evil.example' });
        expect(call.headers.get('access-control-allow-origin')).to.equal(null);
      });
    });

    it('is off by default: no CORS header for any origin', async function () {
      await withSystem({}, async system => {
        const call = await verify(system.url, { origin: ORIGIN });
        expect(call.status).to.equal(200);
        expect(call.headers.get('access-control-allow-origin')).to.equal(null);
        const preflight = await fetch(`${system.url}/api/license/verify`, {
          method: 'OPTIONS',
          headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
        });
        expect(preflight.headers.get('access-control-allow-origin')).to.equal(null);
      });
    });
  });

  describe('5xx logs', function () {
    it('log a 503 at warn with the route pattern, never the URL (it may hold a license key) nor a stack', async function () {
      await withSystem({}, async system => {
        const broker = system.brokers[0]!;
        const gateway = broker.getLocalService('api');
        const lines: Array<{ level: string; text: string }> = [];
        for (const level of ['error', 'warn', 'info'] as const) {
          const original = gateway.logger[level].bind(gateway.logger);
          gateway.logger[level] = (...args: unknown[]) => {
            lines.push({
              level,
              text: args.map(a => (typeof a === 'string' ? a : (JSON.stringify(a) ?? String(a)))).join(' '),
            });
            original(...(args as []));
          };
        }
        // No node runs the license service any more: the client route answers 503.
        await broker.destroyService(broker.getLocalService('license'));
        const secretKey = 'WXYZ-WXYZ-WXYZ-WXYZ';
        const res = await http('GET', `${system.url}/api/license/info/${secretKey}?probe=${secretKey}`, {
          headers: KEY,
        });
        expectError(res, 503, 'SERVICE_UNAVAILABLE');
        expect(res.headers.get('retry-after')).to.equal('5');
        expect(lines.length).to.be.above(0);
        for (const line of lines) {
          expect(line.text).not.to.include(secretKey);
          expect(line.text).not.to.match(/\n\s+at /);
        }
        expect(lines.filter(l => l.level === 'error')).to.deep.equal([]);
        expect(lines.some(l => l.level === 'warn' && l.text.includes('/api/license/info/:license_key'))).to.equal(true);
      });
    });
  });
});
