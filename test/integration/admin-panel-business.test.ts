// The Admin Panel's customer and release pages (status, HTML, stored state, facts), and the role rules
// of every business page route (customers, licenses, resources, releases), generated from the route table.
import { expect } from 'chai';
import type mongoose from 'mongoose';
import { ADMIN_BUSINESS_PAGE_ROUTES } from '../../services/api/routes/admin-pages-business.routes.ts';
import type { TestSystem } from '../helpers/system.ts';
import { FactSpy } from '../helpers/fact-spy.ts';
import { PageClient, expectHtml, textOf } from '../helpers/pages.ts';
import { opsFixture, postForms, type OpsFixture } from './admin-panel-ops.helpers.ts';

describe('Admin Panel: customer and release pages', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let system: TestSystem;
  let db: mongoose.Connection;
  let admin: PageClient;
  let viewer: PageClient;
  let spy: FactSpy;
  let customerId: number;

  const customer = (id: number) => db.collection('customers').findOne({ _id: id } as never);

  before(async function () {
    f = await opsFixture('biz.viewer');
    ({ system, db, admin, viewer } = f);
    spy = await FactSpy.attach(system.brokers[0]!, ['customer.created', 'customer.updated', 'release.published']);
  });

  after(async function () {
    await f?.stop();
  });

  describe('GET|POST /admin/customers/new', function () {
    it('GET shows the form with a label for every field', async function () {
      const res = await admin.get('/admin/customers/new');
      expectHtml(res, 200);
      for (const field of ['name', 'email', 'company', 'phone', 'notes']) {
        expect(res.text, field).to.include(`<label for="${field}">`);
      }
    });

    it('POST creates the customer through customer.create (fact included) and answers 303 to its page', async function () {
      await admin.get('/admin/customers/new');
      const res = await admin.post('/admin/customers/new', {
        name: 'Panel Corp',
        email: 'it@panel.example',
        company: 'Panel Holding',
        phone: '+49 1',
        notes: 'from the panel',
      });
      expect(res.status, res.text).to.equal(303);
      customerId = Number(/^\/admin\/customers\/(\d+)\?notice=created$/.exec(res.location!)![1]);
      expect(await customer(customerId)).to.include({ name: 'Panel Corp', email_lower: 'it@panel.example' });
      expect(spy.heard.filter(h => h.name === 'customer.created').map(h => h.fact.customer_id)).to.deep.equal([
        customerId,
      ]);
      expect(textOf((await admin.get(res.location!)).text)).to.include('Customer created.');
    });

    it('POST shows every refused field next to it, keeps the input and stores nothing', async function () {
      await admin.get('/admin/customers/new');
      const res = await admin.post('/admin/customers/new', {
        name: '',
        email: 'not-an-email',
        company: 'Kept <i>Co</i>',
        phone: '',
        notes: '',
      });
      expectHtml(res, 400);
      expect(res.text).to.include('id="name-error">Enter a name (at most 200 characters).</p>');
      expect(res.text).to.include('id="email-error">Enter a valid email address, like name@example.com.</p>');
      expect(res.text).to.include('value="Kept &lt;i&gt;Co&lt;/i&gt;"');
      expect(textOf(res.text)).to.include('Please correct the 2 marked fields');
      expect(await db.collection('customers').countDocuments({ company: 'Kept <i>Co</i>' })).to.equal(0);
    });

    it('POST of a known email answers 409 with the service message at the email field', async function () {
      await admin.get('/admin/customers/new');
      const res = await admin.post('/admin/customers/new', { name: 'Copy', email: 'IT@panel.example' });
      expectHtml(res, 409);
      expect(res.text).to.include('id="email-error">A customer with this email already exists</p>');
    });
  });

  describe('GET /admin/customers', function () {
    before(async function () {
      for (let i = 0; i < 27; i += 1) {
        await system.brokers[0]!.call('customer.create', {
          name: `Bulk ${String(i).padStart(2, '0')}`,
          email: `bulk${i}@many.example`,
          company: i === 3 ? 'Needle Industries' : '',
          is_active: i % 2 === 0,
        });
      }
    });

    it('lists customers by name, 25 a page, with the total and links that keep the filters', async function () {
      const res = await admin.get('/admin/customers');
      expectHtml(res, 200);
      // 27 here, the one created above and the test data's ACME Corp.
      expect(textOf(res.text)).to.include('Page 1 of 2 (29 customers)');
      expect(res.text).to.include('href="/admin/customers?page=2"');
      expect(res.text).to.include('href="/admin/customers/new"');
      const second = await admin.get('/admin/customers?page=2');
      expect(textOf(second.text)).to.include('Panel Corp');
    });

    it('searches name, email and company, as the Select2 search does, and filters by status', async function () {
      const byCompany = await admin.get('/admin/customers?q=needle');
      expect(textOf(byCompany.text)).to.include('Bulk 03').and.include('Page 1 of 1 (1 customer)');
      const byEmail = await admin.get('/admin/customers?q=IT%40PANEL');
      expect(textOf(byEmail.text)).to.include('Panel Corp');
      const inactive = await admin.get('/admin/customers?q=bulk&status=inactive');
      expect(textOf(inactive.text)).to.include('(13 customers)');
      const none = await admin.get('/admin/customers?q=nobody');
      expect(textOf(none.text)).to.include('No customers match these filters.');
    });

    it('ignores filter values that are not options and regex characters in the search', async function () {
      expectHtml(await admin.get('/admin/customers?status=evil&page=-4'), 200);
      const res = await admin.get(`/admin/customers?q=${encodeURIComponent('.*(a+)+$')}`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('No customers match');
    });

    it('is read-only for a viewer: no New customer, no form but logout', async function () {
      const res = await viewer.get('/admin/customers');
      expectHtml(res, 200);
      expect(res.text).to.not.include('href="/admin/customers/new"');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });
  });

  describe('GET /admin/customers/{customer_id}', function () {
    it('shows the details, quick stats and licenses with their links', async function () {
      const license = await system.brokers[0]!.call<{ id: number; key: string }, object>('license.create', {
        customer_id: customerId,
        type: 'subscription',
        max_activations: 3,
        max_users: 2,
        valid_until: '2099-01-01',
      });
      const res = await admin.get(`/admin/customers/${customerId}`);
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include('Panel Holding').and.include('from the panel');
      expect(text).to.include('1 licenses 1 active licenses 0 active devices 2 concurrent users allowed');
      expect(res.text).to.include(`href="/admin/licenses/${license.id}">${license.key}</a>`);
      expect(res.text).to.include(`href="/admin/licenses/new?customer_id=${customerId}"`);
    });

    it('is read-only for a viewer', async function () {
      const res = await viewer.get(`/admin/customers/${customerId}`);
      expectHtml(res, 200);
      expect(postForms(res.text)).to.deep.equal(['/logout']);
      expect(res.text).to.not.include(`/admin/customers/${customerId}/edit`);
    });

    it('answers 404 as a page for an unknown customer, and refuses an id that is not a number', async function () {
      const res = await admin.get('/admin/customers/999999');
      expectHtml(res, 404);
      expect(textOf(res.text)).to.include('Customer 999999 not found');
      expect((await admin.get('/admin/customers/abc')).status).to.be.oneOf([400, 404]);
    });
  });

  describe('POST /admin/customers/{customer_id}/edit', function () {
    it('saves through customer.update and answers 303 with a notice', async function () {
      const form = await admin.get(`/admin/customers/${customerId}/edit`);
      expect(form.text).to.include('value="Panel Corp"');
      const res = await admin.post(`/admin/customers/${customerId}/edit`, {
        name: 'Panel Corporation',
        email: 'it@panel.example',
        company: 'Panel Holding',
        phone: '',
        notes: 'edited',
      });
      expect(res.location).to.equal(`/admin/customers/${customerId}?notice=saved`);
      expect(await customer(customerId)).to.include({ name: 'Panel Corporation', notes: 'edited', phone: '' });
      expect(spy.heard.some(h => h.name === 'customer.updated' && h.fact.customer_id === customerId)).to.equal(true);
    });

    it('re-renders the form with the error next to the field; nothing stored', async function () {
      await admin.get(`/admin/customers/${customerId}/edit`);
      const res = await admin.post(`/admin/customers/${customerId}/edit`, {
        name: 'Panel Corporation',
        email: 'bulk1@many.example',
        company: '',
        phone: '',
        notes: 'not saved',
      });
      expectHtml(res, 409);
      expect(res.text).to.include('id="email-error">A customer with this email already exists</p>');
      expect(res.text).to.include('>not saved</textarea>');
      expect(await customer(customerId)).to.include({ notes: 'edited' });
    });
  });

  describe('POST /admin/customers/{customer_id}/deactivate and reactivate', function () {
    it('asks for a confirmation that says what happens, and changes nothing before it', async function () {
      await admin.get(`/admin/customers/${customerId}`);
      const res = await admin.post(`/admin/customers/${customerId}/deactivate`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Deactivate Panel Corporation?').and.include('None of the 1 license');
      expect(res.text).to.include('name="confirm" value="yes"');
      expect(await customer(customerId)).to.include({ is_active: true });
    });

    it('with confirm=yes sets is_active false; reactivate sets it back', async function () {
      const res = await admin.post(`/admin/customers/${customerId}/deactivate`, { confirm: 'yes' });
      expect(res.location).to.equal(`/admin/customers/${customerId}?notice=deactivated`);
      expect(await customer(customerId)).to.include({ is_active: false });
      const page = await admin.get(res.location!);
      expect(textOf(page.text)).to.include('This customer is deactivated');
      const back = await admin.post(`/admin/customers/${customerId}/reactivate`);
      expect(back.location).to.equal(`/admin/customers/${customerId}?notice=reactivated`);
      expect(await customer(customerId)).to.include({ is_active: true });
    });
  });

  describe('POST /admin/customers/{customer_id}/delete', function () {
    it('refuses up front while the customer has licenses (no confirm button)', async function () {
      await admin.get(`/admin/customers/${customerId}`);
      const res = await admin.post(`/admin/customers/${customerId}/delete`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('still has 1 license');
      expect(res.text).to.not.include('value="yes"');
      const forced = await admin.post(`/admin/customers/${customerId}/delete`, { confirm: 'yes' });
      expectHtml(forced, 409);
      expect(textOf(forced.text)).to.include('still has 1 licenses; delete them first');
      expect(await customer(customerId)).to.not.equal(null);
    });

    it('deletes a customer without licenses after the confirmation', async function () {
      const [found] = await db.collection('customers').find({ name: 'Bulk 00' }).toArray();
      const other = Number(found!._id);
      await admin.get('/admin/customers');
      const confirm = await admin.post(`/admin/customers/${other}/delete`);
      expect(confirm.text).to.include('This deletes the customer <strong>Bulk 00</strong>. It cannot be undone.');
      const res = await admin.post(`/admin/customers/${other}/delete`, { confirm: 'yes' });
      expect(res.location).to.equal('/admin/customers?notice=deleted');
      expect(await customer(other)).to.equal(null);
    });
  });

  describe('GET|POST /admin/releases', function () {
    it('lists the releases newest first with the publish form for an admin', async function () {
      const res = await admin.get('/admin/releases');
      expectHtml(res, 200);
      // The test data's two releases.
      expect(textOf(res.text)).to.match(/1\.1\.0 2025-06-15 Optional .* 1\.0\.0 2025-01-15 Optional/);
      for (const field of ['version', 'release_date', 'download_url', 'is_mandatory', 'release_notes']) {
        expect(res.text, field).to.include(`<label for="${field}">`);
      }
    });

    it('publishes through version.publish and lists it; a client version check sees it', async function () {
      const res = await admin.post('/admin/releases', {
        version: '2.1.0',
        release_date: '2026-02-01',
        download_url: 'https://downloads.example/2.1.0',
        release_notes: 'Faster <b>sync</b>',
        is_mandatory: 'yes',
      });
      expect(res.location).to.equal('/admin/releases?notice=published');
      const stored = await db.collection('releases').findOne({ version: '2.1.0' });
      expect(stored).to.include({ is_mandatory: true, release_notes: 'Faster <b>sync</b>' });
      expect(spy.heard.some(h => h.name === 'release.published' && h.fact.version === '2.1.0')).to.equal(true);
      const list = await admin.get(res.location!);
      expect(textOf(list.text)).to.include('Release published').and.include('2.1.0 2026-02-01 Mandatory');
      expect(list.text).to.include('Faster &lt;b&gt;sync&lt;/b&gt;');
      const check = await fetch(`${system.url}/api/version/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'test_api_key_123' },
        body: JSON.stringify({ current_version: '2.0.0' }),
      });
      expect(await check.json()).to.include({ update_available: true, latest_version: '2.1.0', is_mandatory: true });
    });

    it('shows each refused field next to it and keeps the input; a duplicate version is a 409', async function () {
      const bad = await admin.post('/admin/releases', {
        version: 'v2',
        release_date: '',
        download_url: 'ftp://x',
        release_notes: 'kept notes',
      });
      expectHtml(bad, 400);
      expect(bad.text).to.include('id="version-error">Enter a version like 1.4.0 (major.minor.patch).</p>');
      expect(bad.text).to.include('id="download_url-error">Enter an address starting with http:// or https://.</p>');
      expect(bad.text).to.include('>kept notes</textarea>');
      const again = await admin.post('/admin/releases', { version: '2.1.0', download_url: 'https://x.example/a' });
      expectHtml(again, 409);
      expect(again.text).to.include('id="version-error">Release 2.1.0 already exists</p>');
      expect(await db.collection('releases').countDocuments()).to.equal(3);
    });

    it('searches versions and filters mandatory or optional releases, with the state in the URL', async function () {
      const mandatory = await admin.get('/admin/releases?kind=mandatory');
      expect(textOf(mandatory.text)).to.include('2.1.0').and.not.include('1.1.0 2025');
      expect(textOf(mandatory.text)).to.include('Page 1 of 1 (1 release)');
      const optional = await admin.get('/admin/releases?q=1.&kind=optional');
      expect(textOf(optional.text)).to.include('1.1.0 2025-06-15').and.not.include('2.1.0 2026');
      expect(optional.text).to.include('<option value="optional" selected>Optional</option>');
      const none = await admin.get('/admin/releases?q=7.7');
      expect(textOf(none.text)).to.include('No releases match these filters.');
    });

    it('is read-only for a viewer: the list without the publish form', async function () {
      const res = await viewer.get('/admin/releases');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('2.1.0');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });
  });

  describe('role rules of every business page route (generated from the route table)', function () {
    const fill = (path: string) => path.replace(':customer_id', String(customerId)).replace(/:\w+/g, '1');
    const counts = async () =>
      Promise.all(['customers', 'licenses', 'resources', 'releases'].map(c => db.collection(c).countDocuments()));

    for (const route of ADMIN_BUSINESS_PAGE_ROUTES) {
      const name = `${route.method} ${route.path}`;
      it(`${name}: without a session, 303 to the login page`, async function () {
        const anonymous = new PageClient(system.url);
        const res =
          route.method === 'GET'
            ? await anonymous.get(fill(route.path))
            : await anonymous.post(fill(route.path), {}, 'x');
        expect(res.status, res.text).to.equal(303);
        expect(res.location).to.match(/^\/login/);
      });

      if (route.method === 'POST') {
        it(`${name}: 403 without the CSRF token, with a wrong one, another session's, and for a viewer`, async function () {
          const before = await counts();
          await admin.get('/admin/customers');
          const fields = { name: 'Forged', email: 'forged@x.example', confirm: 'yes', type: 'server', identifier: 'F' };
          for (const csrf of [null, 'x'.repeat(43), viewer.csrf]) {
            expectHtml(await admin.post(fill(route.path), { ...fields, version: '9.9.9' }, csrf), 403);
          }
          await viewer.get('/admin/customers');
          const asViewer = await viewer.post(fill(route.path), { ...fields, version: '9.9.8' });
          expectHtml(asViewer, 403);
          expect(textOf(asViewer.text)).to.include('Your account can only read');
          expect(await counts()).to.deep.equal(before);
        });
      } else if (route.auth === 'pageAdmin') {
        it(`${name}: a form page, 403 for a viewer`, async function () {
          expectHtml(await viewer.get(fill(route.path)), 403);
        });
      } else {
        it(`${name}: a viewer reads it with the page headers and no form that would fail`, async function () {
          const res = await viewer.get(fill(route.path));
          expect(res.status, res.text.slice(0, 500)).to.be.oneOf([200, 404]);
          expect(res.headers.get('cache-control')).to.equal('no-store');
          expect(res.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
          expect(postForms(res.text)).to.deep.equal(['/logout']);
        });
      }
    }
  });
});
