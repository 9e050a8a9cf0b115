// Admin authentication end to end through the gateway (one process): login, bearer tokens, roles,
// logout, admin users, the analytics token and API key regeneration, against the real stores.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import { Redis } from 'ioredis';
import type { Context } from 'moleculer';
import { config, TEST_CREDENTIALS } from '../../config/index.ts';
import { API_KEY_PATTERN } from '../../lib/security/api-keys.ts';
import { decodeJwtUnverified, nowSeconds, signJwt, verifyJwt } from '../../lib/security/jwt.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

const ADMIN = { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword };
const VIEWER = { username: 'vera.viewer', password: 'viewer-password-1' };

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe('admin authentication and API keys (gateway, one process)', function () {
  this.timeout(60_000);

  let system: TestSystem;
  let url: string;
  let redis: Redis;
  let db: Connection;
  let userSeq = 0;
  const failedLogins: Array<Record<string, unknown>> = [];

  interface StoredUser {
    _id: number;
    username: string;
    username_lower: string;
    role: string;
    password: { alg: string; salt: string; hash: string };
  }
  const users = () => db.collection<StoredUser>('admin_users');

  async function login({ username, password }: { username: string; password: string }): Promise<string> {
    const res = await http('POST', `${url}/api/admin/login`, { body: { username, password } });
    expect(res.status, res.text).to.equal(200);
    return res.body.token as string;
  }

  async function createUser(adminToken: string, role: 'admin' | 'viewer', password = 'a-long-password-1') {
    userSeq += 1;
    const username = `user${userSeq}.${role}`;
    const res = await http('POST', `${url}/api/admin/users`, {
      body: { username, password, role },
      headers: bearer(adminToken),
    });
    expect(res.status, res.text).to.equal(201);
    return { id: res.body.id as number, username, password };
  }

  before(async function () {
    await resetStores();
    // Many logins from 127.0.0.1 in one minute: the public per-IP limit is not what is under test here.
    system = await startSystem({
      nodes: [['api', 'auth', 'version']],
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' },
    });
    url = system.url;
    redis = new Redis(process.env.REDIS_URL!, { keyPrefix: system.redisKeyPrefix });
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    const broker = system.brokers[0]!;
    broker.createService({
      name: 'loginFailureSpy',
      events: {
        'admin.login_failed'(ctx: Context<Record<string, unknown>>) {
          failedLogins.push(ctx.params);
        },
      },
    });
    await broker.waitForServices(['loginFailureSpy'], 5000);
    const adminToken = await login(ADMIN);
    const res = await http('POST', `${url}/api/admin/users`, {
      body: { ...VIEWER, role: 'viewer' },
      headers: bearer(adminToken),
    });
    expect(res.status, res.text).to.equal(201);
  });

  beforeEach(async function () {
    // Each test starts with a clean failure count (the throttle would otherwise carry across tests).
    // KEYS patterns and answers are not prefixed by ioredis; DEL's arguments are.
    const keys = await redis.keys(`${system.redisKeyPrefix}login-fail:*`);
    if (keys.length > 0) await redis.del(...keys.map(k => k.slice(system.redisKeyPrefix.length)));
    failedLogins.length = 0;
  });

  after(async function () {
    await system?.stop();
    redis?.disconnect();
    await db?.close();
    await resetStores();
  });

  describe('login', function () {
    it('gives the configured admin a signed token with its expiry and role', async function () {
      const before = nowSeconds();
      const res = await http('POST', `${url}/api/admin/login`, { body: ADMIN });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('token', 'expires_at', 'role');
      expect(res.body.role).to.equal('admin');
      // A token: never kept by a browser cache or a proxy.
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const claims = await verifyJwt(res.body.token, config().jwtSecret);
      expect(claims).to.include({ typ: 'admin', role: 'admin', name: ADMIN.username });
      expect(claims.exp - claims.iat).to.equal(config().admin.tokenTtlSeconds);
      expect(claims.iat).to.be.within(before, nowSeconds());
      expect(res.body.expires_at).to.equal(new Date(claims.exp * 1000).toISOString());
      expect((await http('GET', `${url}/api/admin/users`, { headers: bearer(res.body.token) })).status).to.equal(200);
    });

    it('accepts the username in any case', async function () {
      const res = await http('POST', `${url}/api/admin/login`, {
        body: { ...VIEWER, username: VIEWER.username.toUpperCase() },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.role).to.equal('viewer');
    });

    it('answers a wrong username and a wrong password with the same 401 body, and reports both', async function () {
      const wrongUser = await http('POST', `${url}/api/admin/login`, {
        body: { username: 'nobody-here', password: ADMIN.password },
      });
      const wrongPassword = await http('POST', `${url}/api/admin/login`, {
        body: { username: ADMIN.username, password: 'not-the-password' },
      });
      expectError(wrongUser, 401, 'INVALID_CREDENTIALS');
      expect(wrongPassword.status).to.equal(401);
      expect(wrongPassword.body).to.deep.equal(wrongUser.body);
      expect(wrongUser.body.error.message).to.equal('Invalid username or password');
      await new Promise(resolve => setTimeout(resolve, 50));
      expect(failedLogins.map(e => e.username)).to.have.members(['nobody-here', ADMIN.username]);
      for (const event of failedLogins) {
        expect(event).to.include({ reason: 'invalid_credentials' });
        expect(JSON.stringify(event)).not.to.include('not-the-password').and.not.to.include(ADMIN.password);
      }
    });

    it('slows down a (username, address) pair progressively: after 3 failures the next try waits, twice as long each time', async function () {
      const broker = system.brokers[0]!;
      const ip = '198.51.100.20';
      const attempt = (password: string) =>
        broker.call('auth.login', { username: VIEWER.username, password }, { meta: { ip } }).then(
          () => ({ code: 200, retryAfter: 0 }),
          (err: { code?: number; data?: { retry_after?: number } }) => ({
            code: err.code,
            retryAfter: err.data?.retry_after ?? 0,
          }),
        );
      for (let i = 0; i < 3; i += 1) expect(await attempt(`wrong-${i}`)).to.deep.equal({ code: 401, retryAfter: 0 });
      // The 4th, at once: 1 s to wait, even with the right password (the pair is being guessed at).
      expect(await attempt(VIEWER.password)).to.deep.equal({ code: 429, retryAfter: 1 });
      expect(failedLogins.at(-1)).to.include({ username: VIEWER.username, reason: 'throttled' });
      await new Promise(resolve => setTimeout(resolve, 1100));
      expect((await attempt('wrong-3')).code).to.equal(401);
      // Now 2 s, then 4 s.
      expect(await attempt('wrong-4')).to.deep.equal({ code: 429, retryAfter: 2 });
      await new Promise(resolve => setTimeout(resolve, 2100));
      expect((await attempt('wrong-5')).code).to.equal(401);
      expect((await attempt('wrong-6')).retryAfter).to.be.within(3, 4);
      // The pair's state is in Redis, shared by every replica.
      const [key] = await redis.keys(`${system.redisKeyPrefix}login-fail:pair:*`);
      // Five tried (and counted) failures; the three refused attempts were never tried.
      expect(await redis.hget(key!.slice(system.redisKeyPrefix.length), 'fails')).to.equal('5');
    });

    it('cannot be used to lock the admin out: failures from one address never refuse the right password from another', async function () {
      const broker = system.brokers[0]!;
      for (let i = 0; i < 30; i += 1) {
        await broker
          .call('auth.login', { username: ADMIN.username, password: `attacker-${i}` }, { meta: { ip: '203.0.113.66' } })
          .catch(() => undefined);
      }
      // The attacker's address is slowed down (and past 20 failures, refused outright) ...
      const attacker = await broker.call('auth.login', ADMIN, { meta: { ip: '203.0.113.66' } }).then(
        () => 200,
        (err: { code?: number }) => err.code,
      );
      expect(attacker).to.equal(429);
      // ... while the admin, elsewhere, logs in at the first try.
      const res = await http('POST', `${url}/api/admin/login`, { body: ADMIN });
      expect(res.status, res.text).to.equal(200);
    });

    it('throttles parallel guesses too: of 12 concurrent wrong logins of one pair at most 3 are even tried', async function () {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          http('POST', `${url}/api/admin/login`, { body: { username: ADMIN.username, password: `parallel-${i}` } }),
        ),
      );
      const statuses = answers.map(a => a.status).sort();
      expect(statuses.filter(s => s === 401)).to.have.length(3);
      expect(statuses.filter(s => s === 429)).to.have.length(9);
      for (const refused of answers.filter(a => a.status === 429)) {
        expectError(refused, 429, 'RATE_LIMIT_EXCEEDED');
        expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 15 * 60);
      }
    });

    it('throttles a client address after 20 failures, whatever usernames it tries', async function () {
      const broker = system.brokers[0]!;
      const attempt = (username: string, ip: string) =>
        broker.call('auth.login', { username, password: 'guess-guess' }, { meta: { ip } }).then(
          () => 200,
          (err: { code?: number }) => err.code,
        );
      for (let i = 0; i < 20; i += 1) expect(await attempt(`spray-${i}`, '203.0.113.7')).to.equal(401);
      expect(await attempt('spray-fresh', '203.0.113.7')).to.equal(429);
      expect(await attempt('spray-fresh', '203.0.113.8')).to.equal(401);
    });

    it('successful logins do not count towards the address limit', async function () {
      const broker = system.brokers[0]!;
      for (let i = 0; i < 25; i += 1) {
        const answer = await broker.call<{ role: string }, unknown>('auth.login', VIEWER, {
          meta: { ip: '198.51.100.1' },
        });
        expect(answer.role).to.equal('viewer');
      }
      expect(await redis.get('login-fail:ip:198.51.100.1')).to.equal('0');
    });

    it('rejects a malformed login body with 400 and an operator in place of a string', async function () {
      expectError(
        await http('POST', `${url}/api/admin/login`, { body: { username: ADMIN.username } }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(
        await http('POST', `${url}/api/admin/login`, { body: { username: { $ne: null }, password: { $ne: null } } }),
        400,
        'VALIDATION_ERROR',
      );
    });
  });

  describe('bearer token checks', function () {
    const protectedRoute = () => `${url}/api/admin/users`;

    async function adminClaims() {
      const token = await login(ADMIN);
      return await verifyJwt(token, config().jwtSecret);
    }

    it('401 without a token, with a garbage token, or with another scheme', async function () {
      expectError(await http('GET', protectedRoute()), 401, 'UNAUTHORIZED');
      expectError(
        await http('GET', protectedRoute(), { headers: { authorization: 'Bearer garbage' } }),
        401,
        'UNAUTHORIZED',
      );
      expectError(
        await http('GET', protectedRoute(), { headers: { authorization: 'Bearer a.b.c' } }),
        401,
        'UNAUTHORIZED',
      );
      const token = await login(ADMIN);
      expectError(
        await http('GET', protectedRoute(), { headers: { authorization: `Basic ${token}` } }),
        401,
        'UNAUTHORIZED',
      );
      expectError(await http('GET', protectedRoute(), { headers: { authorization: token } }), 401, 'UNAUTHORIZED');
    });

    it('401 for a well-formed token signed with another secret', async function () {
      const claims = await adminClaims();
      const forged = await signJwt(claims, 'some-other-secret');
      expectError(await http('GET', protectedRoute(), { headers: bearer(forged) }), 401, 'UNAUTHORIZED');
    });

    it('401 TOKEN_EXPIRED for an expired token with a valid signature', async function () {
      const claims = await adminClaims();
      const expired = await signJwt(
        { ...claims, iat: nowSeconds() - 7200, exp: nowSeconds() - 60 },
        config().jwtSecret,
      );
      expectError(await http('GET', protectedRoute(), { headers: bearer(expired) }), 401, 'TOKEN_EXPIRED');
    });

    it('401 for alg none and for a signed token that is not an admin token', async function () {
      const claims = await adminClaims();
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      expectError(await http('GET', protectedRoute(), { headers: bearer(none) }), 401, 'UNAUTHORIZED');
      const secret = config().jwtSecret;
      for (const bad of [
        { ...claims, typ: undefined },
        { ...claims, typ: 'analytics' },
        { ...claims, scope: 'analytics' },
        { ...claims, role: 'superuser' },
        { ...claims, sub: 'admin' },
        { ...claims, jti: undefined },
      ]) {
        const token = await signJwt(JSON.parse(JSON.stringify(bad)), secret);
        expectError(await http('GET', protectedRoute(), { headers: bearer(token) }), 401, 'UNAUTHORIZED');
      }
    });
  });

  describe('role matrix (none, viewer, admin)', function () {
    let adminToken: string;
    let viewerToken: string;

    before(async function () {
      adminToken = await login(ADMIN);
      viewerToken = await login(VIEWER);
    });

    interface Case {
      name: string;
      method: string;
      path: () => Promise<string> | string;
      body?: () => unknown;
      write: boolean;
      adminStatus: number;
    }

    const cases: Case[] = [
      { name: 'GET /api/admin/users', method: 'GET', path: () => '/api/admin/users', write: false, adminStatus: 200 },
      {
        name: 'GET /api/admin/api-key',
        method: 'GET',
        path: () => '/api/admin/api-key',
        write: false,
        adminStatus: 200,
      },
      {
        name: 'GET /api/admin/license/auth-token',
        method: 'GET',
        path: () => '/api/admin/license/auth-token',
        write: false,
        adminStatus: 200,
      },
      {
        name: 'POST /api/admin/users',
        method: 'POST',
        path: () => '/api/admin/users',
        body: () => ({ username: `matrix${(userSeq += 1)}`, password: 'matrix-password', role: 'viewer' }),
        write: true,
        adminStatus: 201,
      },
      {
        name: 'DELETE /api/admin/user/:id',
        method: 'DELETE',
        path: async () => `/api/admin/user/${(await createUser(adminToken, 'viewer')).id}`,
        write: true,
        adminStatus: 200,
      },
      {
        name: 'POST /api/admin/api-key/regenerate',
        method: 'POST',
        path: () => '/api/admin/api-key/regenerate',
        write: true,
        adminStatus: 200,
      },
    ];

    for (const c of cases) {
      it(`${c.name} ${c.write ? '(write)' : '(read)'}: none 401, viewer ${c.write ? 403 : 200}, admin ${c.adminStatus}`, async function () {
        const path = await c.path();
        const body = c.body?.();
        expectError(await http(c.method, `${url}${path}`, { body }), 401, 'UNAUTHORIZED');
        const asViewer = await http(c.method, `${url}${path}`, { body, headers: bearer(viewerToken) });
        if (c.write) {
          expectError(asViewer, 403, 'FORBIDDEN');
        } else {
          expect(asViewer.status, asViewer.text).to.equal(200);
        }
        const asAdmin = await http(c.method, `${url}${path}`, {
          body: c.body?.() ?? body,
          headers: bearer(adminToken),
        });
        expect(asAdmin.status, `${c.method} ${path}: ${asAdmin.text}`).to.equal(c.adminStatus);
      });
    }

    it('a viewer that was refused a write changed nothing', async function () {
      const before = await users().countDocuments();
      const res = await http('POST', `${url}/api/admin/users`, {
        body: { username: 'sneaky.viewer', password: 'sneaky-password', role: 'admin' },
        headers: bearer(viewerToken),
      });
      expectError(res, 403, 'FORBIDDEN');
      expect(await users().countDocuments()).to.equal(before);
      expect(await users().findOne({ username_lower: 'sneaky.viewer' })).to.equal(null);
    });

    it('logout is open to viewers too', async function () {
      const token = await login(VIEWER);
      expect((await http('POST', `${url}/api/admin/logout`, { headers: bearer(token) })).status).to.equal(200);
      expectError(await http('POST', `${url}/api/admin/logout`), 401, 'UNAUTHORIZED');
    });
  });

  describe('logout', function () {
    it('revokes the presented token until its expiry, and only that token', async function () {
      const token = await login(ADMIN);
      const other = await login(ADMIN);
      expect((await http('GET', `${url}/api/admin/users`, { headers: bearer(token) })).status).to.equal(200);
      const res = await http('POST', `${url}/api/admin/logout`, { headers: bearer(token) });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ success: true });
      expectError(await http('GET', `${url}/api/admin/users`, { headers: bearer(token) }), 401, 'TOKEN_REVOKED');
      expectError(await http('POST', `${url}/api/admin/logout`, { headers: bearer(token) }), 401, 'TOKEN_REVOKED');
      expect((await http('GET', `${url}/api/admin/users`, { headers: bearer(other) })).status).to.equal(200);
      const { jti, exp } = decodeJwtUnverified(token) as { jti: string; exp: number };
      const ttl = await redis.ttl(`revoked:${jti}`);
      // Whole seconds on both sides: the server's clock may have been a second behind this read's.
      expect(ttl).to.be.within(exp - nowSeconds() - 5, exp - nowSeconds() + 1);
    });
  });

  describe('admin users', function () {
    let adminToken: string;

    before(async function () {
      adminToken = await login(ADMIN);
    });

    it('creates a user (201) and stores only a salted scrypt hash of its password', async function () {
      const res = await http('POST', `${url}/api/admin/users`, {
        body: { username: 'Carla.Created', password: 'carla-password-1', role: 'viewer' },
        headers: bearer(adminToken),
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.have.all.keys('id', 'username', 'role', 'created_at');
      expect(res.body).to.include({ username: 'Carla.Created', role: 'viewer' });
      expect(res.body.id).to.be.a('number');
      const stored = await users().findOne({ _id: res.body.id });
      expect(stored).to.include({ username: 'Carla.Created', username_lower: 'carla.created', role: 'viewer' });
      expect(stored!.password).to.include({ alg: 'scrypt' });
      expect(stored!.password.salt).to.be.a('string').with.length.above(10);
      expect(JSON.stringify(stored)).not.to.include('carla-password-1');
      const login2 = await http('POST', `${url}/api/admin/login`, {
        body: { username: 'carla.created', password: 'carla-password-1' },
      });
      expect(login2.body.role).to.equal('viewer');
    });

    it('refuses a username that exists in another case with 409', async function () {
      const res = await http('POST', `${url}/api/admin/users`, {
        body: { username: ADMIN.username.toUpperCase(), password: 'whatever-password', role: 'admin' },
        headers: bearer(adminToken),
      });
      expectError(res, 409, 'USERNAME_TAKEN');
      expect(await users().countDocuments({ username_lower: ADMIN.username })).to.equal(1);
    });

    it('validates the new user: password length, role, username characters, no extra fields', async function () {
      const post = (body: unknown) => http('POST', `${url}/api/admin/users`, { body, headers: bearer(adminToken) });
      const short = await post({ username: 'short.pw', password: 'seven77', role: 'viewer' });
      expectError(short, 400, 'VALIDATION_ERROR');
      expect(short.body.error.details).to.include({ field: 'password' });
      expectError(
        await post({ username: 'bad.role', password: 'long-enough-pw', role: 'root' }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(
        await post({ username: 'bad$name', password: 'long-enough-pw', role: 'viewer' }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(await post({ username: 'x', password: 'long-enough-pw', role: 'viewer' }), 400, 'VALIDATION_ERROR');
      expectError(
        await post({ username: 'extra.field', password: 'long-enough-pw', role: 'viewer', _id: 1 }),
        400,
        'VALIDATION_ERROR',
      );
      expect(
        await users().countDocuments({ username_lower: { $in: ['short.pw', 'bad.role', 'extra.field'] } }),
      ).to.equal(0);
    });

    it('lists users without any password material', async function () {
      const created = await createUser(adminToken, 'viewer');
      const res = await http('GET', `${url}/api/admin/users`, { headers: bearer(adminToken) });
      expect(res.status).to.equal(200);
      expect(res.body).to.include.keys('users', 'total');
      expect(res.body.total).to.equal(await users().countDocuments());
      const names = (res.body.users as Array<{ username: string }>).map(u => u.username);
      expect(names).to.include.members([ADMIN.username, VIEWER.username, created.username]);
      for (const user of res.body.users) expect(user).to.have.all.keys('id', 'username', 'role', 'created_at');
      expect(res.text).not.to.match(/scrypt|salt|hash|password/i);
    });

    it('deletes a user: gone from the list, its tokens revoked at once, its login refused', async function () {
      const victim = await createUser(adminToken, 'admin');
      const victimToken = await login(victim);
      expect((await http('GET', `${url}/api/admin/users`, { headers: bearer(victimToken) })).status).to.equal(200);
      const res = await http('DELETE', `${url}/api/admin/user/${victim.id}`, { headers: bearer(adminToken) });
      expect(res.status, res.text).to.equal(200);
      expect(await users().findOne({ _id: victim.id })).to.equal(null);
      expectError(await http('GET', `${url}/api/admin/users`, { headers: bearer(victimToken) }), 401, 'TOKEN_REVOKED');
      const relogin = await http('POST', `${url}/api/admin/login`, {
        body: { username: victim.username, password: victim.password },
      });
      expectError(relogin, 401, 'INVALID_CREDENTIALS');
      expectError(
        await http('DELETE', `${url}/api/admin/user/${victim.id}`, { headers: bearer(adminToken) }),
        404,
        'USER_NOT_FOUND',
      );
    });

    it('answers 404 for an unknown id or a path whose id is not a number, 400 for an id out of range', async function () {
      expectError(
        await http('DELETE', `${url}/api/admin/user/999999`, { headers: bearer(adminToken) }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await http('DELETE', `${url}/api/admin/user/abc`, { headers: bearer(adminToken) }),
        404,
        'ROUTE_NOT_FOUND',
      );
      expectError(
        await http('DELETE', `${url}/api/admin/user/0`, { headers: bearer(adminToken) }),
        400,
        'VALIDATION_ERROR',
      );
    });

    it('refuses to delete yourself with 409', async function () {
      const me = (decodeJwtUnverified(adminToken) as { sub: string }).sub;
      expectError(
        await http('DELETE', `${url}/api/admin/user/${me}`, { headers: bearer(adminToken) }),
        409,
        'CANNOT_DELETE_SELF',
      );
      expect(await users().findOne({ _id: Number(me) })).not.to.equal(null);
    });

    it('refuses to delete the last admin with 409', async function () {
      // A caller whose own record is gone while its token lives on is the one way to face the last
      // admin without a race: simulate it by removing a second admin's record directly.
      const other = await createUser(adminToken, 'admin');
      const otherToken = await login(other);
      const me = Number((decodeJwtUnverified(adminToken) as { sub: string }).sub);
      const admins = await users().find({ role: 'admin' }).toArray();
      const extra = admins.filter(a => a._id !== me && a._id !== other.id);
      await users().deleteMany({ _id: { $in: [other.id, ...extra.map(a => a._id)] } });
      try {
        expectError(
          await http('DELETE', `${url}/api/admin/user/${me}`, { headers: bearer(otherToken) }),
          409,
          'LAST_ADMIN',
        );
        expect(await users().findOne({ _id: me })).not.to.equal(null);
      } finally {
        if (extra.length > 0) await users().insertMany(extra);
      }
    });

    it('two admins deleting each other at once: exactly one succeeds and an admin remains', async function () {
      const a = await createUser(adminToken, 'admin');
      const b = await createUser(adminToken, 'admin');
      // Leave only a and b as admins, so that the two deletions compete for the last admin.
      const bootstrapId = Number((decodeJwtUnverified(adminToken) as { sub: string }).sub);
      const others = await users()
        .find({ role: 'admin', _id: { $nin: [a.id, b.id] } })
        .toArray();
      await users().updateMany({ _id: { $in: others.map(o => o._id) } }, { $set: { role: 'viewer' } });
      try {
        const [tokenA, tokenB] = await Promise.all([login(a), login(b)]);
        const answers = await Promise.all([
          http('DELETE', `${url}/api/admin/user/${b.id}`, { headers: bearer(tokenA) }),
          http('DELETE', `${url}/api/admin/user/${a.id}`, { headers: bearer(tokenB) }),
        ]);
        const statuses = answers.map(r => r.status);
        expect(
          statuses.filter(s => s === 200),
          JSON.stringify(answers.map(r => r.body)),
        ).to.have.length(1);
        // The loser is either refused as the last admin, or its token was already revoked by the winner.
        for (const r of answers.filter(x => x.status !== 200))
          expect(['LAST_ADMIN', 'TOKEN_REVOKED']).to.include(r.body.error.code);
        expect(await users().countDocuments({ _id: { $in: [a.id, b.id] }, role: 'admin' })).to.equal(1);
      } finally {
        await users().updateMany({ _id: { $in: others.map(o => o._id) } }, { $set: { role: 'admin' } });
        expect(await users().findOne({ _id: bootstrapId })).to.include({ role: 'admin' });
      }
    });
  });

  describe('analytics token', function () {
    it('is a short-lived HS256 token with the analytics scope that no admin route accepts', async function () {
      const viewerToken = await login(VIEWER);
      const res = await http('GET', `${url}/api/admin/license/auth-token`, { headers: bearer(viewerToken) });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('token', 'expires_at');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const header = JSON.parse(Buffer.from(String(res.body.token).split('.')[0]!, 'base64url').toString()) as unknown;
      expect(header).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
      const claims = await verifyJwt(res.body.token, config().jwtSecret);
      expect(claims).to.include({ scope: 'analytics', typ: 'analytics' });
      expect(claims.exp - claims.iat).to.equal(config().admin.analyticsTokenTtlSeconds);
      expect(res.body.expires_at).to.equal(new Date(claims.exp * 1000).toISOString());
      expect(new Date(res.body.expires_at).getTime()).to.be.above(Date.now());
      expectError(
        await http('GET', `${url}/api/admin/users`, { headers: bearer(res.body.token) }),
        401,
        'UNAUTHORIZED',
      );
      expectError(
        await http('POST', `${url}/api/admin/logout`, { headers: bearer(res.body.token) }),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  describe('system API key', function () {
    const latest = (key: string) => http('GET', `${url}/api/version/latest`, { headers: { 'x-api-key': key } });

    it('regenerating replaces the key at once: old key 401, new key 200, only a digest stored', async function () {
      const adminToken = await login(ADMIN);
      const regenerate = () => http('POST', `${url}/api/admin/api-key/regenerate`, { headers: bearer(adminToken) });
      const first = await regenerate();
      expect(first.status, first.text).to.equal(200);
      expect(first.headers.get('cache-control')).to.equal('no-store');
      const oldKey = first.body.api_key as string;
      expect(oldKey).to.match(API_KEY_PATTERN);
      expect(oldKey.slice(3, 7)).to.equal(String(new Date().getUTCFullYear()));
      expect((await latest(oldKey)).status).to.equal(200);

      const second = await regenerate();
      const newKey = second.body.api_key as string;
      expect(newKey).to.match(API_KEY_PATTERN).and.not.equal(oldKey);
      const refused = await latest(oldKey);
      expect(refused.status).to.equal(401);
      expect(refused.body).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
      expect((await latest(newKey)).status).to.equal(200);
      expect((await latest(TEST_CREDENTIALS.apiKey)).status).to.equal(401);

      const keys = await db.collection('api_keys').find().toArray();
      expect(keys).to.have.length(1);
      expect(keys[0]!.digest).to.equal(createHash('sha256').update(newKey).digest('hex'));
      expect(JSON.stringify(keys)).not.to.include(newKey);
    });

    it('shows the prefix and creation time of the active key, never the key', async function () {
      const adminToken = await login(ADMIN);
      const regenerated = await http('POST', `${url}/api/admin/api-key/regenerate`, { headers: bearer(adminToken) });
      const key = regenerated.body.api_key as string;
      const res = await http('GET', `${url}/api/admin/api-key`, { headers: bearer(await login(VIEWER)) });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('prefix', 'created_at');
      expect(res.body.prefix).to.equal(`${key.slice(0, 12)}...`);
      expect(Date.now() - new Date(res.body.created_at).getTime()).to.be.within(0, 10_000);
      expect(res.text).not.to.include(key);
    });
  });
});

describe('first admin from ADMIN_USERNAME / ADMIN_PASSWORD', function () {
  this.timeout(60_000);

  let system: TestSystem | undefined;

  const loginAt = (base: string, username: string, password: string) =>
    http('POST', `${base}/api/admin/login`, { body: { username, password } });

  // A connection of its own per read: stopping a system disconnects every mongoose connection.
  async function storedAdmins(usernameLower: string) {
    const db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    try {
      type Stored = { username: string; role: string; password: { hash: string } };
      return await db.collection<Stored>('admin_users').find({ username_lower: usernameLower }).toArray();
    } finally {
      await db.close();
    }
  }

  before(async function () {
    await resetStores();
  });

  afterEach(async function () {
    await system?.stop();
    system = undefined;
  });

  after(async function () {
    await resetStores();
  });

  it('two replicas starting at once create exactly one admin', async function () {
    system = await startSystem({ nodes: [['api', 'auth', 'version'], ['auth']], env: { ADMIN_USERNAME: 'Founder' } });
    const stored = await storedAdmins('founder');
    expect(stored).to.have.length(1);
    expect(stored[0]).to.include({ username: 'Founder', role: 'admin' });
    expect((await loginAt(system.url, 'founder', ADMIN.password)).status).to.equal(200);
  });

  it('a changed ADMIN_PASSWORD replaces the password at the next start and revokes the tokens issued before', async function () {
    system = await startSystem({ env: { ADMIN_USERNAME: 'Founder' } });
    const before = await loginAt(system.url, 'Founder', ADMIN.password);
    expect(before.status).to.equal(200);
    const hashBefore = (await storedAdmins('founder'))[0]!.password.hash;
    await system.stop();

    system = await startSystem({ env: { ADMIN_USERNAME: 'Founder', ADMIN_PASSWORD: 'a-brand-new-password' } });
    const token = before.body.token as string;
    const old = await http('GET', `${system.url}/api/admin/users`, { headers: bearer(token) });
    expectError(old, 401, 'TOKEN_REVOKED');
    expectError(await loginAt(system.url, 'Founder', ADMIN.password), 401, 'INVALID_CREDENTIALS');
    const fresh = await loginAt(system.url, 'Founder', 'a-brand-new-password');
    expect(fresh.status, fresh.text).to.equal(200);
    expect((await http('GET', `${system.url}/api/admin/users`, { headers: bearer(fresh.body.token) })).status).to.equal(
      200,
    );
    const stored = await storedAdmins('founder');
    expect(stored).to.have.length(1);
    expect(stored[0]!.password.hash).not.to.equal(hashBefore);
  });

  it('an unchanged ADMIN_PASSWORD leaves the stored hash and the tokens alone', async function () {
    system = await startSystem({ env: { ADMIN_USERNAME: 'Steady' } });
    const token = (await loginAt(system.url, 'Steady', ADMIN.password)).body.token as string;
    const hashBefore = (await storedAdmins('steady'))[0]!.password.hash;
    await system.stop();
    system = await startSystem({ env: { ADMIN_USERNAME: 'Steady' } });
    expect((await http('GET', `${system.url}/api/admin/users`, { headers: bearer(token) })).status).to.equal(200);
    expect((await storedAdmins('steady'))[0]!.password.hash).to.equal(hashBefore);
  });
});
