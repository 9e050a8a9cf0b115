// The web foundation of the staff pages: login and logout, the session cookie and its life in Redis,
// CSRF tokens, roles on pages, security headers, HTML errors and the static files.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';
import { PageClient, expectHtml, textOf } from '../helpers/pages.ts';

const ADMIN = { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword };

function sessionKey(system: TestSystem, cookie: string): string {
  return `${system.redisKeyPrefix}web-session:${createHash('sha256').update(cookie).digest('hex')}`;
}

describe('web foundation (login, sessions, CSRF, pages)', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let redis: Redis;
  let token: string;

  before(async function () {
    await resetStores();
    system = await startSystem({
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000', RATE_LIMIT_ADMIN_PER_MINUTE: '100000' },
    });
    redis = new Redis(process.env.REDIS_URL!);
    token = await adminToken(system.url);
  });

  after(async function () {
    redis?.disconnect();
    await system?.stop();
  });

  describe('GET /login', function () {
    it('answers the sign-in form as HTML with the security headers and a login CSRF cookie', async function () {
      const page = new PageClient(system.url);
      const res = await page.get('/login?next=%2Fleads%2F%3Fq%3Duni');
      expectHtml(res, 200);
      expect(res.text).to.include('<label for="username">').and.include('<label for="password">');
      expect(res.text).to.include('name="next" value="/leads/?q=uni"');
      const cookie = res.headers.getSetCookie().find(c => c.startsWith('ls_login='))!;
      expect(cookie).to.match(/; Path=\/login; HttpOnly; SameSite=Strict; Max-Age=3600$/);
      expect(cookie).to.include(`ls_login=${page.csrf}`);
    });

    it('replaces a next address that leaves the site with the dashboard', async function () {
      const page = new PageClient(system.url);
      for (const next of [
        '//evil.example/x',
        'https://evil.example',
        '/\\evil.example',
        'javascript:alert(1)',
        '/logout',
      ]) {
        const res = await page.get(`/login?next=${encodeURIComponent(next)}`);
        expect(res.text, next).to.include('name="next" value="/admin/"');
      }
    });
  });

  describe('POST /login', function () {
    it('starts a session: 303 to next, an HttpOnly SameSite=Lax cookie on /, stored hashed in Redis', async function () {
      const page = new PageClient(system.url);
      await page.get('/login');
      const res = await page.post('/login', { ...ADMIN, next: '/leads/?q=abc' });
      expect(res.status, res.text).to.equal(303);
      expect(res.location).to.equal('/leads/?q=abc');
      const cookie = res.headers.getSetCookie().find(c => c.startsWith('ls_session='))!;
      expect(cookie).to.match(/^ls_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
      expect(cookie).to.not.include('Secure');
      const id = page.cookies.get('ls_session')!;
      const stored = JSON.parse((await redis.get(sessionKey(system, id)))!);
      expect(stored).to.include({ name: 'admin', role: 'admin' });
      expect(stored.csrf).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(await redis.keys(`${system.redisKeyPrefix}*${id}*`)).to.deep.equal([]);
      expect(page.cookies.has('ls_login'), 'the login token is dropped').to.equal(false);
    });

    it('sends the browser to the dashboard when next leaves the site', async function () {
      const page = new PageClient(system.url);
      await page.get('/login');
      const res = await page.post('/login', { ...ADMIN, next: '//evil.example' });
      expect(res.location).to.equal('/admin/');
    });

    it('sends the browser to the dashboard without a next, or with the API status path /', async function () {
      for (const next of [undefined, '/']) {
        const page = new PageClient(system.url);
        await page.get('/login');
        const res = await page.post('/login', next === undefined ? { ...ADMIN } : { ...ADMIN, next });
        expect(res.location, String(next)).to.equal('/admin/');
      }
    });

    it('refuses wrong credentials with the form again (401), keeping the username, and no session', async function () {
      const page = new PageClient(system.url);
      await page.get('/login');
      const res = await page.post('/login', { username: 'admin', password: 'wrong-password' });
      expectHtml(res, 401);
      expect(textOf(res.text)).to.include('Wrong username or password.');
      expect(res.text).to.include('name="username" type="text" value="admin"');
      expect(page.cookies.has('ls_session')).to.equal(false);
    });

    it('refuses a login form without the CSRF token of its page (403), and starts no session', async function () {
      const page = new PageClient(system.url);
      await page.get('/login');
      const missing = await page.post('/login', ADMIN, null);
      expectHtml(missing, 403);
      const wrong = await page.post('/login', ADMIN, 'x'.repeat(43));
      expectHtml(wrong, 403);
      expect(page.cookies.has('ls_session')).to.equal(false);
    });
  });

  describe('pages without a session', function () {
    it('redirect to the login page with the page as next', async function () {
      const res = await new PageClient(system.url).get('/leads/?q=uni&type=company');
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`/login?next=${encodeURIComponent('/leads/?q=uni&type=company')}`);
    });

    it('redirect with an unknown or malformed session cookie, and drop that cookie', async function () {
      for (const value of ['A'.repeat(43), 'garbage', '']) {
        const res = await fetch(`${system.url}/leads/`, {
          headers: { cookie: `ls_session=${value}` },
          redirect: 'manual',
        });
        expect(res.status, value).to.equal(303);
        expect(res.headers.getSetCookie().join()).to.include('ls_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
      }
    });

    it('refuse a POST (redirect to login) and change nothing', async function () {
      const res = await new PageClient(system.url).post('/leads/create', { name: 'Nobody Inc', type: 'company' }, 'x');
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/login');
    });
  });

  describe('a session', function () {
    it('slides: each page request sets its time to live to the idle period again', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const key = sessionKey(system, page.cookies.get('ls_session')!);
      await redis.expire(key, 100);
      await page.get('/leads/');
      expect(await redis.ttl(key)).to.be.within(7100, 7200);
    });

    it('ends at its absolute maximum however active it is', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const key = sessionKey(system, page.cookies.get('ls_session')!);
      const stored = JSON.parse((await redis.get(key))!);
      await redis.set(key, JSON.stringify({ ...stored, max: Math.floor(Date.now() / 1000) - 1 }), 'EX', 600);
      expect((await page.get('/leads/')).status).to.equal(303);
      expect(await redis.exists(key)).to.equal(0);
    });

    it('is cut to the absolute maximum in its last idle period', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const key = sessionKey(system, page.cookies.get('ls_session')!);
      const stored = JSON.parse((await redis.get(key))!);
      await redis.set(key, JSON.stringify({ ...stored, max: Math.floor(Date.now() / 1000) + 300 }), 'EX', 600);
      expect((await page.get('/leads/')).status).to.equal(200);
      expect(await redis.ttl(key)).to.be.within(290, 300);
    });

    it('of a deleted user stops working at once, like their tokens', async function () {
      const viewer = await viewerToken(system.url, token, 'web.deleted.viewer');
      expect(viewer).to.be.a('string');
      const page = new PageClient(system.url);
      await page.login('web.deleted.viewer', 'viewer-password-1');
      const users = await http('GET', `${system.url}/api/admin/users?limit=100`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const id = users.body.users.find((u: { username: string }) => u.username === 'web.deleted.viewer').id;
      const deleted = await http('DELETE', `${system.url}/api/admin/user/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(deleted.status, deleted.text).to.equal(200);
      const res = await page.get('/leads/');
      expect(res.status).to.equal(303);
      expect(res.location).to.match(/^\/login/);
    });

    it('of a login does not leave the login token usable on the admin API', async function () {
      // The page login asks auth.login for a token and revokes it: the browser never holds one.
      const revoked = await redis.keys(`${system.redisKeyPrefix}revoked:*`);
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const after = await redis.keys(`${system.redisKeyPrefix}revoked:*`);
      expect(after.length).to.equal(revoked.length + 1);
    });
  });

  describe('POST /logout', function () {
    it('deletes the session (every replica), drops the cookie and shows the login page', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const id = page.cookies.get('ls_session')!;
      const res = await page.post('/logout');
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/login?notice=signed_out');
      expect(await redis.exists(sessionKey(system, id))).to.equal(0);
      const replay = await fetch(`${system.url}/leads/`, {
        headers: { cookie: `ls_session=${id}` },
        redirect: 'manual',
      });
      expect(replay.status).to.equal(303);
      const login = await page.get(res.location!);
      expect(textOf(login.text)).to.include('You have signed out.');
    });

    it('without the CSRF token: 403 and the session lives on', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const res = await page.post('/logout', {}, null);
      expectHtml(res, 403);
      expect(textOf(res.text)).to.include('This form has expired or did not come from this site');
      expect((await page.get('/leads/')).status).to.equal(200);
    });
  });

  describe('the layout', function () {
    it('shows the global search, the signed-in user with the role, the areas and a logout form', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const res = await page.get('/leads/');
      expect(res.text).to.include('role="search"').and.include('<label class="visually-hidden" for="global-search">');
      expect(res.text)
        .to.include('<span class="user-name">admin</span>')
        .and.include('<span class="badge">admin</span>');
      expect(res.text).to.match(/<nav class="sidenav" aria-label="Areas">[\s\S]*aria-current="page">Leads</);
      expect(res.text).to.include('<form method="post" action="/logout">');
      expect(res.text).to.not.match(/<script|\sstyle=|\son[a-z]+=/i);
    });
  });

  describe('errors on pages', function () {
    it('a browser asking for a page that does not exist gets an HTML 404; an API client gets JSON', async function () {
      const page = new PageClient(system.url);
      const res = await page.get('/no/such/page');
      expectHtml(res, 404);
      expect(textOf(res.text)).to.include('There is no page at this address.');
      expectError(await http('GET', `${system.url}/no/such/page`), 404, 'ROUTE_NOT_FOUND');
    });

    it('a page form sent as JSON gets 415 as a page, never JSON', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const res = await page.request('POST', '/leads/create', {
        body: JSON.stringify({ name: 'X', _csrf: page.csrf }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).to.be.oneOf([403, 415]);
      expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    });

    it('a form larger than MAX_BODY_BYTES gets 413 as a page', async function () {
      const page = new PageClient(system.url);
      await page.loginAdmin();
      const res = await page.post('/leads/create', { name: 'X', notes: 'n'.repeat(70_000) });
      expectHtml(res, 413);
    });
  });

  describe('GET /assets/:file', function () {
    it('serves the stylesheet from the allow-list, cached for a day', async function () {
      const res = await fetch(`${system.url}/assets/app.css?v=1`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/css; charset=utf-8');
      expect(res.headers.get('cache-control')).to.equal('public, max-age=86400');
      expect(await res.text()).to.include(':focus-visible');
    });

    it('answers 404 for any other name, a path traversal included', async function () {
      for (const name of ['nope.css', '..%2fpackage.json', '%2e%2e%2f%2e%2e%2fpackage.json', 'app.css%00']) {
        const res = await fetch(`${system.url}/assets/${name}`);
        expect(res.status, name).to.equal(404);
        expect(await res.text()).to.not.include('"dependencies"');
      }
    });
  });
});

describe('page rate limit', function () {
  this.timeout(20_000);
  let system: TestSystem;

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_ADMIN_PER_MINUTE: '4', RATE_LIMIT_PUBLIC_PER_MINUTE: '100' } });
  });

  after(async function () {
    await system?.stop();
  });

  it('counts RATE_LIMIT_ADMIN_PER_MINUTE pages per session, then answers 429 as a page with Retry-After', async function () {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise(resolve => setTimeout(resolve, 60_500 - intoMinute));
    const first = new PageClient(system.url);
    await first.loginAdmin(); // one page (the list) counted
    for (let i = 0; i < 3; i += 1) expect((await first.get('/leads/')).status).to.equal(200);
    const limited = await first.get('/leads/');
    expectHtml(limited, 429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    const second = new PageClient(system.url);
    await second.loginAdmin();
    expect((await second.get('/leads/')).status, 'another session has its own count').to.equal(200);
  });
});
