// The Admin Panel's license list and forms: filters and pages, the new-license form (customer search
// without script, generated or typed key), quick edit, toggle and the bulk changes with their confirmation.
import { expect } from 'chai';
import type mongoose from 'mongoose';
import type { TestSystem } from '../helpers/system.ts';
import { FactSpy } from '../helpers/fact-spy.ts';
import { expectHtml, textOf, type PageClient } from '../helpers/pages.ts';
import { opsFixture, postForms, type OpsFixture } from './admin-panel-ops.helpers.ts';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('Admin Panel: license list and forms', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let system: TestSystem;
  let db: mongoose.Connection;
  let admin: PageClient;
  let viewer: PageClient;
  let spy: FactSpy;
  let acme: number;
  let globex: number;
  const ids = { soon: 0, later: 0, off: 0, gone: 0 };

  const license = (id: number) => db.collection('licenses').findOne({ _id: id } as never);
  const call = <T>(action: string, params: object) => system.brokers[0]!.call<T, object>(action, params);

  before(async function () {
    f = await opsFixture('lic.viewer');
    ({ system, db, admin, viewer } = f);
    spy = await FactSpy.attach(system.brokers[0]!, ['license.created', 'license.updated', 'license.deleted']);
    acme = (await call<{ id: number }>('customer.create', { name: 'Acme Rockets', email: 'ops@rockets.example' })).id;
    globex = (await call<{ id: number }>('customer.create', { name: 'Globex', email: 'it@globex.example' })).id;
    const make = async (name: keyof typeof ids, p: object) =>
      (ids[name] = (await call<{ id: number }>('license.create', { max_activations: 2, max_users: 1, ...p })).id);
    await make('soon', { key: 'SOON-0000-0000-0001', type: 'subscription', customer_id: acme, valid_until: day(10) });
    await make('later', { key: 'LATE-0000-0000-0002', type: 'subscription', customer_id: acme, valid_until: day(200) });
    await make('off', { key: 'OFFF-0000-0000-0003', type: 'trial', customer_id: globex, is_active: false });
    await make('gone', { key: 'GONE-0000-0000-0004', type: 'trial', valid_from: day(-30), valid_until: day(-2) });
  });

  after(async function () {
    await f?.stop();
  });

  describe('GET /admin/licenses', function () {
    it('lists licenses with customer names, status, devices and links to their pages', async function () {
      const res = await admin.get('/admin/licenses');
      expectHtml(res, 200);
      expect(res.text).to.include(`<a class="key" href="/admin/licenses/${ids.soon}">SOON-0000-0000-0001</a>`);
      expect(res.text).to.include(`<a href="/admin/customers/${acme}">Acme Rockets</a>`);
      expect(textOf(res.text)).to.include('OFFF-0000-0000-0003 Globex Trial Inactive No end date 0 of 2 1');
      expect(textOf(res.text)).to.include('GONE-0000-0000-0004 None Trial Expired');
    });

    it('filters by status, type, customer, expiry window and key, with the state in the URL', async function () {
      const keysOf = (text: string) =>
        [...text.matchAll(/class="key" href="\/admin\/licenses\/\d+">([^<]+)</g)].map(m => m[1]);
      expect(keysOf((await admin.get('/admin/licenses?status=inactive')).text)).to.deep.equal(['OFFF-0000-0000-0003']);
      expect(keysOf((await admin.get('/admin/licenses?status=expired')).text)).to.deep.equal(['GONE-0000-0000-0004']);
      expect(keysOf((await admin.get('/admin/licenses?type=trial&order=asc')).text)).to.deep.equal([
        'OFFF-0000-0000-0003',
        'GONE-0000-0000-0004',
      ]);
      expect(keysOf((await admin.get(`/admin/licenses?customer_id=${acme}`)).text)).to.have.members([
        'SOON-0000-0000-0001',
        'LATE-0000-0000-0002',
      ]);
      const expiring = await admin.get('/admin/licenses?expiring=30');
      expect(keysOf(expiring.text)).to.deep.equal(['SOON-0000-0000-0001']);
      expect(expiring.text).to.include('<option value="30" selected>Expiring within 30 days</option>');
      expect(keysOf((await admin.get('/admin/licenses?q=late-0000')).text)).to.deep.equal(['LATE-0000-0000-0002']);
      const sorted = await admin.get('/admin/licenses?status=active&sort=key&order=asc');
      expect(sorted.text).to.include('href="/admin/licenses?status=active&amp;sort=key"');
      const none = await admin.get('/admin/licenses?q=ZZZZ');
      expect(textOf(none.text)).to.include('No licenses match these filters.');
    });

    it('narrows the customer choices by a typed name, and filters at once when one customer matches', async function () {
      const res = await admin.get('/admin/licenses?customer_q=globex');
      expect(res.text).to.include(`<option value="${globex}" selected>Globex - it@globex.example</option>`);
      expect(res.text).to.not.include('Acme Rockets - ops@rockets.example');
      expect(textOf(res.text)).to.include('Page 1 of 1 (1 license)');
    });

    it('pages on the server, 25 a page, keeping the filters in the links', async function () {
      for (let i = 0; i < 24; i += 1) {
        await call('license.create', { type: 'enterprise', max_activations: 1, max_users: 1 });
      }
      const first = await admin.get('/admin/licenses?type=enterprise');
      expect(textOf(first.text)).to.include('Page 1 of 1 (24 licenses)');
      const all = await admin.get('/admin/licenses?sort=created_at');
      expect(textOf(all.text)).to.include('Page 1 of 2 (29 licenses)');
      expect(all.text).to.include('href="/admin/licenses?sort=created_at&amp;page=2"');
    });

    it('ignores bad filter values instead of failing', async function () {
      expectHtml(await admin.get('/admin/licenses?status=evil&type=x&expiring=9999&customer_id=abc&sort=$where'), 200);
    });

    it('gives an admin the bulk form and quick edits; a viewer no checkbox and no form', async function () {
      const res = await admin.get('/admin/licenses?status=inactive');
      expect(res.text).to.include('<form id="bulk" class="bulk-bar" method="post" action="/admin/licenses/bulk">');
      expect(res.text).to.include(
        `id="select-${ids.off}" type="checkbox" name="license_ids" value="${ids.off}" form="bulk"`,
      );
      expect(res.text).to.include(`action="/admin/licenses/${ids.off}/quick-edit"`);
      expect(res.text).to.include('name="back" value="/admin/licenses?status=inactive"');
      const read = await viewer.get('/admin/licenses?status=inactive');
      expectHtml(read, 200);
      expect(read.text).to.not.include('name="license_ids"');
      expect(read.text).to.not.include('href="/admin/licenses/new"');
      expect(postForms(read.text)).to.deep.equal(['/logout']);
    });
  });

  describe('GET|POST /admin/licenses/new', function () {
    it('GET shows the form, with the customer of the link chosen', async function () {
      const res = await admin.get(`/admin/licenses/new?customer_id=${acme}`);
      expectHtml(res, 200);
      for (const field of [
        'customer_q',
        'customer_id',
        'key',
        'type',
        'valid_from',
        'valid_until',
        'max_activations',
      ]) {
        expect(res.text, field).to.include(`<label for="${field}">`);
      }
      expect(res.text).to.include(`<option value="${acme}" selected>Acme Rockets - ops@rockets.example</option>`);
    });

    it('"Find customers" sends the form back with what was typed and the matching customers', async function () {
      const res = await admin.post('/admin/licenses/new', {
        intent: 'find',
        customer_q: 'glob',
        key: 'TYPE-D000-0000-0000',
        type: 'educational',
        max_activations: '7',
        max_users: '3',
        notes: 'kept',
      });
      expectHtml(res, 200);
      expect(res.text).to.include(`<option value="${globex}">Globex - it@globex.example</option>`);
      expect(res.text).to.not.include('Acme Rockets');
      expect(res.text)
        .to.include('value="TYPE-D000-0000-0000"')
        .and.include('value="7"')
        .and.include('>kept</textarea>');
      expect(res.text).to.include('<option value="educational" selected>');
      expect(await db.collection('licenses').countDocuments({ key: 'TYPE-D000-0000-0000' })).to.equal(0);
    });

    it('"Generate a key" fills in an unused key and keeps the rest', async function () {
      const res = await admin.post('/admin/licenses/new', { intent: 'generate', max_users: '4', type: 'trial' });
      expectHtml(res, 200);
      expect(res.text).to.match(
        /id="key" name="key" type="text" value="[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}"/,
      );
      expect(res.text).to.include('value="4"');
      expect(textOf(res.text)).to.include('A new key was generated.');
    });

    it('creates the license through license.create (typed key, customer) and answers 303 to its page', async function () {
      const res = await admin.post('/admin/licenses/new', {
        intent: 'create',
        customer_q: '',
        customer_id: String(globex),
        key: 'PANL-2026-0000-0001',
        type: 'subscription',
        valid_from: day(0),
        valid_until: day(365),
        max_activations: '5',
        max_users: '2',
        is_active: 'yes',
        notes: 'made in the panel',
      });
      expect(res.status, res.text).to.equal(303);
      const id = Number(/^\/admin\/licenses\/(\d+)\?notice=created$/.exec(res.location!)![1]);
      expect(await license(id)).to.include({ key: 'PANL-2026-0000-0001', customer_id: globex, max_activations: 5 });
      expect(spy.heard.some(h => h.name === 'license.created' && h.fact.license_id === id)).to.equal(true);
      expect(textOf((await admin.get(res.location!)).text)).to.include('License created.');
    });

    it('generates the key when it is left empty; an unticked box creates an inactive license', async function () {
      const res = await admin.post('/admin/licenses/new', { type: 'perpetual', max_activations: '1', max_users: '1' });
      const id = Number(/\/admin\/licenses\/(\d+)/.exec(res.location!)![1]);
      const doc = await license(id);
      expect(doc!.key).to.match(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      expect(doc).to.include({ is_active: false, customer_id: null });
    });

    it('shows each refused field in words next to it, keeps the input and stores nothing', async function () {
      const before = await db.collection('licenses').countDocuments();
      const res = await admin.post('/admin/licenses/new', {
        key: 'lower-case',
        type: 'perpetual',
        valid_until: 'soon',
        max_activations: 'many',
        max_users: '0',
        notes: 'typed notes',
      });
      expectHtml(res, 400);
      expect(res.text).to.include('id="key-error">Enter a key like ABCD-1234-EFGH-5678');
      expect(res.text).to.include('id="valid_until-error">Enter a date like 2027-01-31');
      expect(res.text).to.include('id="max_activations-error">Enter a whole number from 1 to 100000.</p>');
      expect(res.text).to.include('id="max_users-error">Enter a whole number from 1 to 1000000.</p>');
      expect(textOf(res.text)).to.include('Please correct the 4 marked fields');
      expect(res.text).to.include('value="lower-case"').and.include('>typed notes</textarea>');
      expect(await db.collection('licenses').countDocuments()).to.equal(before);
    });

    it('shows the service refusal at its field: a key in use (409), a customer that is gone (404)', async function () {
      const taken = await admin.post('/admin/licenses/new', {
        key: 'PANL-2026-0000-0001',
        type: 'trial',
        max_activations: '1',
        max_users: '1',
      });
      expectHtml(taken, 409);
      expect(taken.text).to.include('id="key-error">A license with this key already exists</p>');
      const gone = await admin.post('/admin/licenses/new', {
        customer_id: '999999',
        type: 'trial',
        max_activations: '1',
        max_users: '1',
      });
      expectHtml(gone, 404);
      expect(gone.text).to.include('id="customer_id-error">Customer 999999 not found</p>');
    });
  });

  describe('POST /admin/licenses/{license_id}/quick-edit and toggle', function () {
    it('sends only what changed and returns to the license page with a notice', async function () {
      const updates = spy.heard.length;
      const res = await admin.post(`/admin/licenses/${ids.later}/quick-edit`, {
        valid_until: day(400),
        max_activations: '2',
        max_users: '6',
      });
      expect(res.location).to.equal(`/admin/licenses/${ids.later}?notice=saved`);
      expect(await license(ids.later)).to.include({ max_users: 6, max_activations: 2 });
      expect((await license(ids.later))!.valid_until.toISOString().slice(0, 10)).to.equal(day(400));
      expect(spy.heard.length).to.be.greaterThan(updates);
    });

    it('changes nothing and says so when nothing differs (no fact, expiry not re-armed)', async function () {
      const before = spy.heard.length;
      const res = await admin.post(`/admin/licenses/${ids.later}/quick-edit`, {
        valid_until: day(400),
        max_activations: '2',
        max_users: '6',
      });
      expect(res.location).to.equal(`/admin/licenses/${ids.later}?notice=unchanged`);
      await new Promise(resolve => setTimeout(resolve, 100));
      expect(spy.heard.length).to.equal(before);
    });

    it('from the list, returns to that list view; a foreign return address is ignored', async function () {
      const res = await admin.post(`/admin/licenses/${ids.soon}/quick-edit`, {
        valid_until: '',
        max_activations: '2',
        max_users: '1',
        back: '/admin/licenses?status=active&page=1',
      });
      expect(res.location).to.equal('/admin/licenses?status=active&page=1&notice=saved');
      expect(await license(ids.soon)).to.include({ valid_until: null });
      for (const back of ['//evil.example/admin/licenses', 'https://evil.example/', '/admin/licenses/../../x']) {
        const fields = { valid_until: '', max_activations: '2', max_users: '2', back };
        const other = await admin.post(`/admin/licenses/${ids.soon}/quick-edit`, fields);
        expect(other.location?.startsWith(`/admin/licenses/${ids.soon}?notice=`), back).to.equal(true);
      }
    });

    it('shows a refusal on the license page next to the field, with what was typed', async function () {
      const res = await admin.post(`/admin/licenses/${ids.soon}/quick-edit`, {
        valid_until: 'not a date',
        max_activations: '2',
        max_users: '-1',
      });
      expectHtml(res, 400);
      expect(res.text).to.include('id="quick-valid_until-error">Enter a date like 2027-01-31');
      expect(res.text).to.include('value="not a date"');
    });

    it('toggle deactivates and activates again through license.toggle', async function () {
      const off = await admin.post(`/admin/licenses/${ids.later}/toggle`);
      expect(off.location).to.equal(`/admin/licenses/${ids.later}?notice=deactivated`);
      expect(await license(ids.later)).to.include({ is_active: false });
      const on = await admin.post(`/admin/licenses/${ids.later}/toggle`);
      expect(on.location).to.equal(`/admin/licenses/${ids.later}?notice=activated`);
      expect(await license(ids.later)).to.include({ is_active: true });
    });
  });

  describe('POST /admin/licenses/bulk', function () {
    it('without a selection, or with a bad one, answers 400 with a way back and changes nothing', async function () {
      const none = await admin.post('/admin/licenses/bulk', { op: 'delete' });
      expectHtml(none, 400);
      expect(textOf(none.text)).to.include('Select at least one license on the list first.');
      expectHtml(await admin.post('/admin/licenses/bulk', { op: 'explode', license_ids: String(ids.soon) }), 400);
      expectHtml(await admin.post('/admin/licenses/bulk', { op: 'delete', license_ids: 'x' }), 400);
    });

    it('first shows what will change for each selected license, and changes nothing', async function () {
      const form = new URLSearchParams({ _csrf: admin.csrf, op: 'deactivate' });
      form.append('license_ids', String(ids.soon));
      form.append('license_ids', String(ids.later));
      const res = await admin.request('POST', '/admin/licenses/bulk', {
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include('Deactivate 2 licenses?').and.include('stop verifying at once');
      expect(text).to.include('SOON-0000-0000-0001').and.include('LATE-0000-0000-0002');
      expect(res.text).to.include(`name="license_ids" value="${ids.soon}"`).and.include('name="confirm" value="yes"');
      expect(await license(ids.soon)).to.include({ is_active: true });
    });

    it('with confirm=yes deactivates, activates, and deletes through the bulk actions', async function () {
      const post = (op: string, list: number[]) => {
        const form = new URLSearchParams({ _csrf: admin.csrf, op, confirm: 'yes' });
        for (const id of list) form.append('license_ids', String(id));
        return admin.request('POST', '/admin/licenses/bulk', {
          body: form.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      };
      expect((await post('deactivate', [ids.soon, ids.later])).location).to.equal('/admin/licenses?notice=deactivated');
      expect(await license(ids.soon)).to.include({ is_active: false });
      expect((await post('activate', [ids.soon])).location).to.equal('/admin/licenses?notice=activated');
      expect(await license(ids.soon)).to.include({ is_active: true });
      const confirm = await admin.post('/admin/licenses/bulk', { op: 'delete', license_ids: String(ids.gone) });
      expect(textOf(confirm.text)).to.include('It cannot be undone.');
      expect((await post('delete', [ids.gone])).location).to.equal('/admin/licenses?notice=deleted');
      expect(await license(ids.gone)).to.equal(null);
      expect(spy.heard.some(h => h.name === 'license.deleted' && h.fact.license_id === ids.gone)).to.equal(true);
    });
  });
});
