// Two webhook service nodes beside a gateway node, over the machine's NATS: every fact is delivered
// exactly once, whichever node receives it. Facts announced to one node per service (activations)
// and facts broadcast to every node (apikey.rotated) alike: the outbox's unique (endpoint, event_id)
// turns the second handling of a broadcast into nothing.
import { expect } from 'chai';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import { hotMetrics } from '../../lib/observability/hot-metrics.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { adminToken } from '../helpers/admin.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const ACTIVATIONS = 10;

describe('two webhook nodes over NATS', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let receiver: Receiver;
  let admin: Record<string, string>;
  let hookId: number;

  const call = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    http(method, `${system.url}${path}`, { headers: admin, ...(body !== undefined ? { body } : {}) });

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [['api', 'auth', 'license', 'device', 'version', 'customer'], ['webhook'], ['webhook']],
      env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' },
    });
    admin = { authorization: `Bearer ${await adminToken(system.url)}` };
    receiver = await startReceiver();
    const hook = await call('POST', '/api/webhooks', {
      url: receiver.url,
      events: ['license.activated', 'apikey.rotated'],
    });
    expect(hook.status, hook.text).to.equal(201);
    hookId = hook.body.id;
    for (let i = 0; i < ACTIVATIONS; i += 1) {
      const license = await call('POST', '/api/licenses', { type: 'subscription', max_activations: 1, max_users: 1 });
      expect(license.status, license.text).to.equal(201);
      const res = await http('POST', `${system.url}/api/license/activate`, {
        headers: { 'x-api-key': TEST_API_KEY },
        body: { license_key: license.body.key, hardware_hash: `nats-${i}` },
      });
      expect(res.status, res.text).to.equal(200);
    }
    // Broadcast to every node: both webhook nodes handle it.
    const rotated = await call('POST', '/api/admin/api-key/regenerate', {});
    expect(rotated.status, rotated.text).to.equal(200);
    await receiver.waitFor(ACTIVATIONS + 1, 20_000);
    await new Promise(resolve => setTimeout(resolve, 1500)); // room for any duplicate to show up
  });

  after(async function () {
    await receiver?.close();
    await system?.stop();
  });

  it('runs the webhook service on two nodes, apart from the gateway', function () {
    const [gateway, a, b] = system.brokers;
    expect(gateway!.getLocalService('webhook')).to.equal(undefined);
    expect(a!.getLocalService('webhook')).to.not.equal(undefined);
    expect(b!.getLocalService('webhook')).to.not.equal(undefined);
  });

  it('delivers each fact exactly once: one record and one request per fact', async function () {
    const deliveries = await WebhookDeliveryModel.find({ endpoint_id: hookId }).lean();
    expect(deliveries).to.have.lengthOf(ACTIVATIONS + 1);
    expect(new Set(deliveries.map(d => d.event_id)).size).to.equal(ACTIVATIONS + 1);
    const ids = receiver.received.map(r => r.headers['webhook-id']);
    expect(ids).to.have.lengthOf(ACTIVATIONS + 1);
    expect(new Set(ids).size).to.equal(ACTIVATIONS + 1);
    expect([...ids].sort()).to.deep.equal(deliveries.map(d => String(d._id)).sort());
    const events = receiver.received.map(r => JSON.parse(r.body).event as string);
    expect(events.filter(e => e === 'license.activated')).to.have.lengthOf(ACTIVATIONS);
    expect(events.filter(e => e === 'apikey.rotated')).to.have.lengthOf(1);
    for (const d of deliveries) expect(d).to.include({ state: 'delivered', attempt_count: 1 });
  });

  it('sends each attempt from one node only (the counters of both nodes add up)', function () {
    const delivered = system.brokers.map(b => hotMetrics(b).total('webhook_deliveries_total', { state: 'delivered' }));
    expect(delivered[0]).to.equal(0);
    expect(delivered[1]! + delivered[2]!).to.equal(ACTIVATIONS + 1);
  });
});
