// The role matrix, generated from the route table (lib/routes.ts): for every route behind an admin
// token, no token and bad tokens get 401, a viewer gets 403 on admin routes and through on viewer
// routes, an admin gets through everywhere; every client route without the API key gets the
// reference's 401 body. The table itself is checked against an independent list of what may be public
// or API-key only, so a new admin route added with the wrong auth kind fails here.
//
// Reads are real calls with existing ids. Writes carry an unknown field: the action's schema refuses it
// with 400 `unknown_field` before anything happens, which proves the request passed authentication and
// authorization without deleting, rotating or logging out anything (a missing required field may be
// named instead; the action does not run either way).
import { expect } from 'chai';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { nowSeconds, signJwt } from '../../lib/security/jwt.ts';
import { ROUTES, type RouteSpec } from '../../services/api/routes/index.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

/** What may be reached without an admin token. Anything else must need one. */
const PUBLIC_ROUTES = new Set([
  'GET /',
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /api/docs/openapi.json',
  'GET /api/docs',
  'GET /api/docs/assets/:file',
  'POST /api/admin/login',
]);
const API_KEY_ROUTES = new Set([
  'POST /api/license/activate',
  'POST /api/license/verify',
  'GET /api/license/info/:license_key',
  'POST /api/license/heartbeat',
  'POST /api/version/check',
  'GET /api/version/latest',
  'POST /api/v1/activate',
  'POST /api/v1/validate',
]);
/** Writes any signed-in user may do; every other write needs the admin role. */
const VIEWER_WRITES = new Set(['POST /api/admin/logout']);

/** The admin endpoints of issue 5 and the reference; path parameters written as `:`. */
const DOCUMENTED_ADMIN_ENDPOINTS = [
  'POST /api/admin/logout',
  'POST /api/admin/users',
  'GET /api/admin/users',
  'DELETE /api/admin/user/:',
  'GET /api/admin/api-key',
  'POST /api/admin/api-key/regenerate',
  'GET /api/admin/license/auth-token',
  'GET /api/customers',
  'POST /api/customers',
  'GET /api/customer/:',
  'PUT /api/customer/:',
  'DELETE /api/customer/:',
  'GET /api/customer/:/licenses',
  'GET /api/customer/:/quick-stats',
  'POST /api/licenses',
  'GET /api/licenses',
  'GET /api/license/:',
  'POST /api/license/:/toggle',
  'POST /api/licenses/bulk-activate',
  'POST /api/licenses/bulk-deactivate',
  'POST /api/licenses/bulk-delete',
  'POST /api/license/:/quick-edit',
  'POST /api/generate-license-key',
  'GET /api/license/:/devices',
  'POST /api/license/:/register-device',
  'POST /api/license/:/deactivate-device/:',
  'POST /api/resources',
  'GET /api/resources',
  'DELETE /api/resource/:',
  'POST /api/resources/allocate',
  'POST /api/resources/release',
  'GET /api/license/:/resources',
  'GET /api/resources/check-availability',
  'GET /api/resources/stats',
  'GET /api/global-search',
  'GET /api/sessions/active-count',
  'POST /api/webhooks',
  'GET /api/webhooks',
  'GET /api/webhook/:',
  'PUT /api/webhook/:',
  'DELETE /api/webhook/:',
  'POST /api/webhook/:/test',
  'GET /api/webhook/:/deliveries',
  'POST /api/webhook/delivery/:/redeliver',
  'POST /api/versions',
  'GET /api/versions',
];

const PROBE_FIELD = 'role_matrix_probe';
const API_KEY_401 = { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 };

function name(route: RouteSpec): string {
  return `${route.method} ${route.path}`;
}

function shape(route: RouteSpec): string {
  return `${route.method} ${route.path.replace(/:\w+/g, ':')}`;
}

/** Got past authentication and authorization, to a route that exists, without failing inside. */
function expectAuthorized(res: HttpAnswer): void {
  expect(res.status, res.text).to.not.be.oneOf([401, 403]);
  expect(res.status, res.text).to.be.below(500);
  expect(res.body?.error?.code, res.text).to.not.equal('ROUTE_NOT_FOUND');
}

const tokenRoutes = ROUTES.filter(r => r.auth === 'viewer' || r.auth === 'admin');
const apiKeyRoutes = ROUTES.filter(r => r.auth === 'apiKey');

describe('role matrix (generated from the route table)', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let adminToken: string;
  let viewerToken: string;
  let analyticsToken: string;
  const pathValues: Record<string, string> = {};

  function call(route: RouteSpec, headers: Record<string, string>, probe: boolean): Promise<HttpAnswer> {
    const path = route.path.replace(/:(\w+)/g, (_, param: string) => pathValues[param] ?? '1');
    const reads = route.method === 'GET' || route.method === 'DELETE';
    if (reads) return http(route.method, `${system.url}${path}${probe ? `?${PROBE_FIELD}=1` : ''}`, { headers });
    return http(route.method, `${system.url}${path}`, { body: probe ? { [PROBE_FIELD]: 1 } : {}, headers });
  }

  /** Reads are real calls; writes (and deletes) are probes the action's schema refuses unharmed. */
  async function callAuthorized(route: RouteSpec, token: string): Promise<void> {
    const probe = route.method !== 'GET';
    const res = await call(route, { authorization: `Bearer ${token}` }, probe);
    expectAuthorized(res);
    // The schema reports a missing required field before the unknown one: either way the action never ran.
    if (probe) expectError(res, 400, 'VALIDATION_ERROR');
  }

  async function admin(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${adminToken}` },
    });
  }

  async function login(username: string, password: string): Promise<string> {
    const res = await http('POST', `${system.url}/api/admin/login`, { body: { username, password } });
    expect(res.status, res.text).to.equal(200);
    return res.body.token;
  }

  before(async function () {
    await resetStores();
    system = await startSystem({
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000', RATE_LIMIT_ADMIN_PER_MINUTE: '100000' },
    });
    adminToken = await login(TEST_CREDENTIALS.adminUsername, TEST_CREDENTIALS.adminPassword);
    const viewer = await admin('POST', '/api/admin/users', {
      username: 'matrix.viewer',
      password: 'viewer-password-1',
      role: 'viewer',
    });
    expect(viewer.status, viewer.text).to.equal(201);
    viewerToken = await login('matrix.viewer', 'viewer-password-1');
    const analytics = await admin('GET', '/api/admin/license/auth-token');
    expect(analytics.status, analytics.text).to.equal(200);
    analyticsToken = analytics.body.token;

    // Existing records for the path parameters, so reads exercise real lookups.
    const customer = await admin('POST', '/api/customers', { name: 'Matrix Customer', email: 'matrix@example.com' });
    expect(customer.status, customer.text).to.equal(201);
    const license = await admin('POST', '/api/licenses', {
      customer_id: customer.body.id,
      type: 'subscription',
      max_activations: 2,
      max_users: 2,
    });
    expect(license.status, license.text).to.equal(201);
    const device = await admin('POST', `/api/license/${license.body.id}/register-device`, {
      hardware_hash: 'matrix-machine',
    });
    expect(device.status, device.text).to.equal(201);
    Object.assign(pathValues, {
      customer_id: String(customer.body.id),
      license_id: String(license.body.id),
      device_id: String(device.body.device_id),
      id: String(viewer.body.id),
      license_key: license.body.key,
    });
    // The resource pool belongs to another service; a plausible id does for authorization if it is absent.
    const resource = await admin('POST', '/api/resources', { type: 'server', identifier: 'MATRIX-SRV-1' });
    if (resource.status === 201) pathValues.resource_id = String(resource.body.id);
  });

  after(async function () {
    await system?.stop();
  });

  describe('the route table', function () {
    it('needs an admin token for every route that is not explicitly public or for client apps', function () {
      for (const route of ROUTES) {
        const key = name(route);
        if (PUBLIC_ROUTES.has(key)) expect(route.auth, key).to.equal('none');
        else if (API_KEY_ROUTES.has(key)) expect(route.auth, key).to.equal('apiKey');
        else expect(route.auth, `${key} must need an admin token`).to.be.oneOf(['viewer', 'admin']);
      }
    });

    it('gives every admin-token write the admin role (viewers only read), and the admin rate limit', function () {
      for (const route of tokenRoutes) {
        const key = name(route);
        if (route.method !== 'GET' && !VIEWER_WRITES.has(key))
          expect(route.auth, `${key} changes state`).to.equal('admin');
        expect(route.limit, key).to.equal('admin');
      }
    });

    it('has every documented admin endpoint, behind a token, exactly once', function () {
      const shapes = ROUTES.map(shape);
      for (const endpoint of DOCUMENTED_ADMIN_ENDPOINTS) {
        expect(
          shapes.filter(s => s === endpoint),
          endpoint,
        ).to.have.lengthOf(1);
        const route = ROUTES.find(r => shape(r) === endpoint)!;
        expect(route.auth, endpoint).to.be.oneOf(['viewer', 'admin']);
      }
      expect(new Set(ROUTES.map(name)).size, 'no route listed twice').to.equal(ROUTES.length);
    });
  });

  for (const route of tokenRoutes) {
    describe(`${name(route)} (${route.auth})`, function () {
      it('without a token: 401 in the error format', async function () {
        const res = await call(route, {}, true);
        expectError(res, 401, 'UNAUTHORIZED');
      });

      it('with a bad token: 401', async function () {
        const iat = nowSeconds();
        const forged = await signJwt(
          { typ: 'admin', sub: '1', name: 'admin', role: 'admin', jti: 'forgedforgedforged', iat, exp: iat + 3600 },
          'not-the-server-secret',
        );
        // One signature character changed well inside the signature (the last one may carry only padding bits).
        const at = adminToken.length - 10;
        const tampered = `${adminToken.slice(0, at)}${adminToken[at] === 'A' ? 'B' : 'A'}${adminToken.slice(at + 1)}`;
        const bad = [
          'Bearer garbage',
          'Bearer ',
          `Basic ${Buffer.from('admin:admin_test_password').toString('base64')}`,
          adminToken,
          `Bearer ${tampered}`,
          `Bearer ${forged}`,
          `Bearer ${analyticsToken}`,
        ];
        for (const authorization of bad) {
          const res = await call(route, { authorization }, true);
          expect(res.status, `${authorization.slice(0, 30)}: ${res.text}`).to.equal(401);
          expectError(res, 401);
        }
      });

      if (route.auth === 'admin') {
        it('with a viewer token: 403 FORBIDDEN', async function () {
          const res = await call(route, { authorization: `Bearer ${viewerToken}` }, true);
          expectError(res, 403, 'FORBIDDEN');
        });
      } else {
        it('with a viewer token: allowed', async function () {
          await callAuthorized(route, viewerToken);
        });
      }

      it('with an admin token: allowed', async function () {
        await callAuthorized(route, adminToken);
      });
    });
  }

  for (const route of apiKeyRoutes) {
    it(`${name(route)} (apiKey): without X-API-Key or with a wrong one, the reference's exact 401 body`, async function () {
      const attempts: Array<Record<string, string>> = [
        {},
        { 'x-api-key': 'AF-2025-WRONGWRONGWRONGWRONGWRONGWRONGWR' },
        // An admin token is no API key.
        { authorization: `Bearer ${adminToken}` },
      ];
      for (const headers of attempts) {
        const res = await call(route, headers, false);
        expect(res.status, res.text).to.equal(401);
        expect(res.body).to.deep.equal(API_KEY_401);
      }
      const withKey = await call(route, { 'x-api-key': TEST_API_KEY }, false);
      expect(withKey.status, withKey.text).to.not.equal(401);
    });
  }
});
