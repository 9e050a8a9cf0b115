// The Admin Panel's operations pages: the dashboard and its refreshing part, the global search page,
// Monitoring (alerts, anomalies, resolve), the layout's navigation, and the role rules of every route of
// admin-pages-ops.routes.ts (generated from the route table): no session, CSRF, viewers.
import { expect } from 'chai';
import { ADMIN_OPS_PAGE_ROUTES } from '../../services/api/routes/admin-pages-ops.routes.ts';
import { PageClient, expectHtml, expectPageHeaders, textOf } from '../helpers/pages.ts';
import { ALL_SERVICES } from '../helpers/system.ts';
import {
  activate,
  createCustomer,
  createLicense,
  dayFromToday,
  eventually,
  opsFixture,
  postForms,
  type OpsFixture,
} from './admin-panel-ops.helpers.ts';

describe('Admin Panel: dashboard, search and monitoring pages', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let customer: { id: number; name: string };
  let burst: { id: number; key: string };
  let expiring: { id: number; key: string };

  const anomalies = () => f.db.collection('anomalies');

  before(async function () {
    // Two activations of one license within the window make an anomaly (the real detector).
    f = await opsFixture('ops.viewer', { LIVE_STATS_CACHE_MS: '0', ANOMALY_ACTIVATIONS: '2' });
    customer = await createCustomer(f, 'Dashboard Dental');
    burst = await createLicense(f, { customer_id: customer.id, max_activations: 2 });
    expiring = await createLicense(f, { customer_id: customer.id, valid_until: dayFromToday(12) });
    for (const hw of ['burst-1', 'burst-2']) expect((await activate(f, burst.key, hw)).status).to.equal(200);
    await eventually(async () => {
      expect(await anomalies().countDocuments()).to.equal(1);
    });
  });

  after(async function () {
    await f?.stop();
  });

  describe('the layout', function () {
    it('names every area in the navigation, in order, and searches the panel from the header', async function () {
      const res = await f.admin.get('/admin/');
      expectHtml(res, 200);
      const nav = /<nav class="sidenav"[\s\S]*?<\/nav>/.exec(res.text)![0];
      const links = [...nav.matchAll(/<a href="([^"]+)"[^>]*>([^<]+)<\/a>/g)].map(m => `${m[2]} ${m[1]}`);
      expect(links).to.deep.equal([
        'Dashboard /admin/',
        'Customers /admin/customers',
        'Licenses /admin/licenses',
        'Resources /admin/resources',
        'Releases /admin/releases',
        'Monitoring /admin/monitoring',
        'Webhooks /admin/webhooks',
        'Leads /leads/',
        'Administration /admin/administration',
      ]);
      expect(nav).to.include('<a href="/admin/"  aria-current="page">Dashboard</a>');
      expect(res.text).to.include('action="/admin/search"').and.include('<a class="brand" href="/admin/">');
    });
  });

  describe('GET /admin/', function () {
    it('shows the live figures and open alerts in a part that refreshes itself from /admin/live', async function () {
      const res = await f.admin.get('/admin/');
      expectHtml(res, 200);
      expect(res.text).to.include('data-refresh="/admin/live" data-refresh-seconds="10"');
      expect(res.text).to.match(/<script src="\/assets\/refresh\.js\?v=[0-9a-f]{12}" defer><\/script>/);
      const text = textOf(res.text);
      expect(text).to.match(/\d+ active licenses \d+ active activations \d+ live sessions \d+ heartbeats per minute/);
      expect(text).to.include('Open alerts (').and.include('refreshed every 10 seconds');
    });

    it('draws activations and verifications over 24 hours and 30 days as SVG charts with a table each', async function () {
      const res = await f.admin.get('/admin/');
      for (const id of [
        'chart-activations-24h',
        'chart-verifications-24h',
        'chart-activations-30d',
        'chart-verifications-30d',
      ]) {
        expect(res.text, id).to.include(`<figure class="chart" id="${id}">`);
        expect(res.text, id).to.include(`aria-labelledby="${id}-title ${id}-summary"`);
      }
      expect((res.text.match(/<svg\b/g) ?? []).length).to.equal(4);
      expect((res.text.match(/<rect\b/g) ?? []).length).to.equal(2 * 24 + 2 * 30);
      const text = textOf(res.text);
      expect(res.text).to.match(
        /id="chart-activations-24h-summary">\s*\d+ activations in total; the most, \d+, in \d{4}-\d\d-\d\d \d\d:00 UTC\./,
      );
      expect(text).to.include('Activations, last 30 days as a table');
    });

    it('lists the newest anomalies, the licenses near their limits and those expiring within 30 days', async function () {
      const res = await f.admin.get('/admin/');
      const text = textOf(res.text);
      expect(text).to.include('Unusual activation pattern');
      expect(res.text).to.include(`<a href="/admin/licenses/${burst.id}">${burst.key}</a>`);
      expect(text).to.include(`${burst.key} Dashboard Dental 2 of 2 seats (100%)`);
      expect(res.text).to.include(`<a href="/admin/licenses/${expiring.id}">${expiring.key}</a>`);
      expect(text).to.include(`${expiring.key} Dashboard Dental ${dayFromToday(12)} (in 12 days)`);
      expect(res.text).to.include(`<a href="/admin/customers/${customer.id}">Dashboard Dental</a>`);
      expect(res.text).to.include(
        'href="/admin/licenses?status=active&amp;expiring=30&amp;sort=valid_until&amp;order=asc"',
      );
    });

    it('is the same for a viewer, with no form but logout', async function () {
      const res = await f.viewer.get('/admin/');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Unusual activation pattern');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });
  });

  describe('GET /admin/live', function () {
    it('answers the live part as an HTML fragment with the page headers', async function () {
      const res = await f.admin.get('/admin/live');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expectPageHeaders(res);
      expect(res.text.trimStart()).to.match(/^<ul class="stats" aria-label="Live figures">/);
      expect(res.text).to.not.include('<html').and.not.include('<!DOCTYPE');
    });

    it('shows a new activation in its figures', async function () {
      const figure = async () =>
        Number(/(\d+) active activations/.exec(textOf((await f.viewer.get('/admin/live')).text))![1]);
      const before = await figure();
      const license = await createLicense(f);
      expect((await activate(f, license.key, 'live-figure')).status).to.equal(200);
      expect(await figure()).to.equal(before + 1);
    });

    it('sends a request without a session to the login page', async function () {
      const res = await new PageClient(f.system.url).get('/admin/live');
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/login?next=%2Fadmin%2Flive');
    });
  });

  describe('GET /admin/search', function () {
    it('links each result to its page in the panel', async function () {
      const res = await f.admin.get('/admin/search?q=dashboard');
      expectHtml(res, 200);
      expect(res.text).to.include(`<a href="/admin/customers/${customer.id}">Dashboard Dental</a>`);
      const device = await f.admin.get('/admin/search?q=burst-1');
      expect(device.text).to.include(`<a href="/admin/licenses/${burst.id}#devices">machine burst-1</a>`);
      const license = await f.admin.get(`/admin/search?q=${burst.key}`);
      expect(license.text).to.include(`<a href="/admin/licenses/${burst.id}">${burst.key}</a>`);
      expect(textOf(license.text)).to.include(`${burst.key} License Dashboard Dental - Active`);
    });

    it('filters by kind, keeps the query in the form, and offers the same search in the leads', async function () {
      const res = await f.viewer.get('/admin/search?q=dashboard&type=license');
      expect(res.text).to.include('value="dashboard"').and.include('<option value="license" selected>');
      expect(textOf(res.text)).to.include('Nothing matches "dashboard" among licenses');
      expect(res.text).to.include('href="/admin/search?q=dashboard"').and.include('href="/leads/?q=dashboard"');
    });

    it('asks for a text when there is none, and ignores a kind that is not one', async function () {
      const res = await f.admin.get('/admin/search?q=+&type=spaceship');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Type a name, an email, a license key or a machine to find it.');
      expectHtml(await f.admin.get(`/admin/search?q=${'x'.repeat(600)}`), 200);
    });
  });

  describe('GET /admin/monitoring', function () {
    it('shows the open alerts and the unresolved anomalies with their evidence', async function () {
      const res = await f.admin.get('/admin/monitoring');
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include('Open alerts');
      expect(text).to.match(/#\d+ Unusual activation pattern License \d+ Customer \d+/);
      expect(text).to.include('activations: 2; window seconds: 600; threshold: 2');
      expect(text).to.include('1 unresolved');
    });

    it('filters by type, state and license, with the filter state in the URL and its links', async function () {
      const none = await f.admin.get('/admin/monitoring?type=license_hopping');
      expect(textOf(none.text)).to.include('No anomalies match these filters.');
      const byLicense = await f.admin.get(`/admin/monitoring?license_id=${burst.id}&state=all`);
      expect(textOf(byLicense.text)).to.include('Unusual activation pattern');
      expect(byLicense.text).to.include(`value="${burst.id}"`).and.include('<option value="all" selected>');
      const other = await f.admin.get(`/admin/monitoring?license_id=${expiring.id}`);
      expect(textOf(other.text)).to.include('No anomalies match these filters.');
      expectHtml(await f.admin.get('/admin/monitoring?type=evil&state=nope&license_id=x&page=-2'), 200);
    });

    it('lets an admin resolve an anomaly with a note: recorded with who and when, back to the same filters', async function () {
      const page = await f.admin.get(`/admin/monitoring?license_id=${burst.id}`);
      const id = Number(/action="\/admin\/monitoring\/anomalies\/(\d+)\/resolve"/.exec(page.text)![1]);
      const res = await f.admin.post(`/admin/monitoring/anomalies/${id}/resolve`, {
        note: 'Reinstalled by the customer',
        back: `/admin/monitoring?license_id=${burst.id}`,
      });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`/admin/monitoring?license_id=${burst.id}&notice=resolved`);
      const stored = await anomalies().findOne({ _id: id } as never);
      expect(stored).to.include({ resolved: true, resolution_note: 'Reinstalled by the customer' });
      expect(stored!.resolved_by).to.include({ username: 'admin' });
      const after = await f.admin.get(res.location!);
      expect(textOf(after.text)).to.include('Anomaly resolved.');
      const resolved = textOf((await f.admin.get('/admin/monitoring?state=resolved')).text);
      expect(resolved).to.include('Resolved by admin').and.include('Reinstalled by the customer');
    });

    it('says so when the anomaly had been resolved already, and goes back only within the monitoring page', async function () {
      const [doc] = await anomalies().find({}).toArray();
      const res = await f.admin.post(`/admin/monitoring/anomalies/${Number(doc!._id)}/resolve`, {
        back: 'https://evil.example/',
      });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/admin/monitoring?notice=already');
    });

    it('answers 404 as a page for an anomaly that does not exist', async function () {
      const res = await f.admin.post('/admin/monitoring/anomalies/999999/resolve', {});
      expectHtml(res, 404);
      expect(textOf(res.text)).to.include('Anomaly 999999 not found');
    });

    it('is read-only for a viewer: no resolve form', async function () {
      const res = await f.viewer.get('/admin/monitoring?state=all');
      expectHtml(res, 200);
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });
  });

  describe('role rules of every operations page route (generated from the route table)', function () {
    const fill = (path: string) => path.replace(/:\w+/g, '1');
    const snapshot = async () => ({
      webhooks: await f.db.collection('webhook_endpoints').countDocuments(),
      users: await f.db.collection('admin_users').countDocuments(),
      key: JSON.stringify(await f.db.collection('api_keys').findOne({})),
      resolved: await anomalies().countDocuments({ resolved: true }),
    });

    for (const route of ADMIN_OPS_PAGE_ROUTES) {
      const name = `${route.method} ${route.path}`;
      it(`${name}: without a session, 303 to the login page`, async function () {
        const anonymous = new PageClient(f.system.url);
        const res =
          route.method === 'GET'
            ? await anonymous.get(fill(route.path))
            : await anonymous.post(fill(route.path), {}, 'x');
        expect(res.status, res.text).to.equal(303);
        expect(res.location).to.match(/^\/login/);
      });

      if (route.method === 'POST') {
        it(`${name}: 403 without the CSRF token or with a wrong one, and for a viewer; nothing changes`, async function () {
          const before = await snapshot();
          await f.admin.get('/admin/');
          const fields = {
            confirm: 'yes',
            url: 'http://127.0.0.1:9/x',
            events: '*',
            username: 'forged.user',
            password: 'forged-password',
            role: 'admin',
          };
          for (const csrf of [null, 'x'.repeat(43), f.viewer.csrf]) {
            expectHtml(await f.admin.post(fill(route.path), fields, csrf), 403);
          }
          await f.viewer.get('/admin/');
          const asViewer = await f.viewer.post(fill(route.path), fields);
          expectHtml(asViewer, 403);
          expect(textOf(asViewer.text)).to.include('Your account can only read');
          expect(await snapshot()).to.deep.equal(before);
        });
      } else if (route.auth === 'pageAdmin') {
        it(`${name}: 403 for a viewer, 200 for an admin`, async function () {
          expectHtml(await f.viewer.get(fill(route.path)), 403);
          expectHtml(await f.admin.get(fill(route.path)), 200);
        });
      } else {
        it(`${name}: answers a signed-in viewer with the page headers`, async function () {
          const res = await f.viewer.get(fill(route.path));
          expect(res.status, res.text.slice(0, 500)).to.be.oneOf([200, 404]);
          expectPageHeaders(res);
        });
      }
    }
  });
});

describe('Admin Panel: the dashboard when a service does not answer', function () {
  this.timeout(30_000);
  let f: OpsFixture;

  before(async function () {
    // Every service but monitoring: live stats, charts and anomalies have no one to ask.
    f = await opsFixture(
      'outage.viewer',
      {},
      ALL_SERVICES.filter(s => s !== 'monitoring'),
    );
  });

  after(async function () {
    await f?.stop();
  });

  it('shows every other section and says which ones cannot be shown', async function () {
    await createLicense(f, { valid_until: dayFromToday(3) });
    const res = await f.admin.get('/admin/');
    expectHtml(res, 200);
    const text = textOf(res.text);
    for (const part of ['The live figures', 'The charts', 'The anomalies']) {
      expect(text, part).to.include(`${part} cannot be shown right now: the service did not answer.`);
    }
    expect(text).to.include(`(in 3 days)`);
    const live = await f.admin.get('/admin/live');
    expect(live.status).to.equal(200);
    expect(textOf(live.text)).to.include('The live figures cannot be shown right now');
  });
});
