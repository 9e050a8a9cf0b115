// The Admin Panel's Webhooks pages against a real system and a receiver on 127.0.0.1: the list with its
// filters, creating an endpoint (the secret shown once), its page and settings, a test event and its
// delivery log, redelivery, secret rotation and deletion behind a confirmation, and viewers reading only.
import { expect } from 'chai';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';
import { expectHtml, textOf } from '../helpers/pages.ts';
import { api, eventually, opsFixture, postForms, type OpsFixture } from './admin-panel-ops.helpers.ts';

describe('Admin Panel: Webhooks pages', function () {
  this.timeout(30_000);
  let f: OpsFixture;
  let receiver: Receiver;
  let id: number;

  const endpoints = () => f.db.collection('webhook_endpoints');
  const deliveries = () => f.db.collection('webhook_deliveries');

  before(async function () {
    f = await opsFixture('hooks.viewer');
    receiver = await startReceiver();
  });

  after(async function () {
    await receiver?.close();
    await f?.stop();
  });

  describe('GET /admin/webhooks', function () {
    it('shows the empty state with a way to create the first endpoint', async function () {
      const res = await f.admin.get('/admin/webhooks');
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('No webhook endpoints yet. Create one');
      expect(res.text).to.include('href="/admin/webhooks/new"');
    });

    it('offers a viewer no way to create one', async function () {
      const res = await f.viewer.get('/admin/webhooks');
      expect(res.text).to.not.include('href="/admin/webhooks/new"');
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });
  });

  describe('GET|POST /admin/webhooks/new', function () {
    it('GET shows the form: a labelled URL field and the events as labelled checkboxes', async function () {
      const res = await f.admin.get('/admin/webhooks/new');
      expectHtml(res, 200);
      expect(res.text).to.include('<label for="url">');
      expect(res.text).to.include('<legend>Events');
      for (const value of ['*', 'license_activation', 'suspicious_activity', 'license.expired', 'apikey.rotated']) {
        expect(res.text, value).to.match(
          new RegExp(
            `<label class="check" for="([^"]+)"\\s*><input type="checkbox"\\s+id="\\1" name="events" value="${value.replace('*', '\\*')}"`,
          ),
        );
      }
    });

    it('shows a refused URL next to its field and keeps what was typed; nothing is stored', async function () {
      const res = await f.admin.post('/admin/webhooks/new', {
        url: 'ftp://example.com/hook',
        events: 'license_activation',
      });
      expectHtml(res, 400);
      expect(res.text).to.match(/<p class="field-error" id="url-error">[^<]+<\/p>/);
      expect(res.text).to.include('value="ftp://example.com/hook"');
      expect(res.text).to.match(/value="license_activation" checked/);
      expect(await endpoints().countDocuments()).to.equal(0);
    });

    it('asks for at least one event next to the events', async function () {
      const res = await f.admin.post('/admin/webhooks/new', { url: receiver.url });
      expectHtml(res, 400);
      expect(res.text).to.include('<p class="field-error" id="events-error">Choose at least one event.</p>');
      expect(await endpoints().countDocuments()).to.equal(0);
    });

    it('creates the endpoint and shows its secret this once, with a copy button and the warning', async function () {
      await f.admin.get('/admin/webhooks/new');
      const body = new URLSearchParams({ _csrf: f.admin.csrf, url: receiver.url });
      for (const e of ['license_activation', 'anomaly.detected']) body.append('events', e);
      const res = await f.admin.request('POST', '/admin/webhooks/new', {
        body: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectHtml(res, 201);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('location')).to.match(/^\/admin\/webhooks\/\d+$/);
      const secret = /<input\s+id="webhook-secret"[^>]*value="(whsec_[^"]+)"/.exec(res.text)?.[1];
      expect(secret, 'the secret in a read-only field').to.be.a('string');
      expect(res.text).to.match(/<input\s+id="webhook-secret"\s+class="secret"\s+type="text"\s+readonly/);
      expect(res.text).to.include(
        '<button type="button" class="button primary" data-copy="webhook-secret" hidden>Copy</button>',
      );
      expect(res.text).to.match(/<script src="\/assets\/copy\.js\?v=[0-9a-f]{12}" defer><\/script>/);
      expect(textOf(res.text)).to.include('Shown only this once.').and.include('it cannot be shown again');
      const [stored] = await endpoints().find({}).toArray();
      id = stored!._id as unknown as number;
      expect(stored).to.deep.include({
        url: receiver.url,
        events: ['license_activation', 'anomaly.detected'],
        active: true,
      });
      const page = await f.admin.get(`/admin/webhooks/${id}`);
      expect(page.text).to.not.include(secret!);
    });
  });

  describe('GET /admin/webhooks/{webhook_id}', function () {
    it('shows the endpoint, its actions and settings, and an empty delivery log', async function () {
      const res = await f.admin.get(`/admin/webhooks/${id}`);
      expectHtml(res, 200);
      const text = textOf(res.text);
      expect(text).to.include(`URL ${receiver.url}`).and.include('State Active');
      expect(text).to.include(
        'license_activation, anomaly.detected = anomaly.detected, license.activated, license.deactivated',
      );
      expect(text).to.include('No deliveries yet. Send a test event to see one here.');
      expect(postForms(res.text)).to.include.members([
        `/admin/webhooks/${id}/test`,
        `/admin/webhooks/${id}/rotate`,
        `/admin/webhooks/${id}/delete`,
        `/admin/webhooks/${id}/update`,
      ]);
    });

    it('is a read-only description for a viewer', async function () {
      const res = await f.viewer.get(`/admin/webhooks/${id}`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include(receiver.url);
      expect(postForms(res.text)).to.deep.equal(['/logout']);
    });

    it('answers 404 as a page for an endpoint that does not exist', async function () {
      const res = await f.admin.get('/admin/webhooks/999999');
      expectHtml(res, 404);
      expect(textOf(res.text)).to.include('Webhook 999999 not found');
    });
  });

  describe('POST /admin/webhooks/{webhook_id}/test and the delivery log', function () {
    it('sends a test event that the receiver gets and the log shows with its attempt', async function () {
      await f.admin.get(`/admin/webhooks/${id}`);
      const res = await f.admin.post(`/admin/webhooks/${id}/test`);
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`/admin/webhooks/${id}?notice=test_sent#deliveries`);
      const [received] = await receiver.waitFor(1);
      expect(JSON.parse(received!.body).event).to.equal('webhook.test');
      let text = '';
      await eventually(async () => {
        text = textOf((await f.admin.get(`/admin/webhooks/${id}`)).text);
        expect(text).to.include('webhook.test Delivered');
      });
      expect(text).to.match(/1 attempt, last HTTP 200; created/);
      expect(text).to.match(/1 \d{4}-\d\d-\d\d \d\d:\d\d UTC HTTP 200 \d+ ms ok/);
    });

    it('filters the log by state, with the filter kept in the pages', async function () {
      const delivered = await f.admin.get(`/admin/webhooks/${id}?state=delivered`);
      expect(textOf(delivered.text)).to.include('webhook.test Delivered');
      expect(delivered.text).to.include('<option value="delivered" selected>');
      const failed = await f.admin.get(`/admin/webhooks/${id}?state=failed`);
      expect(textOf(failed.text)).to.include('No deliveries in this state.');
    });

    it('redelivers a delivery: a new attempt is added to its log', async function () {
      const [delivery] = await deliveries().find({ endpoint_id: id }).toArray();
      await f.admin.get(`/admin/webhooks/${id}`);
      const res = await f.admin.post(`/admin/webhooks/${id}/deliveries/${Number(delivery!._id)}/redeliver`);
      expect(res.status).to.equal(303);
      expect(res.location).to.equal(`/admin/webhooks/${id}?notice=redelivered#delivery-${Number(delivery!._id)}`);
      await receiver.waitFor(2);
      await eventually(async () => {
        const text = textOf((await f.admin.get(`/admin/webhooks/${id}`)).text);
        expect(text).to.match(/2 attempts, last HTTP 200/);
      });
      expect(textOf((await f.admin.get(res.location!)).text)).to.include('Delivery queued again');
    });
  });

  describe('POST /admin/webhooks/{webhook_id}/update', function () {
    it('saves the URL, the events and the active flag (an unticked box disables it)', async function () {
      await f.admin.get(`/admin/webhooks/${id}`);
      const res = await f.admin.post(`/admin/webhooks/${id}/update`, {
        url: `${receiver.url}/v2`,
        events: '*',
        active_shown: '1',
      });
      expect(res.status, res.text).to.equal(303);
      expect(res.location).to.equal(`/admin/webhooks/${id}?notice=saved`);
      const stored = await endpoints().findOne({ _id: id } as never);
      expect(stored).to.deep.include({ url: `${receiver.url}/v2`, events: ['*'], active: false, disabled_by: 'admin' });
      const again = await f.admin.post(`/admin/webhooks/${id}/update`, {
        url: receiver.url,
        events: 'license_activation',
        active: 'yes',
        active_shown: '1',
      });
      expect(again.status).to.equal(303);
      expect(await endpoints().findOne({ _id: id } as never)).to.deep.include({ url: receiver.url, active: true });
    });

    it('shows a refused URL next to its field, keeping the input, and stores nothing', async function () {
      await f.admin.get(`/admin/webhooks/${id}`);
      const res = await f.admin.post(`/admin/webhooks/${id}/update`, {
        url: 'not a url',
        events: 'license_activation',
        active: 'yes',
        active_shown: '1',
      });
      expectHtml(res, 400);
      expect(res.text).to.match(/<p class="field-error" id="url-error">[^<]+<\/p>/);
      expect(res.text).to.include('value="not a url"');
      expect(textOf(res.text)).to.include('Please correct the marked field');
      expect(await endpoints().findOne({ _id: id } as never)).to.deep.include({ url: receiver.url });
    });

    it('asks for at least one event in words, next to the events', async function () {
      await f.admin.get(`/admin/webhooks/${id}`);
      const res = await f.admin.post(`/admin/webhooks/${id}/update`, { url: receiver.url, active_shown: '1' });
      expectHtml(res, 400);
      expect(res.text).to.include('<p class="field-error" id="events-error">Choose at least one event.</p>');
      expect(await endpoints().findOne({ _id: id } as never)).to.deep.include({ events: ['license_activation'] });
    });
  });

  describe('POST /admin/webhooks/{webhook_id}/rotate', function () {
    it('asks for confirmation first, saying what happens; nothing changes yet', async function () {
      const before = await endpoints().findOne({ _id: id } as never);
      await f.admin.get(`/admin/webhooks/${id}`);
      const res = await f.admin.post(`/admin/webhooks/${id}/rotate`);
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('Rotate the signing secret?').and.include('For the next 24 hours');
      expect(res.text).to.include('name="confirm" value="yes"').and.include('Yes, rotate the secret');
      expect((await endpoints().findOne({ _id: id } as never))!.secret).to.equal(before!.secret);
    });

    it('rotates once confirmed and shows the new secret once; the same confirmation again changes nothing', async function () {
      await f.admin.get(`/admin/webhooks/${id}`);
      const confirm = await f.admin.post(`/admin/webhooks/${id}/rotate`);
      const seen = /name="seen" value="([^"]+)"/.exec(confirm.text)![1]!;
      const res = await f.admin.post(`/admin/webhooks/${id}/rotate`, { confirm: 'yes', seen });
      expectHtml(res, 200);
      expect(textOf(res.text)).to.include('New signing secret').and.include('Shown only this once.');
      expect(res.text).to.match(/id="webhook-secret"[^>]*value="whsec_/);
      const rotated = await endpoints().findOne({ _id: id } as never);
      expect(rotated!.previous_secret).to.be.a('string');
      const replay = await f.admin.post(`/admin/webhooks/${id}/rotate`, { confirm: 'yes', seen });
      expectHtml(replay, 409);
      expect(textOf(replay.text)).to.include('nothing was done');
      expect((await endpoints().findOne({ _id: id } as never))!.secret).to.equal(rotated!.secret);
    });
  });

  describe('filters and pages of the list', function () {
    it('searches the URL and filters by state, 20 per page with the filters kept', async function () {
      for (let i = 0; i < 21; i += 1) {
        const res = await api(f, 'POST', '/api/webhooks', { url: `http://127.0.0.1:9/paged-${i}`, events: ['*'] });
        expect(res.status, res.text).to.equal(201);
      }
      const first = await f.admin.get('/admin/webhooks?q=PAGED');
      expect(textOf(first.text)).to.include('Page 1 of 2 (21 webhooks)');
      expect(first.text).to.include('href="/admin/webhooks?q=PAGED&amp;page=2"');
      const disabled = await f.admin.get('/admin/webhooks?state=disabled');
      expect(textOf(disabled.text)).to.include('No webhooks match these filters.');
      const active = await f.admin.get(`/admin/webhooks?state=active&q=${encodeURIComponent(receiver.url)}`);
      expect(active.text).to.include(`<a href="/admin/webhooks/${id}">${receiver.url}</a>`);
      expectHtml(await f.admin.get('/admin/webhooks?state=nope&page=x'), 200);
    });
  });

  describe('POST /admin/webhooks/{webhook_id}/delete', function () {
    it('asks for confirmation, then deletes the endpoint and its log', async function () {
      await f.admin.get(`/admin/webhooks/${id}`);
      const confirm = await f.admin.post(`/admin/webhooks/${id}/delete`);
      expectHtml(confirm, 200);
      expect(textOf(confirm.text)).to.include('Delete this webhook?').and.include('This cannot be undone.');
      expect(await endpoints().countDocuments({ _id: id } as never)).to.equal(1);
      const res = await f.admin.post(`/admin/webhooks/${id}/delete`, { confirm: 'yes' });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/admin/webhooks?notice=deleted');
      expect(await endpoints().countDocuments({ _id: id } as never)).to.equal(0);
      expect(await deliveries().countDocuments({ endpoint_id: id })).to.equal(0);
      expect(textOf((await f.admin.get(res.location!)).text)).to.include('Webhook deleted');
    });
  });
});
