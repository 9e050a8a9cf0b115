// The webhook endpoints' admin API against a real system (one process): every route's happy path, what
// it stores, who may call it, and bad input (unknown fields, bad URLs and secrets, bad ids, huge pages),
// which gets a 4xx in the common error format and stores nothing. Receivers are node:http servers on
// 127.0.0.1. The delivery log routes are in webhooks-log.test.ts.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { WebhookEndpointModel } from '../../models/webhook-endpoint.model.ts';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import { http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';
import { WEBHOOK_NODE, startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('webhook admin API', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let admin: Record<string, string>;
  let viewer: Record<string, string>;
  let receiver: Receiver;

  const call = (method: string, path: string, body?: unknown, headers = admin): Promise<HttpAnswer> =>
    http(method, `${system.url}${path}`, { headers, ...(body !== undefined ? { body } : {}) });

  async function createEndpoint(body: Record<string, unknown> = {}): Promise<HttpAnswer> {
    const res = await call('POST', '/api/webhooks', { url: receiver.url, events: ['*'], ...body });
    expect(res.status, res.text).to.equal(201);
    return res;
  }

  /** A bad request: the error format, and nothing stored. */
  async function expectRefused(method: string, path: string, body: unknown, status: number, code: string) {
    const [endpoints, deliveries] = await Promise.all([
      WebhookEndpointModel.find().lean(),
      WebhookDeliveryModel.countDocuments(),
    ]);
    const res = await call(method, path, body);
    const error = expectError(res, status, code);
    expect(await WebhookEndpointModel.find().lean()).to.deep.equal(endpoints);
    expect(await WebhookDeliveryModel.countDocuments()).to.equal(deliveries);
    return error;
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [WEBHOOK_NODE], env: { WEBHOOK_RETRY_SCHEDULE: '0' } });
    const token = await adminToken(system.url);
    admin = { authorization: `Bearer ${token}` };
    viewer = { authorization: `Bearer ${await viewerToken(system.url, token, 'webhook.viewer')}` };
    receiver = await startReceiver();
  });

  after(async function () {
    await receiver?.close();
    await system?.stop();
  });

  describe('POST /api/webhooks', function () {
    it('creates an endpoint: 201, Location, and the generated secret shown once', async function () {
      const res = await createEndpoint({ events: ['license_activation', 'apikey.rotated'] });
      expect(res.headers.get('location')).to.equal(`/api/webhook/${res.body.id}`);
      expect(res.body).to.have.all.keys(
        'id',
        'url',
        'events',
        'event_names',
        'active',
        'disabled_reason',
        'disabled_at',
        'disabled_by',
        'previous_secret_expires_at',
        'created_at',
        'updated_at',
        'secret',
      );
      expect(res.body).to.include({ url: receiver.url, active: true, disabled_reason: null });
      expect(res.body.id).to.be.a('number');
      expect(res.body.events).to.deep.equal(['license_activation', 'apikey.rotated']);
      expect(res.body.event_names).to.deep.equal(['apikey.rotated', 'license.activated', 'license.deactivated']);
      expect(res.body.secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(res.body.created_at).to.match(ISO);
    });

    it('stores the secret encrypted, never in clear', async function () {
      const res = await createEndpoint();
      const stored = await WebhookEndpointModel.findById(res.body.id).lean();
      expect(stored!.secret).to.match(/^v1\./);
      expect(JSON.stringify(stored)).to.not.include(res.body.secret.slice('whsec_'.length));
    });

    it('keeps a secret given in the Standard Webhooks form, and signs with it', async function () {
      const secret = secretOf(24);
      const res = await createEndpoint({ secret });
      expect(res.body.secret).to.equal(secret);
      const test = await call('POST', `/api/webhook/${res.body.id}/test`, {});
      expect(test.status, test.text).to.equal(202);
      const got = await receiver.deliveryOf(test.body.delivery_id);
      expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).to.deep.include({
        event: 'webhook.test',
      });
    });

    it('creates an inactive endpoint when asked', async function () {
      const res = await createEndpoint({ active: false });
      expect(res.body).to.include({ active: false, disabled_by: 'admin' });
    });

    it('subscribes to every event with *', async function () {
      const res = await createEndpoint({ events: ['*'] });
      expect(res.body.event_names).to.deep.equal(['*']);
    });

    it('is refused to a viewer (403) and stores nothing', async function () {
      const before = await WebhookEndpointModel.countDocuments();
      const res = await call('POST', '/api/webhooks', { url: receiver.url, events: ['*'] }, viewer);
      expectError(res, 403, 'FORBIDDEN');
      expect(await WebhookEndpointModel.countDocuments()).to.equal(before);
    });

    const badBodies: Array<[string, Record<string, unknown>, string, string, string]> = [
      [
        'an unknown field',
        { url: 'http://127.0.0.1:1/x', events: ['*'], extra: 1 },
        'VALIDATION_ERROR',
        'extra',
        'unknown_field',
      ],
      ['no url', { events: ['*'] }, 'VALIDATION_ERROR', 'url', 'required'],
      ['no events', { url: 'http://127.0.0.1:1/x' }, 'VALIDATION_ERROR', 'events', 'required'],
      ['empty events', { url: 'http://127.0.0.1:1/x', events: [] }, 'VALIDATION_ERROR', 'events', 'too_few_items'],
      [
        'an unknown event',
        { url: 'http://127.0.0.1:1/x', events: ['license.stolen'] },
        'VALIDATION_ERROR',
        'events.0',
        'not_allowed',
      ],
      [
        'a fact that is not delivered',
        { url: 'http://127.0.0.1:1/x', events: ['device.heartbeat'] },
        'VALIDATION_ERROR',
        'events.0',
        'not_allowed',
      ],
      [
        'repeated events',
        { url: 'http://127.0.0.1:1/x', events: ['*', '*'] },
        'VALIDATION_ERROR',
        'events',
        'duplicate_items',
      ],
      ['a Mongo operator as url', { url: { $ne: null }, events: ['*'] }, 'VALIDATION_ERROR', 'url', 'type_invalid'],
      ['an ftp URL', { url: 'ftp://127.0.0.1/x', events: ['*'] }, 'VALIDATION_ERROR', 'url', 'scheme_not_allowed'],
      [
        'a URL with credentials',
        { url: 'http://user:pw@127.0.0.1/x', events: ['*'] },
        'VALIDATION_ERROR',
        'url',
        'credentials_not_allowed',
      ],
      ['a relative URL', { url: '/hooks', events: ['*'] }, 'VALIDATION_ERROR', 'url', 'format_invalid'],
      [
        'a URL of 2049 characters',
        { url: `http://127.0.0.1/${'a'.repeat(2032)}`, events: ['*'] },
        'VALIDATION_ERROR',
        'url',
        'too_long',
      ],
      [
        'a secret without whsec_',
        { url: 'http://127.0.0.1:1/x', events: ['*'], secret: randomBytes(32).toString('base64') },
        'WEBHOOK_SECRET_INVALID',
        'secret',
        'format_invalid',
      ],
      [
        'a secret of 16 bytes',
        { url: 'http://127.0.0.1:1/x', events: ['*'], secret: secretOf(16) },
        'WEBHOOK_SECRET_INVALID',
        'secret',
        'format_invalid',
      ],
      [
        'a secret of 65 bytes',
        { url: 'http://127.0.0.1:1/x', events: ['*'], secret: secretOf(65) },
        'WEBHOOK_SECRET_INVALID',
        'secret',
        'format_invalid',
      ],
      [
        'a secret that is not base64',
        { url: 'http://127.0.0.1:1/x', events: ['*'], secret: 'whsec_hunter2hunter2hunter2hunter2!!' },
        'WEBHOOK_SECRET_INVALID',
        'secret',
        'format_invalid',
      ],
      [
        'a number as secret',
        { url: 'http://127.0.0.1:1/x', events: ['*'], secret: 42 },
        'VALIDATION_ERROR',
        'secret',
        'type_invalid',
      ],
      [
        'a string as active',
        { url: 'http://127.0.0.1:1/x', events: ['*'], active: 'yes' },
        'VALIDATION_ERROR',
        'active',
        'type_invalid',
      ],
    ];
    for (const [what, body, code, field, reason] of badBodies) {
      it(`refuses ${what} with 400 and stores nothing`, async function () {
        const error = await expectRefused('POST', '/api/webhooks', body, 400, code);
        expect(error.details).to.include({ field, reason });
      });
    }

    it('never writes the refused secret into the error', async function () {
      const secret = 'whsec_short';
      const res = await call('POST', '/api/webhooks', { url: receiver.url, events: ['*'], secret });
      expectError(res, 400, 'WEBHOOK_SECRET_INVALID');
      expect(res.text).to.not.include(secret);
    });
  });

  describe('GET /api/webhooks', function () {
    it('lists endpoints in pages, without their secrets, to a viewer too', async function () {
      const total = await WebhookEndpointModel.countDocuments();
      const res = await call('GET', '/api/webhooks?page=1&limit=2', undefined, viewer);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.webhooks).to.have.lengthOf(Math.min(2, total));
      expect(res.body.pagination).to.deep.equal({
        page: 1,
        limit: 2,
        total,
        pages: Math.ceil(total / 2),
        more: total > 2,
      });
      expect(res.text).to.not.include('whsec_');
      expect(res.text).to.not.include('"secret"');
    });

    it('filters by active', async function () {
      const res = await call('GET', '/api/webhooks?active=false');
      expect(res.status, res.text).to.equal(200);
      expect(res.body.webhooks.length).to.be.greaterThan(0);
      for (const w of res.body.webhooks) expect(w.active).to.equal(false);
    });

    for (const [query, field] of [
      ['page=10001', 'page'],
      ['limit=101', 'limit'],
      ['limit=0', 'limit'],
      ['page=abc', 'page'],
      ['extra=1', 'extra'],
    ]) {
      it(`refuses ?${query} with 400`, async function () {
        const error = await expectRefused('GET', `/api/webhooks?${query}`, undefined, 400, 'VALIDATION_ERROR');
        expect(error.details.field).to.equal(field);
      });
    }
  });

  describe('GET /api/webhook/:webhook_id', function () {
    it('reads one endpoint, without its secret', async function () {
      const created = await createEndpoint();
      const res = await call('GET', `/api/webhook/${created.body.id}`, undefined, viewer);
      expect(res.status, res.text).to.equal(200);
      const { secret: _secret, ...withoutSecret } = created.body;
      expect(res.body).to.deep.equal({ webhook: withoutSecret });
    });

    it('answers 404 WEBHOOK_NOT_FOUND for an unknown id', async function () {
      expectError(await call('GET', '/api/webhook/999999'), 404, 'WEBHOOK_NOT_FOUND');
    });

    for (const id of ['0', '99999999999999999999']) {
      it(`refuses the id ${id} with 400`, async function () {
        const error = expectError(await call('GET', `/api/webhook/${id}`), 400, 'VALIDATION_ERROR');
        expect(error.details.field).to.equal('webhook_id');
      });
    }

    // Ids in paths are digits (services/api/route-match.ts): anything else is no route at all.
    for (const id of ['abc', '-1', '1.5']) {
      it(`answers the path with id ${id} 404 ROUTE_NOT_FOUND`, async function () {
        expectError(await call('GET', `/api/webhook/${id}`), 404, 'ROUTE_NOT_FOUND');
      });
    }
  });

  describe('PUT /api/webhook/:webhook_id', function () {
    it('changes the url and the events', async function () {
      const created = await createEndpoint();
      const other = `http://127.0.0.1:${receiver.port}/other`;
      const res = await call('PUT', `/api/webhook/${created.body.id}`, { url: other, events: ['license_expiration'] });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.success).to.equal(true);
      expect(res.body.webhook).to.include({ url: other });
      expect(res.body.webhook.event_names).to.deep.equal(['license.expired']);
      expect(res.body).to.not.have.property('secret');
      const stored = await WebhookEndpointModel.findById(created.body.id).lean();
      expect(stored!.url).to.equal(other);
    });

    it('rotates the secret: the new one is answered once, the old one signs beside it for 24 hours', async function () {
      const created = await createEndpoint();
      const before = Date.now();
      const res = await call('PUT', `/api/webhook/${created.body.id}`, { rotate_secret: true });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.secret)
        .to.match(/^whsec_/)
        .and.not.equal(created.body.secret);
      const expires = Date.parse(res.body.webhook.previous_secret_expires_at);
      expect(expires - before).to.be.within(24 * 3600_000 - 5000, 24 * 3600_000 + 5000);
      const read = await call('GET', `/api/webhook/${created.body.id}`);
      expect(read.text).to.not.include('whsec_');
    });

    it('rotates to a secret given in the body', async function () {
      const created = await createEndpoint();
      const secret = secretOf(64);
      const res = await call('PUT', `/api/webhook/${created.body.id}`, { secret });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.secret).to.equal(secret);
    });

    it('switches an endpoint off and on again', async function () {
      const created = await createEndpoint();
      const off = await call('PUT', `/api/webhook/${created.body.id}`, { active: false });
      expect(off.body.webhook).to.include({
        active: false,
        disabled_by: 'admin',
        disabled_reason: 'disabled by an admin',
      });
      const on = await call('PUT', `/api/webhook/${created.body.id}`, { active: true });
      expect(on.body.webhook).to.include({ active: true, disabled_by: null, disabled_reason: null, disabled_at: null });
    });

    const badUpdates: Array<[string, Record<string, unknown>, string, string]> = [
      ['no field to change', {}, 'VALIDATION_ERROR', 'empty'],
      ['an unknown field', { colour: 'red' }, 'VALIDATION_ERROR', 'unknown_field'],
      [
        'secret and rotate_secret together',
        { secret: secretOf(32), rotate_secret: true },
        'VALIDATION_ERROR',
        'not_allowed',
      ],
      ['a bad secret', { secret: 'whsec_abc' }, 'WEBHOOK_SECRET_INVALID', 'format_invalid'],
      ['a bad URL', { url: 'gopher://127.0.0.1/' }, 'VALIDATION_ERROR', 'scheme_not_allowed'],
      ['empty events', { events: [] }, 'VALIDATION_ERROR', 'too_few_items'],
    ];
    for (const [what, body, code, reason] of badUpdates) {
      it(`refuses ${what} with 400 and changes nothing`, async function () {
        const created = await createEndpoint();
        const error = await expectRefused('PUT', `/api/webhook/${created.body.id}`, body, 400, code);
        expect(error.details.reason).to.equal(reason);
      });
    }

    it('answers 404 for an unknown id', async function () {
      await expectRefused('PUT', '/api/webhook/999999', { active: true }, 404, 'WEBHOOK_NOT_FOUND');
    });
  });

  describe('DELETE /api/webhook/:webhook_id', function () {
    it('deletes the endpoint and its delivery log', async function () {
      const created = await createEndpoint();
      const test = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      await receiver.deliveryOf(test.body.delivery_id);
      const res = await call('DELETE', `/api/webhook/${created.body.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ success: true, message: 'Webhook deleted successfully' });
      expect(await WebhookEndpointModel.exists({ _id: created.body.id })).to.equal(null);
      expect(await WebhookDeliveryModel.countDocuments({ endpoint_id: created.body.id })).to.equal(0);
      expectError(await call('GET', `/api/webhook/${created.body.id}`), 404, 'WEBHOOK_NOT_FOUND');
    });

    it('answers 404 for an unknown id and 403 to a viewer', async function () {
      await expectRefused('DELETE', '/api/webhook/999999', undefined, 404, 'WEBHOOK_NOT_FOUND');
      const created = await createEndpoint();
      expectError(await call('DELETE', `/api/webhook/${created.body.id}`, undefined, viewer), 403, 'FORBIDDEN');
      expect(await WebhookEndpointModel.exists({ _id: created.body.id })).to.not.equal(null);
    });
  });
});
