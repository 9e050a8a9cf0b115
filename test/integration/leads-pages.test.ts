// The lead pages (GET /leads/, create, edit, update, delete, convert, contacts, activities): status,
// HTML, stored state, and the role rules of every page route, generated from the route table.
import { expect } from 'chai';
import type mongoose from 'mongoose';
import { LEAD_PAGE_ROUTES } from '../../services/api/routes/lead.routes.ts';
import type { TestSystem } from '../helpers/system.ts';
import { PageClient, expectHtml, textOf } from '../helpers/pages.ts';
import { opsFixture, type OpsFixture } from './admin-panel-ops.helpers.ts';

describe('lead pages', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let system: TestSystem;
  let db: mongoose.Connection;
  let admin: PageClient;
  let viewer: PageClient;
  let leadId: number;

  const lead = (id: number) => db.collection('lead_institutions').findOne({ _id: id } as never);

  before(async function () {
    f = await opsFixture('pages.viewer');
    ({ system, db, admin, viewer } = f);
  });

  after(async function () {
    await f?.stop();
  });

  describe('GET /leads/', function () {
    it('shows the empty state with a way to create the first lead', async function () {
      const res = await admin.get('/leads/');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('No leads yet. Create the first one');
      expect(res.text).to.include('href="/leads/create"');
    });

    it('lists leads in a table with their primary contact, the figures and the total', async function () {
      await admin.get('/leads/create');
      const created = await admin.post('/leads/create', {
        name: 'List University',
        type: 'university',
        country: 'Germany',
        website: '',
        status: 'new',
        owner: 'admin',
        notes: '',
      });
      leadId = Number(/\/leads\/edit\/(\d+)/.exec(created.location!)![1]);
      await admin.get(`/leads/edit/${leadId}`);
      await admin.post(`/leads/edit/${leadId}/contacts`, {
        name: 'Lena List',
        email: 'lena@list.example',
        phone: '',
        role: 'Dean',
      });
      const res = await admin.get('/leads/');
      expectHtml(res, 200);
      expect(res.text).to.include(`<a href="/leads/edit/${leadId}">List University</a>`);
      expect(textOf(res.text)).to.include('Lena List lena@list.example');
      expect(textOf(res.text)).to.include('Page 1 of 1 (1 lead)');
      expect(textOf(res.text)).to.include('1 institutions 1 contacts 0 activities in 30 days 0% converted');
    });

    it('searches, filters and keeps the filter state in its links (export, sort, pages)', async function () {
      const res = await admin.get('/leads/?q=lena&type=university');
      expect(res.text).to.include('List University');
      expect(res.text).to.include('value="lena"');
      expect(res.text).to.include('href="/leads/export?q=lena&amp;type=university"');
      expect(res.text).to.include('href="/leads/?q=lena&amp;type=university&amp;sort=name&amp;order=asc"');
      const none = await admin.get('/leads/?q=nobody&status=lost');
      expect(textOf(none.text)).to.include('No leads match these filters.');
    });

    it('pages on the server: 25 per page with Previous/Next links and the total', async function () {
      for (let i = 0; i < 30; i += 1) {
        await system.brokers[0]!.call('lead.create', { name: `Paged ${String(i).padStart(2, '0')}`, type: 'company' });
      }
      const first = await admin.get('/leads/?sort=name&order=asc');
      expect(textOf(first.text)).to.include('Page 1 of 2 (31 leads)');
      expect(first.text).to.include('href="/leads/?sort=name&amp;order=asc&amp;page=2"');
      const second = await admin.get('/leads/?sort=name&order=asc&page=2');
      expect((second.text.match(/<tr>/g) ?? []).length).to.equal(1 + 6);
    });

    it('ignores a filter value that is not an option instead of failing', async function () {
      const res = await admin.get('/leads/?type=spaceship&sort=evil&page=-3');
      expectHtml(res, 200);
      expectHtml(await admin.get(`/leads/?q=${'long '.repeat(60)}`), 200);
    });

    it('is read-only for a viewer: no New lead, no import form, no form that would fail', async function () {
      const res = await viewer.get('/leads/');
      expectHtml(res, 200);
      expect(res.text).to.not.include('href="/leads/create"');
      expect(res.text).to.not.include('action="/leads/import"');
      const posts = [...res.text.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)].map(m => m[1]);
      expect(posts).to.deep.equal(['/logout']);
    });
  });

  describe('GET|POST /leads/create', function () {
    it('GET shows the form with labelled fields', async function () {
      const res = await admin.get('/leads/create');
      expectHtml(res, 200);
      for (const field of ['name', 'type', 'status', 'country', 'owner', 'website', 'notes']) {
        expect(res.text, field).to.include(`<label for="${field}">`);
      }
    });

    it('POST saves the lead and answers 303 to its page with a notice', async function () {
      await admin.get('/leads/create');
      const res = await admin.post('/leads/create', {
        name: 'Created Corp',
        type: 'company',
        country: 'Austria',
        website: 'https://created.example',
        status: 'contacted',
        owner: 'sam',
        notes: 'met at a fair',
      });
      expect(res.status).to.equal(303);
      const id = Number(/^\/leads\/edit\/(\d+)\?notice=created$/.exec(res.location!)![1]);
      expect(await lead(id)).to.include({
        name: 'Created Corp',
        status: 'contacted',
        owner: 'sam',
        website: 'https://created.example',
      });
      const page = await admin.get(res.location!);
      expect(textOf(page.text)).to.include('Lead created.');
    });

    it('POST with a bad field answers 400 with the error next to it and the input kept; nothing stored', async function () {
      await admin.get('/leads/create');
      const res = await admin.post('/leads/create', {
        name: 'Kept <b>Name</b>',
        type: 'company',
        country: '',
        website: 'ftp://nope',
        status: 'new',
        owner: '',
        notes: 'my notes',
      });
      expectHtml(res, 400);
      expect(res.text).to.include(
        '<p class="field-error" id="website-error">Enter an address starting with http:// or https://, or leave it empty.</p>',
      );
      expect(res.text).to.include('aria-invalid="true" aria-describedby="website-error website-hint"');
      expect(res.text).to.include('value="Kept &lt;b&gt;Name&lt;/b&gt;"');
      expect(res.text).to.include('>my notes</textarea>');
      expect(await db.collection('lead_institutions').countDocuments({ notes: 'my notes' })).to.equal(0);
    });

    it('POST shows every refused field at once, each next to its field', async function () {
      await admin.get('/leads/create');
      const res = await admin.post('/leads/create', {
        name: '',
        type: 'spaceship',
        country: '',
        website: 'nope',
        status: 'new',
        owner: '',
        notes: '',
      });
      expectHtml(res, 400);
      expect(res.text).to.include('id="name-error">Enter a name.</p>');
      expect(res.text).to.include('id="type-error">Choose one of: university, company, government, other.</p>');
      expect(res.text).to.include('id="website-error">Enter an address starting with http:// or https://');
      expect(textOf(res.text)).to.include('Please correct the 3 marked fields and send the form again.');
    });

    it('POST of a lead that exists in that country answers 409 with the error at the name', async function () {
      await admin.get('/leads/create');
      const res = await admin.post('/leads/create', {
        name: 'list university',
        type: 'company',
        country: 'GERMANY',
        website: '',
        status: 'new',
        owner: '',
        notes: '',
      });
      expectHtml(res, 409);
      expect(res.text).to.include('id="name-error">A lead with this name already exists in this country</p>');
    });
  });

  describe('GET /leads/edit/{lead_id}', function () {
    it('shows the form, contacts and activities with their forms to an admin', async function () {
      const res = await admin.get(`/leads/edit/${leadId}`);
      expectHtml(res, 200);
      expect(res.text).to.include(`action="/leads/update/${leadId}"`);
      expect(res.text).to.include(`action="/leads/edit/${leadId}/contacts"`);
      expect(res.text).to.include(`action="/leads/edit/${leadId}/activities"`);
      expect(res.text).to.include(`action="/leads/convert/${leadId}"`);
      expect(res.text).to.include(`action="/leads/delete/${leadId}"`);
      expect(textOf(res.text)).to.include('Lena List');
    });

    it('shows a viewer the lead read-only, without a form', async function () {
      const res = await viewer.get(`/leads/edit/${leadId}`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Germany').and.include('Lena List');
      const posts = [...res.text.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)].map(m => m[1]);
      expect(posts).to.deep.equal(['/logout']);
    });

    it('answers 404 as a page for a lead that does not exist, and for an id that is not a number', async function () {
      const missing = await admin.get('/leads/edit/999999');
      expectHtml(missing, 404);
      expect(textOf(missing.text)).to.include('Lead 999999 not found');
      // Ids in paths are digits (services/api/route-match.ts): /leads/edit/abc is no page at all.
      expectHtml(await admin.get('/leads/edit/abc'), 404);
    });
  });

  describe('POST /leads/update/{lead_id}', function () {
    it('saves the changes and answers 303 with a notice', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/update/${leadId}`, {
        name: 'List University',
        type: 'university',
        country: 'Germany',
        website: 'https://list.example',
        status: 'qualified',
        owner: 'admin',
        notes: 'updated',
      });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`/leads/edit/${leadId}?notice=saved`);
      expect(await lead(leadId)).to.include({ status: 'qualified', notes: 'updated', website: 'https://list.example' });
    });

    it('with a bad field re-renders the page (400) with the error and the input; nothing stored', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/update/${leadId}`, {
        name: '   ',
        type: 'university',
        country: 'Germany',
        website: '',
        status: 'lost',
        owner: '',
        notes: 'not saved',
      });
      expectHtml(res, 400);
      expect(res.text).to.include('id="name-error">Enter a name.</p>');
      expect(res.text).to.include('>not saved</textarea>');
      expect(await lead(leadId)).to.include({ status: 'qualified', notes: 'updated' });
    });
  });

  describe('contacts and activities on the lead page', function () {
    let contactId: number;

    it('adds a contact (303) and refuses a bad email next to the field (400), keeping the input', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const bad = await admin.post(`/leads/edit/${leadId}/contacts`, {
        name: 'Mo',
        email: 'not-an-email',
        phone: '',
        role: '',
      });
      expectHtml(bad, 400);
      expect(bad.text).to.include('id="contact-email-error">Enter a valid email address');
      expect(bad.text).to.include('value="not-an-email"');
      const ok = await admin.post(`/leads/edit/${leadId}/contacts`, {
        name: 'Mo Contact',
        email: 'mo@list.example',
        phone: '+44 1',
        role: '',
      });
      expect(ok.status).to.equal(303);
      expect(ok.location).to.equal(`/leads/edit/${leadId}?notice=contact_added`);
      const stored = await db.collection('lead_contacts').findOne({ email: 'mo@list.example' });
      expect(stored).to.include({ institution_id: leadId, name: 'Mo Contact', phone: '+44 1' });
      contactId = stored!._id as unknown as number;
    });

    it('changes a contact', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/edit/${leadId}/contacts/${contactId}/update`, {
        name: 'Mo Renamed',
        email: 'mo@list.example',
        phone: '',
        role: 'CTO',
      });
      expect(res.status).to.equal(303);
      expect(await db.collection('lead_contacts').findOne({ _id: contactId } as never)).to.include({
        name: 'Mo Renamed',
        role: 'CTO',
      });
    });

    it('records an activity with a contact at a given time (UTC), and removes it', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/edit/${leadId}/activities`, {
        type: 'meeting',
        contact_id: String(contactId),
        occurred_at: '2026-03-01T10:30',
        who: 'admin',
        text: 'Campus visit',
      });
      expect(res.status).to.equal(303);
      const stored = await db.collection('lead_activities').findOne({ text: 'Campus visit' });
      expect(stored).to.include({ institution_id: leadId, contact_id: contactId, type: 'meeting' });
      expect((stored!.occurred_at as Date).toISOString()).to.equal('2026-03-01T10:30:00.000Z');
      const page = await admin.get(`/leads/edit/${leadId}`);
      expect(textOf(page.text)).to.include('2026-03-01 10:30 UTC by admin, with Mo Renamed');
      const removed = await admin.post(`/leads/edit/${leadId}/activities/${String(stored!._id)}/delete`);
      expect(removed.status).to.equal(303);
      expect(await db.collection('lead_activities').countDocuments({ text: 'Campus visit' })).to.equal(0);
    });

    it('refuses an activity without text next to the field (400)', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/edit/${leadId}/activities`, {
        type: 'call',
        contact_id: '',
        occurred_at: '',
        who: 'admin',
        text: '',
      });
      expectHtml(res, 400);
      expect(res.text).to.include('id="activity-text-error">Enter a description.</p>');
    });

    it('removes a contact', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/edit/${leadId}/contacts/${contactId}/delete`);
      expect(res.status).to.equal(303);
      expect(await db.collection('lead_contacts').countDocuments({ _id: contactId } as never)).to.equal(0);
    });
  });

  describe('POST /leads/convert/{lead_id}', function () {
    it('converts the lead into a customer and says so', async function () {
      await admin.get(`/leads/edit/${leadId}`);
      const res = await admin.post(`/leads/convert/${leadId}`);
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`/leads/edit/${leadId}?notice=converted`);
      const stored = await lead(leadId);
      expect(stored!.status).to.equal('customer');
      expect(await db.collection('customers').countDocuments({ _id: stored!.customer_id })).to.equal(1);
      const page = await admin.get(res.location!);
      expect(textOf(page.text)).to.include('Converted: a new customer was created for this lead.');
      expect(page.text).to.not.include(`action="/leads/convert/${leadId}"`);
    });

    it('shows why a lead without a contact email cannot be converted (409)', async function () {
      const id = (
        await system.brokers[0]!.call<{ id: number }, object>('lead.create', { name: 'No Mail Co', type: 'company' })
      ).id;
      await admin.get(`/leads/edit/${id}`);
      const res = await admin.post(`/leads/convert/${id}`);
      expectHtml(res, 409);
      expect(textOf(res.text)).to.include('Add a contact with an email first');
    });
  });

  describe('POST /leads/delete/{lead_id}', function () {
    it('asks for confirmation first (works without JavaScript) and deletes nothing', async function () {
      const id = (
        await system.brokers[0]!.call<{ id: number }, object>('lead.create', { name: 'Delete Me', type: 'other' })
      ).id;
      await admin.get(`/leads/edit/${id}`);
      const confirm = await admin.post(`/leads/delete/${id}`);
      expectHtml(confirm, 200);
      expect(textOf(confirm.text)).to.include(
        'This deletes the lead Delete Me with its 0 contacts and 0 activities. It cannot be undone.',
      );
      expect(confirm.text).to.include('name="confirm" value="yes"');
      expect(await lead(id)).to.not.equal(null);
      const done = await admin.post(`/leads/delete/${id}`, { confirm: 'yes' });
      expect(done.status).to.equal(303);
      expect(done.location).to.equal('/leads/?notice=deleted');
      expect(await lead(id)).to.equal(null);
      expect(textOf((await admin.get(done.location!)).text)).to.include('Lead deleted.');
    });
  });

  describe('role rules of every lead page route (generated from the route table)', function () {
    const fill = (path: string) => path.replace(':lead_id', String(leadId)).replace(/:\w+/g, '1');

    for (const route of LEAD_PAGE_ROUTES) {
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
        it(`${name}: 403 without the CSRF token or with a wrong one, and for a viewer`, async function () {
          const before = await db.collection('lead_institutions').countDocuments();
          await admin.get('/leads/');
          for (const csrf of [null, 'x'.repeat(43), viewer.csrf]) {
            const res =
              route.body === 'multipart'
                ? await admin.upload(fill(route.path), 'name\nX\n', 'x.csv', csrf)
                : await admin.post(fill(route.path), { name: 'Forged', confirm: 'yes' }, csrf);
            expectHtml(res, 403);
          }
          await viewer.get('/leads/');
          const asViewer =
            route.body === 'multipart'
              ? await viewer.upload(fill(route.path), 'name\nX\n')
              : await viewer.post(fill(route.path), { name: 'Forged', confirm: 'yes' });
          expectHtml(asViewer, 403);
          expect(textOf(asViewer.text)).to.include('Your account can only read');
          expect(await db.collection('lead_institutions').countDocuments()).to.equal(before);
        });
      } else {
        it(`${name}: answers a signed-in user with the page headers`, async function () {
          const res = await admin.get(fill(route.path));
          expect(res.status, res.text.slice(0, 500)).to.be.oneOf([200, 404]);
          expect(res.headers.get('cache-control')).to.equal('no-store');
          expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
          expect(res.headers.get('content-security-policy')).to.include("frame-ancestors 'none'");
        });
      }
    }

    it('GET /leads/create needs the admin role (403 for a viewer)', async function () {
      expectHtml(await viewer.get('/leads/create'), 403);
    });
  });
});
