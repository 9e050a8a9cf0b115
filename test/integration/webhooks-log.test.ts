// The webhook delivery log and the outbox against a real system (one process): a test event, the
// delivery log, redelivery with the same webhook-id, a fact handled twice, and a record written but
// never queued, which the periodic sweeper queues. Receivers are node:http servers on 127.0.0.1.
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { Webhook } from 'standardwebhooks';
import type { Fact } from '../../lib/core/events.ts';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import { WebhookEndpointModel } from '../../models/webhook-endpoint.model.ts';
import { http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';
import { WEBHOOK_NODE, startReceiver, type Received, type Receiver } from '../helpers/webhook-receiver.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('webhook delivery log and outbox', function () {
  this.timeout(40_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let admin: Record<string, string>;
  let viewer: Record<string, string>;
  let receiver: Receiver;
  const receivers: Receiver[] = [];

  const call = (method: string, path: string, body?: unknown, headers = admin): Promise<HttpAnswer> =>
    http(method, `${system.url}${path}`, { headers, ...(body !== undefined ? { body } : {}) });

  async function createEndpoint(body: Record<string, unknown> = {}): Promise<HttpAnswer> {
    const res = await call('POST', '/api/webhooks', { url: receiver.url, events: ['*'], ...body });
    expect(res.status, res.text).to.equal(201);
    return res;
  }

  async function subscribe(url: string, events: string[]): Promise<{ id: number; secret: string }> {
    return (await createEndpoint({ url, events })).body;
  }

  async function newReceiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  function deliveriesOf(endpointId: number) {
    return WebhookDeliveryModel.find({ endpoint_id: endpointId }).sort({ _id: 1 }).lean();
  }

  /** A bad request: the error format, and nothing stored. */
  async function expectRefused(method: string, path: string, body: unknown, status: number, code: string) {
    const [endpoints, deliveries] = await Promise.all([
      WebhookEndpointModel.find().lean(),
      WebhookDeliveryModel.find().lean(),
    ]);
    const res = await call(method, path, body);
    const error = expectError(res, status, code);
    expect(await WebhookEndpointModel.find().lean()).to.deep.equal(endpoints);
    expect(await WebhookDeliveryModel.find().lean()).to.deep.equal(deliveries);
    return error;
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [WEBHOOK_NODE], env: { WEBHOOK_RETRY_SCHEDULE: '0' } });
    broker = system.brokers[0]!;
    const token = await adminToken(system.url);
    admin = { authorization: `Bearer ${token}` };
    viewer = { authorization: `Bearer ${await viewerToken(system.url, token, 'webhook.log.viewer')}` };
    receiver = await newReceiver();
  });

  after(async function () {
    await Promise.all(receivers.map(r => r.close()));
    await system?.stop();
  });

  describe('POST /api/webhook/:webhook_id/test', function () {
    it('answers 202 with the delivery id, and delivers a signed webhook.test event', async function () {
      const created = await createEndpoint();
      const res = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      expect(res.status, res.text).to.equal(202);
      expect(res.body).to.include({ success: true, event: 'webhook.test', state: 'pending', queued: true });
      const got = await receiver.deliveryOf(res.body.delivery_id);
      const payload = new Webhook(created.body.secret).verify(got.body, got.headers as Record<string, string>) as any;
      expect(payload.event).to.equal('webhook.test');
      expect(payload.timestamp).to.match(ISO);
      expect(payload.data).to.include({ webhook_id: created.body.id });
    });

    it('refuses an unknown field, an unknown id and a viewer', async function () {
      const created = await createEndpoint();
      await expectRefused('POST', `/api/webhook/${created.body.id}/test`, { extra: true }, 400, 'VALIDATION_ERROR');
      await expectRefused('POST', '/api/webhook/999999/test', {}, 404, 'WEBHOOK_NOT_FOUND');
      expectError(await call('POST', `/api/webhook/${created.body.id}/test`, {}, viewer), 403, 'FORBIDDEN');
    });
  });

  describe('GET /api/webhook/:webhook_id/deliveries', function () {
    it('lists the deliveries newest first, each with its attempts', async function () {
      const created = await createEndpoint();
      const first = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      await receiver.deliveryOf(first.body.delivery_id);
      const second = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      await receiver.deliveryOf(second.body.delivery_id);
      await new Promise(resolve => setTimeout(resolve, 100)); // the outcome is recorded just after receipt
      const res = await call('GET', `/api/webhook/${created.body.id}/deliveries`, undefined, viewer);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.deliveries.map((d: any) => d.id)).to.deep.equal([
        second.body.delivery_id,
        first.body.delivery_id,
      ]);
      const [latest] = res.body.deliveries;
      expect(latest).to.include({
        webhook_id: created.body.id,
        event: 'webhook.test',
        state: 'delivered',
        attempt_count: 1,
      });
      expect(latest.attempts).to.have.lengthOf(1);
      expect(latest.attempts[0]).to.include({ number: 1, status_code: 200, error: null, response_excerpt: 'ok' });
      expect(latest.attempts[0].duration_ms).to.be.a('number');
      expect(latest.payload.event).to.equal('webhook.test');
      expect(res.body.pagination).to.include({ page: 1, total: 2 });
    });

    it('filters by state', async function () {
      const created = await createEndpoint();
      const res = await call('GET', `/api/webhook/${created.body.id}/deliveries?state=failed`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.deliveries).to.deep.equal([]);
    });

    for (const [query, field] of [
      ['state=lost', 'state'],
      ['page=10001', 'page'],
      ['limit=1000', 'limit'],
    ]) {
      it(`refuses ?${query} with 400`, async function () {
        const created = await createEndpoint();
        const error = await expectRefused(
          'GET',
          `/api/webhook/${created.body.id}/deliveries?${query}`,
          undefined,
          400,
          'VALIDATION_ERROR',
        );
        expect(error.details.field).to.equal(field);
      });
    }

    it('answers 404 for an unknown endpoint', async function () {
      expectError(await call('GET', '/api/webhook/999999/deliveries'), 404, 'WEBHOOK_NOT_FOUND');
    });
  });

  describe('POST /api/webhook/delivery/:delivery_id/redeliver', function () {
    it('sends the delivery again with the same webhook-id, recording a further attempt', async function () {
      const created = await createEndpoint();
      const test = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      const first = await receiver.deliveryOf(test.body.delivery_id);
      await new Promise(resolve => setTimeout(resolve, 100));
      const count = receiver.received.length;
      const res = await call('POST', `/api/webhook/delivery/${test.body.delivery_id}/redeliver`, {});
      expect(res.status, res.text).to.equal(202);
      expect(res.body).to.include({ success: true, delivery_id: test.body.delivery_id, state: 'pending' });
      await receiver.waitFor(count + 1);
      const again = receiver.received[count]!;
      expect(again.headers['webhook-id']).to.equal(first.headers['webhook-id']);
      expect(again.body).to.equal(first.body);
      await new Promise(resolve => setTimeout(resolve, 100));
      const stored = await WebhookDeliveryModel.findById(test.body.delivery_id).lean();
      expect(stored!.state).to.equal('delivered');
      expect(stored!.attempts.map(a => a.number)).to.deep.equal([1, 2]);
    });

    it('refuses while the endpoint is disabled (409), and for an unknown delivery (404)', async function () {
      const created = await createEndpoint({ events: ['apikey.rotated'] });
      const test = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      await receiver.deliveryOf(test.body.delivery_id);
      // A fact delivery (not a test event) of a disabled endpoint waits for it to be enabled again.
      await WebhookDeliveryModel.updateOne({ _id: test.body.delivery_id }, { $set: { event: 'apikey.rotated' } });
      await call('PUT', `/api/webhook/${created.body.id}`, { active: false });
      const error = await expectRefused(
        'POST',
        `/api/webhook/delivery/${test.body.delivery_id}/redeliver`,
        {},
        409,
        'CONFLICT',
      );
      expect(error.details).to.deep.equal({ field: 'delivery_id', reason: 'webhook_disabled' });
      await expectRefused('POST', '/api/webhook/delivery/999999/redeliver', {}, 404, 'WEBHOOK_DELIVERY_NOT_FOUND');
      await expectRefused('POST', '/api/webhook/delivery/abc/redeliver', {}, 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('a fact handled twice', function () {
    it('is delivered once (unique endpoint and event_id)', async function () {
      const r = await newReceiver();
      const hook = await subscribe(r.url, ['license.updated']);
      const fact: Fact<'license.updated'> = {
        license_id: 1,
        customer_id: null,
        is_active: true,
        event_id: 'twice-0001',
        at: new Date().toISOString(),
      };
      // The same fact arriving twice (a redelivered event), as two nodes or a retry would see it.
      await broker.emit('license.updated', fact);
      await broker.emit('license.updated', fact);
      await r.waitFor(1);
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(r.received).to.have.lengthOf(1);
      expect(await deliveriesOf(hook.id)).to.have.lengthOf(1);
    });
  });

  describe('a delivery written but never queued (a crash between the two steps)', function () {
    it('is queued by the periodic sweeper and delivered', async function () {
      const r = await newReceiver();
      const hook = await subscribe(r.url, ['license.updated']);
      const now = new Date();
      const body = JSON.stringify({ event: 'license.updated', timestamp: now.toISOString(), data: { license_id: 1 } });
      await WebhookDeliveryModel.create({
        _id: 900_001,
        endpoint_id: hook.id,
        event_id: 'never-queued-1',
        event: 'license.updated',
        body,
        state: 'pending',
        queued: false,
        round: 0,
        round_base: 0,
        attempt_count: 0,
        attempts: [],
        next_attempt_at: now,
        created_at: now,
        updated_at: now,
      });
      // The sweep runs every 15 s, once per tick across the cluster.
      const [got] = (await r.waitFor(1, 25_000)) as [Received];
      expect(got.headers['webhook-id']).to.equal('900001');
      expect(got.body).to.equal(body);
      expect(new Webhook(hook.secret).verify(got.body, got.headers as Record<string, string>)).to.be.an('object');
    });
  });
});
