// The Admin Panel's Administration page: the API key (prefix and date; regeneration behind a
// confirmation, the new key shown once, the old one refused at once with the reference's 401) and the
// Users part (admins only: list, add with a role, delete after a confirmation, never yourself).
import { expect } from 'chai';
import { TEST_API_KEY } from '../helpers/system.ts';
import { PageClient, expectHtml, textOf } from '../helpers/pages.ts';
import {
  VIEWER_PASSWORD,
  api,
  createLicense,
  activate,
  opsFixture,
  postForms,
  verify,
  type OpsFixture,
} from './admin-panel-ops.helpers.ts';

const INVALID_API_KEY = { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 };

describe('Admin Panel: Administration page', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let license: { key: string };

  const apiKeys = () => f.db.collection('api_keys');
  const users = () => f.db.collection('admin_users');

  before(async function () {
    f = await opsFixture('admin.viewer');
    license = await createLicense(f);
    expect((await activate(f, license.key, 'admin-page')).status).to.equal(200);
  });

  after(async function () {
    await f?.stop();
  });

  describe('GET /admin/administration', function () {
    it('shows the active API key by prefix and creation date, and the users with a form to add one', async function () {
      const res = await f.admin.get('/admin/administration');
      expectHtml(res, 200);
      const text = textOf(res.text);
      const key = await apiKeys().findOne({});
      expect(text).to.include(`Active key ${key!.prefix} Created ${key!.created_at.toISOString().slice(0, 10)}`);
      expect(text).to.not.include(TEST_API_KEY);
      expect(postForms(res.text)).to.include.members([
        '/admin/administration/api-key/regenerate',
        '/admin/administration/users',
      ]);
      expect(text).to.include('admin.viewer viewer');
      expect(text).to.match(/admin admin \d{4}-\d\d-\d\d \d\d:\d\d UTC You/);
      for (const field of ['user-username', 'user-password', 'user-role'])
        expect(res.text).to.include(`<label for="${field}">`);
      expect(res.text).to.include('autocomplete="new-password"');
    });

    it('searches the users by name and filters them by role, the filters kept in the URL', async function () {
      const res = await f.admin.get('/admin/administration?users_q=VIEW&users_role=viewer');
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include('admin.viewer viewer').and.include('Page 1 of 1 (1 user)');
      expect(text).to.not.match(/admin admin \d{4}/);
      expect(res.text).to.include('value="VIEW"').and.include('<option value="viewer" selected>');
      const none = await f.admin.get('/admin/administration?users_q=nobody');
      expect(textOf(none.text)).to.include('No users match these filters.');
      expectHtml(await f.admin.get('/admin/administration?users_role=boss&users_page=zz'), 200);
      const listed = await api(f, 'GET', '/api/admin/users?q=VIEW&role=viewer');
      expect(listed.status, listed.text).to.equal(200);
      expect(listed.body.users.map((u: { username: string }) => u.username)).to.deep.equal(['admin.viewer']);
      expect(listed.body.total).to.equal(1);
    });

    it('shows a viewer the API key part only: no regenerate form, no Users part', async function () {
      const res = await f.viewer.get('/admin/administration');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Active key');
      expect(res.text).to.not.include('id="users-heading"').and.not.include('Add a user');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });
  });

  describe('POST /admin/administration/api-key/regenerate', function () {
    let oldKey: Record<string, unknown>;
    let newKey: string;

    it('asks for confirmation first, saying the old key stops working at once on every gateway', async function () {
      oldKey = (await apiKeys().findOne({}))!;
      await f.admin.get('/admin/administration');
      const res = await f.admin.post('/admin/administration/api-key/regenerate');
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include('Regenerate the API key?');
      expect(text).to.include(
        `The current key ( ${oldKey.prefix as string} ) stops working at once, on every gateway.`,
      );
      expect(res.text).to.include('Yes, regenerate the API key').and.include('href="/admin/administration"');
      expect(await apiKeys().findOne({})).to.deep.equal(oldKey);
      expect((await verify(f, license.key, 'admin-page')).status).to.equal(200);
    });

    it('regenerates once confirmed and shows the new key once, never cached; the old key gets the 401 at once', async function () {
      const confirm = await f.admin.post('/admin/administration/api-key/regenerate');
      const seen = /name="seen" value="([^"]+)"/.exec(confirm.text)![1]!;
      const res = await f.admin.post('/admin/administration/api-key/regenerate', { confirm: 'yes', seen });
      expectHtml(res, 200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      newKey = /<input\s+id="api-key"[^>]*value="(AF-\d{4}-[A-Za-z0-9]{32})"/.exec(res.text)![1]!;
      expect(res.text).to.include('data-copy="api-key" hidden>Copy</button>');
      expect(textOf(res.text))
        .to.include('Shown only this once.')
        .and.include('The old key stopped working on every gateway.');
      const stored = await apiKeys().findOne({});
      expect(stored!.digest).to.not.equal(oldKey.digest);
      expect(stored!.prefix).to.equal(`${newKey.slice(0, 12)}...`);
      const old = await verify(f, license.key, 'admin-page', TEST_API_KEY);
      expect(old.status).to.equal(401);
      expect(old.body).to.deep.equal(INVALID_API_KEY);
      const fresh = await verify(f, license.key, 'admin-page', newKey);
      expect(fresh.status).to.equal(200);
      expect(fresh.body.valid).to.equal(true);
    });

    it('does not regenerate again when the same confirmation is sent twice (a reload)', async function () {
      const before = await apiKeys().findOne({});
      const res = await f.admin.post('/admin/administration/api-key/regenerate', {
        confirm: 'yes',
        seen: (oldKey.created_at as Date).toISOString(),
      });
      expectHtml(res, 409);
      expect(textOf(res.text)).to.include('nothing was done');
      expect(await apiKeys().findOne({})).to.deep.equal(before);
      expect((await verify(f, license.key, 'admin-page', newKey)).status).to.equal(200);
    });
  });

  describe('POST /admin/administration/users', function () {
    it('shows every refused field next to it, keeps the username, never the password; stores nothing', async function () {
      const before = await users().countDocuments();
      await f.admin.get('/admin/administration');
      const res = await f.admin.post('/admin/administration/users', { username: 'x', password: 'short', role: 'boss' });
      expectHtml(res, 400);
      for (const field of ['username', 'password', 'role'])
        expect(res.text, field).to.include(`id="user-${field}-error"`);
      expect(res.text).to.include('value="x"').and.not.include('value="short"');
      expect(textOf(res.text)).to.include('Please correct the 3 marked fields');
      expect(await users().countDocuments()).to.equal(before);
    });

    it('says a taken username next to it', async function () {
      const res = await f.admin.post('/admin/administration/users', {
        username: 'ADMIN.viewer',
        password: 'long-enough-1',
        role: 'viewer',
      });
      expectHtml(res, 409);
      expect(res.text).to.match(
        /<p class="field-error" id="user-username-error">User ADMIN\.viewer already exists<\/p>/,
      );
    });

    it('adds a user with a role, who can then sign in', async function () {
      const res = await f.admin.post('/admin/administration/users', {
        username: 'new.admin',
        password: 'new-admin-password',
        role: 'admin',
      });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/admin/administration?notice=user_created');
      expect(await users().findOne({ username: 'new.admin' })).to.include({ role: 'admin' });
      const page = await f.admin.get(res.location!);
      expect(textOf(page.text)).to.include('User added').and.include('new.admin admin');
      const other = new PageClient(f.system.url);
      await other.login('new.admin', 'new-admin-password');
    });
  });

  describe('POST /admin/administration/users/{user_id}/delete', function () {
    it('asks for confirmation naming the user, then deletes them and ends their sessions', async function () {
      const session = new PageClient(f.system.url);
      await session.login('admin.viewer', VIEWER_PASSWORD);
      const target = await users().findOne({ username: 'admin.viewer' });
      await f.admin.get('/admin/administration');
      const confirm = await f.admin.post(`/admin/administration/users/${Number(target!._id)}/delete`);
      expectHtml(confirm, 200);
      expect(textOf(confirm.text)).to.include('Delete admin.viewer?').and.include('This cannot be undone.');
      expect(await users().countDocuments({ _id: target!._id })).to.equal(1);
      const res = await f.admin.post(`/admin/administration/users/${Number(target!._id)}/delete`, { confirm: 'yes' });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/admin/administration?notice=user_deleted');
      expect(await users().countDocuments({ _id: target!._id })).to.equal(0);
      expect((await session.get('/admin/')).status).to.equal(303);
    });

    it('refuses to delete yourself, saying so at the top of the page', async function () {
      const self = await users().findOne({ username: 'admin' });
      const res = await f.admin.post(`/admin/administration/users/${Number(self!._id)}/delete`, { confirm: 'yes' });
      expectHtml(res, 409);
      expect(textOf(res.text)).to.include('You cannot delete your own user');
      expect(await users().countDocuments({ _id: self!._id })).to.equal(1);
    });

    it('answers 404 as a page for a user that does not exist', async function () {
      const res = await f.admin.post('/admin/administration/users/999999/delete', { confirm: 'yes' });
      expectHtml(res, 404);
    });
  });
});
