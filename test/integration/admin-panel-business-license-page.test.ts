// A license's page in the Admin Panel (devices, live sessions, resources, history), the license history
// the monitoring service records (monitoring.licenseHistory: every fact about a license, bounded per
// license), and the resource pages (pools, list, create, allocate, release, delete).
import { expect } from 'chai';
import type mongoose from 'mongoose';
import type { LicenseHistoryAnswer } from '../../services/monitoring/history.ts';
import { http, TEST_API_KEY, type TestSystem } from '../helpers/system.ts';
import { adminToken } from '../helpers/admin.ts';
import { expectHtml, textOf, type PageClient } from '../helpers/pages.ts';
import { opsFixture, postForms, type OpsFixture } from './admin-panel-ops.helpers.ts';

const CLIENT = { 'x-api-key': TEST_API_KEY };

describe('Admin Panel: a license page, its history and the resource pages', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let system: TestSystem;
  let db: mongoose.Connection;
  let admin: PageClient;
  let viewer: PageClient;
  let licenseId: number;
  let key: string;
  let deviceId: number;
  let resourceId: number;

  const call = <T>(action: string, params: object) => system.brokers[0]!.call<T, object>(action, params);
  const history = (id: number, limit = 100) =>
    call<LicenseHistoryAnswer>('monitoring.licenseHistory', { license_id: id, limit });

  /** Facts are recorded as they arrive: waits until the history holds what the test expects. */
  async function historyUntil(id: number, done: (h: LicenseHistoryAnswer) => boolean): Promise<LicenseHistoryAnswer> {
    for (let i = 0; i < 100; i += 1) {
      const h = await history(id);
      if (done(h)) return h;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    return history(id);
  }

  before(async function () {
    f = await opsFixture('page.viewer', { LICENSE_HISTORY_MAX_EVENTS: '10' });
    ({ system, db, admin, viewer } = f);
    const customer = await call<{ id: number }>('customer.create', { name: 'Lab Inc', email: 'lab@lab.example' });
    const created = await call<{ id: number; key: string }>('license.create', {
      customer_id: customer.id,
      type: 'subscription',
      max_activations: 2,
      max_users: 2,
      valid_until: '2099-01-01',
    });
    licenseId = created.id;
    key = created.key;
  });

  after(async function () {
    await f?.stop();
  });

  describe('GET /admin/licenses/{license_id}', function () {
    it('shows a client activation as a device with its live session, and the history of the license', async function () {
      const activated = await http('POST', `${system.url}/api/license/activate`, {
        headers: CLIENT,
        body: { license_key: key, hardware_hash: 'hw-lab-1', machine_name: 'Lab PC', app_version: '1.2.3' },
      });
      expect(activated.status, activated.text).to.be.oneOf([200, 201]);
      deviceId = activated.body.activation.id;
      const verified = await http('POST', `${system.url}/api/license/verify`, {
        headers: CLIENT,
        body: { license_key: key, hardware_hash: 'hw-lab-1' },
      });
      expect(verified.body).to.include({ valid: true });
      await historyUntil(licenseId, h => h.events.some(e => e.event === 'license.activated'));

      const res = await admin.get(`/admin/licenses/${licenseId}`);
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include(`Lab PC hw-lab-1 1.2.3`).and.include('Active Yes');
      expect(text).to.include('Devices (1 of 2 active)');
      expect(text).to.include('1 of 2 concurrent users in use now.');
      expect(text).to.include(`Activated on device ${deviceId}.`).and.include('License created.');
      expect(text).to.include(`Device ${deviceId} registered (hardware hw-lab-1 ).`);
      expect(res.text).to.include('<a href="/admin/customers/').and.include('>Lab Inc</a>');
      expect(res.text).to.include(`action="/admin/licenses/${licenseId}/devices/${deviceId}/deactivate"`);
    });

    it('is read-only for a viewer: the same sections, no form', async function () {
      const res = await viewer.get(`/admin/licenses/${licenseId}`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Lab PC').and.include('Live sessions').and.include('History');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });

    it('answers 404 as a page for a license that does not exist', async function () {
      const res = await admin.get('/admin/licenses/999999');
      expectHtml(res, 404);
      expect(textOf(res.text)).to.include('License 999999 not found');
    });
  });

  describe('devices on the license page', function () {
    it('deactivating asks first; confirmed, the seat is freed and the next verify is NOT_ACTIVATED', async function () {
      await admin.get(`/admin/licenses/${licenseId}`);
      const ask = await admin.post(`/admin/licenses/${licenseId}/devices/${deviceId}/deactivate`);
      expectHtml(ask, 200);
      expect(textOf(ask.text)).to.include('Deactivate Lab PC?').and.include('Its next verify is refused');
      expect(await db.collection('activations').findOne({ _id: deviceId } as never)).to.include({ is_active: true });
      const done = await admin.post(`/admin/licenses/${licenseId}/devices/${deviceId}/deactivate`, { confirm: 'yes' });
      expect(done.location).to.equal(`/admin/licenses/${licenseId}?notice=device_deactivated#devices`);
      expect(await db.collection('activations').findOne({ _id: deviceId } as never)).to.include({ is_active: false });
      const verified = await http('POST', `${system.url}/api/license/verify`, {
        headers: CLIENT,
        body: { license_key: key, hardware_hash: 'hw-lab-1' },
      });
      expect(verified.body).to.include({ valid: false, code: 'NOT_ACTIVATED' });
      await historyUntil(licenseId, h => h.events.some(e => e.event === 'device.deactivated'));
      const page = textOf((await admin.get(`/admin/licenses/${licenseId}`)).text);
      expect(page).to.include('0 of 2 concurrent users in use now.');
      expect(page).to.include(`Device ${deviceId} deactivated by an admin.`);
    });

    it('an unknown device answers 404 as a page', async function () {
      expectHtml(await admin.post(`/admin/licenses/${licenseId}/devices/999999/deactivate`), 404);
    });

    it('registers a device by hand; a bad hardware id is shown next to its field', async function () {
      const bad = await admin.post(`/admin/licenses/${licenseId}/devices`, {
        hardware_hash: 'has space',
        machine_name: '',
      });
      expectHtml(bad, 400);
      expect(bad.text).to.include('id="register-hardware_hash-error">Enter the machine&#39;s hardware id');
      expect(bad.text).to.include('value="has space"');
      const res = await admin.post(`/admin/licenses/${licenseId}/devices`, {
        hardware_hash: 'hw-admin-1',
        machine_name: 'Admin box',
      });
      expect(res.location).to.equal(`/admin/licenses/${licenseId}?notice=device_registered#devices`);
      expect(
        await db.collection('activations').countDocuments({ hardware_hash: 'hw-admin-1', is_active: true }),
      ).to.equal(1);
    });
  });

  describe("the resource pages and a license page's resources", function () {
    it('adds resources to the pool; a refused field is shown next to it', async function () {
      await admin.get('/admin/resources');
      const res = await admin.post('/admin/resources/new', { type: 'server', identifier: 'SRV-001', notes: 'rack 4' });
      expect(res.location).to.equal('/admin/resources?notice=created');
      await admin.post('/admin/resources/new', { type: 'server', identifier: 'SRV-002', notes: '' });
      await admin.post('/admin/resources/new', { type: 'dongle', identifier: 'USB 7', notes: '' });
      resourceId = (await db.collection('resources').findOne({ identifier: 'SRV-001' }))!._id as unknown as number;
      const bad = await admin.post('/admin/resources/new', {
        type: 'Big Server',
        identifier: 'srv-001',
        notes: 'kept',
      });
      expectHtml(bad, 400);
      expect(bad.text).to.include('id="new-type-error">Enter a type in lower case');
      const taken = await admin.post('/admin/resources/new', { type: 'server', identifier: 'srv-001', notes: '' });
      expectHtml(taken, 409);
      expect(taken.text).to.include('id="new-identifier-error">A resource with this identifier already exists</p>');
      expect(await db.collection('resources').countDocuments()).to.equal(3);
    });

    it('shows the pools by type with their availability, and the filtered list', async function () {
      const res = await admin.get('/admin/resources');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('3 resources 3 available 0 allocated');
      expect(res.text).to.match(/<meter\s+min="0"\s+max="2"\s+value="2"\s+aria-label="server: 2 of 2 available"\s*>/);
      const dongles = await admin.get('/admin/resources?type=dongle');
      expect(textOf(dongles.text)).to.include('USB 7').and.not.include('rack 4');
      expect(textOf(dongles.text)).to.include('Page 1 of 1 (1 resource)');
      const found = await admin.get('/admin/resources?q=usb');
      expect(textOf(found.text)).to.include('USB 7').and.include('(1 resource)');
      expect(found.text).to.include('value="usb"');
      // The admin API's list takes the same search (GET /api/resources?q=), matched literally.
      const auth = { authorization: `Bearer ${await adminToken(system.url)}` };
      const api = await http('GET', `${system.url}/api/resources?q=SRV-00`, { headers: auth });
      expect(api.body.resources.map((r: { identifier: string }) => r.identifier)).to.deep.equal(['SRV-001', 'SRV-002']);
      const literal = await http('GET', `${system.url}/api/resources?q=${encodeURIComponent('.*')}`, { headers: auth });
      expect(literal.body.pagination.total).to.equal(0);
      const none = await admin.get('/admin/resources?status=allocated');
      expect(textOf(none.text)).to.include('No resources match these filters.');
    });

    it('allocates a free resource from the license page, and releases it there', async function () {
      const page = await admin.get(`/admin/licenses/${licenseId}`);
      expect(page.text).to.include(`<option value="${resourceId}">SRV-001 (server)</option>`);
      const res = await admin.post(`/admin/licenses/${licenseId}/resources`, { resource_id: String(resourceId) });
      expect(res.location).to.equal(`/admin/licenses/${licenseId}?notice=allocated#resources`);
      expect(await db.collection('resources').findOne({ _id: resourceId } as never)).to.include({
        license_id: licenseId,
      });
      await historyUntil(licenseId, h => h.events.some(e => e.event === 'resource.allocated'));
      const after = textOf((await admin.get(`/admin/licenses/${licenseId}`)).text);
      expect(after).to.include('Resources (1)').and.include(`Allocated 1 resource (${resourceId}).`);
      const released = await admin.post(`/admin/licenses/${licenseId}/resources/${resourceId}/release`);
      expect(released.location).to.equal(`/admin/licenses/${licenseId}?notice=released#resources`);
      expect(await db.collection('resources').findOne({ _id: resourceId } as never)).to.include({ license_id: null });
    });

    it('allocates from the pool by choosing the license by its key; the list links the license', async function () {
      const choose = await admin.get(`/admin/resources/${resourceId}/allocate?q=${key.slice(0, 9)}`);
      expectHtml(choose, 200);
      expect(choose.text).to.include(`<option value="${licenseId}">${key} (subscription, active`);
      const res = await admin.post(`/admin/resources/${resourceId}/allocate`, { license_id: String(licenseId) });
      expect(res.location).to.equal('/admin/resources?notice=allocated');
      const list = await admin.get(`/admin/resources?license_id=${licenseId}`);
      expect(list.text).to.include(`<a href="/admin/licenses/${licenseId}">License ${licenseId}</a>`);
      const again = await admin.post(`/admin/resources/${resourceId}/allocate`, { license_id: String(licenseId) });
      expectHtml(again, 409);
    });

    it('refuses to delete an allocated resource; releases it, then deletes it after a confirmation', async function () {
      const blocked = await admin.post(`/admin/resources/${resourceId}/delete`);
      expect(textOf(blocked.text)).to.include('release it first');
      expect(blocked.text).to.not.include('name="confirm" value="yes"');
      expectHtml(await admin.post(`/admin/resources/${resourceId}/delete`, { confirm: 'yes' }), 409);
      const released = await admin.post(`/admin/resources/${resourceId}/release`);
      expect(released.location).to.equal('/admin/resources?notice=released');
      const ask = await admin.post(`/admin/resources/${resourceId}/delete`);
      expect(ask.text).to.include('name="confirm" value="yes"');
      const done = await admin.post(`/admin/resources/${resourceId}/delete`, { confirm: 'yes' });
      expect(done.location).to.equal('/admin/resources?notice=deleted');
      expect(await db.collection('resources').countDocuments({ _id: resourceId } as never)).to.equal(0);
    });

    it('is read-only for a viewer', async function () {
      const res = await viewer.get('/admin/resources');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('SRV-002');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
      expectHtml(await viewer.get(`/admin/resources/1/allocate`), 403);
    });
  });

  describe('monitoring.licenseHistory', function () {
    let fresh: number;

    it('keeps the newest LICENSE_HISTORY_MAX_EVENTS facts of each license, newest first', async function () {
      fresh = (await call<{ id: number }>('license.create', { type: 'trial', max_activations: 1, max_users: 1 })).id;
      const busy = await call<{ id: number }>('license.create', { type: 'trial', max_activations: 1, max_users: 1 });
      for (let i = 0; i < 13; i += 1) await call('license.toggle', { license_id: busy.id });
      const h = await historyUntil(
        busy.id,
        x =>
          x.pagination.total === 10 &&
          x.events[0]?.event === 'license.updated' &&
          x.events[0].details.is_active === false,
      );
      expect(h.pagination.total).to.equal(10);
      expect(h.events.map(e => e.event)).to.not.include('license.created');
      const times = h.events.map(e => e.at);
      expect([...times].sort().reverse()).to.deep.equal(times);
      // Another license's history is not touched by this one's bound.
      const untouched = await historyUntil(fresh, x => x.pagination.total === 1);
      expect(untouched.events.map(e => e.event)).to.deep.equal(['license.created']);
    });

    it('records a fact delivered twice once', async function () {
      const fact = {
        license_id: fresh,
        customer_id: null,
        is_active: false,
        event_id: 'same-fact',
        at: new Date().toISOString(),
      };
      await system.brokers[0]!.emit('license.updated', fact);
      await system.brokers[0]!.emit('license.updated', fact);
      await historyUntil(fresh, x => x.pagination.total === 2);
      await new Promise(resolve => setTimeout(resolve, 200));
      const h = await history(fresh);
      expect(h.events.map(e => e.event)).to.deep.equal(['license.updated', 'license.created']);
    });

    it('pages the history on the license page', async function () {
      const res = await admin.get(`/admin/licenses/${licenseId}?history_page=1`);
      expect(res.text).to.match(/Page 1 of \d+ \(\d+ events\)/);
    });
  });

  describe('POST /admin/licenses/{license_id}/delete', function () {
    it('says what goes with the license, then deletes it and its devices', async function () {
      const ask = await admin.post(`/admin/licenses/${licenseId}/delete`);
      expect(textOf(ask.text)).to.include(`Delete ${key}?`).and.include('It cannot be undone.');
      const done = await admin.post(`/admin/licenses/${licenseId}/delete`, { confirm: 'yes' });
      expect(done.location).to.equal('/admin/licenses?notice=license_deleted');
      expect(await db.collection('licenses').countDocuments({ _id: licenseId } as never)).to.equal(0);
      expect(await db.collection('activations').countDocuments({ license_id: licenseId })).to.equal(0);
      expectHtml(await admin.get(`/admin/licenses/${licenseId}`), 404);
    });
  });
});
