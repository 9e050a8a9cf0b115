// Redis stopped while facts happen: a private redis-server on a free loopback port (never the machine's
// Redis), the system run against it, stopped with SIGSTOP (it hangs like a partitioned server), facts
// caused through the HTTP API, Redis resumed: every fact is delivered afterwards, and the outbox's
// delivery ids are exactly the webhook-ids the receiver got.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { expect } from 'chai';
import type { Context } from 'moleculer';
import { Redis } from 'ioredis';
import type { Fact } from '../../lib/core/events.ts';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { adminToken } from '../helpers/admin.ts';
import { WEBHOOK_NODE, startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('the private redis-server did not start');
      probe.disconnect();
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
  probe.disconnect();
  return child;
}

describe('webhooks while Redis is stopped', function () {
  this.timeout(90_000);
  let redis: ChildProcess;
  let redisPort: number;
  let redisRunning = false;
  let system: TestSystem;
  let receiver: Receiver;
  let admin: Record<string, string>;
  let hookId: number;
  const facts: Array<Fact<'license.activated'>> = [];
  const licenses: Array<{ id: number; key: string }> = [];
  const activations: HttpAnswer[] = [];

  const call = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    http(method, `${system.url}${path}`, { headers: admin, ...(body !== undefined ? { body } : {}) });

  before(async function () {
    await resetStores();
    redisPort = await freePort();
    const port = redisPort;
    redis = await startRedis(port);
    redisRunning = true;
    system = await startSystem({
      nodes: [WEBHOOK_NODE],
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1' },
    });
    const broker = system.brokers[0]!;
    broker.createService({
      name: 'activationFactSpy',
      events: {
        'license.activated'(ctx: Context<Fact<'license.activated'>>) {
          facts.push(ctx.params);
        },
      },
    });
    await broker.waitForServices(['activationFactSpy']);
    admin = { authorization: `Bearer ${await adminToken(system.url)}` };
    receiver = await startReceiver();
    const hook = await call('POST', '/api/webhooks', { url: receiver.url, events: ['license.activated'] });
    expect(hook.status, hook.text).to.equal(201);
    hookId = hook.body.id;
    for (let i = 0; i < 5; i += 1) {
      const license = await call('POST', '/api/licenses', { type: 'subscription', max_activations: 2, max_users: 2 });
      expect(license.status, license.text).to.equal(201);
      licenses.push(license.body);
    }

    redis.kill('SIGSTOP');
    for (const license of licenses) {
      activations.push(
        await http('POST', `${system.url}/api/license/activate`, {
          headers: { 'x-api-key': TEST_API_KEY },
          body: { license_key: license.key, hardware_hash: `redis-down-${license.id}` },
        }),
      );
    }
  });

  after(async function () {
    redis?.kill('SIGCONT');
    // The system stops cleanly only with a Redis to say goodbye to.
    if (!redisRunning && redisPort) redis = await startRedis(redisPort);
    await receiver?.close();
    await system?.stop();
    redis?.kill('SIGTERM');
  });

  it('activates licenses through the API while Redis is stopped', function () {
    for (const res of activations) {
      expect(res.status, res.text).to.equal(200);
      expect(res.body.message).to.equal('License activated successfully');
    }
    expect(facts).to.have.lengthOf(licenses.length);
  });

  it('writes every fact to the outbox, un-queued, and delivers nothing meanwhile', async function () {
    const deliveries = await WebhookDeliveryModel.find({ endpoint_id: hookId }).lean();
    expect(deliveries.map(d => d.event_id).sort()).to.deep.equal(facts.map(f => f.event_id).sort());
    for (const d of deliveries) expect(d).to.include({ state: 'pending', queued: false, attempt_count: 0 });
    expect(receiver.received).to.have.lengthOf(0);
  });

  it('delivers every fact once Redis answers again, ids reconciled between the outbox and the receiver', async function () {
    const resumedAt = Date.now();
    redis.kill('SIGCONT');
    await receiver.waitFor(facts.length, 40_000);
    console.log(`      all ${facts.length} delivered ${Date.now() - resumedAt} ms after Redis resumed`);
    await new Promise(resolve => setTimeout(resolve, 500));
    expect(receiver.received).to.have.lengthOf(facts.length);
    const deliveries = await WebhookDeliveryModel.find({ endpoint_id: hookId }).lean();
    const outboxIds = deliveries.map(d => String(d._id)).sort();
    const receivedIds = receiver.received.map(r => r.headers['webhook-id'] as string).sort();
    expect(receivedIds).to.deep.equal(outboxIds);
    const byId = new Map(deliveries.map(d => [String(d._id), d]));
    for (const got of receiver.received) {
      const delivery = byId.get(got.headers['webhook-id'] as string)!;
      const fact = facts.find(f => f.event_id === delivery.event_id)!;
      expect(JSON.parse(got.body)).to.deep.equal({
        event: 'license.activated',
        timestamp: fact.at,
        data: { license_id: fact.license_id, activation_id: fact.activation_id, customer_id: fact.customer_id },
      });
      expect(delivery.state).to.equal('delivered');
    }
  });

  describe('then Redis killed and started again empty (SIGTERM, no persistence)', function () {
    const more: Array<Fact<'license.activated'>> = [];
    let port: number;

    before(async function () {
      port = redisPort;
      const seen = facts.length;
      // The admin API needs Redis (token revocations): the licenses are created before it goes.
      const keys: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const license = await call('POST', '/api/licenses', { type: 'subscription', max_activations: 2, max_users: 2 });
        expect(license.status, license.text).to.equal(201);
        keys.push(license.body.key);
      }
      const stopped = new Promise(resolve => redis.once('exit', resolve));
      redis.kill('SIGTERM');
      await stopped;
      redisRunning = false;
      for (const key of keys) {
        const res = await http('POST', `${system.url}/api/license/activate`, {
          headers: { 'x-api-key': TEST_API_KEY },
          body: { license_key: key, hardware_hash: `redis-gone-${key}` },
        });
        expect(res.status, res.text).to.equal(200);
      }
      more.push(...facts.slice(seen));
    });

    it('keeps the facts of the outage in the outbox, un-queued', async function () {
      expect(more).to.have.lengthOf(3);
      const waiting = await WebhookDeliveryModel.find({ event_id: { $in: more.map(f => f.event_id) } }).lean();
      expect(waiting).to.have.lengthOf(3);
      for (const d of waiting) expect(d).to.include({ state: 'pending', queued: false });
    });

    it('queues and delivers them once a Redis answers again (the sweep), ids reconciled', async function () {
      const before = receiver.received.length;
      redis = await startRedis(port);
      redisRunning = true;
      const restartedAt = Date.now();
      await receiver.waitFor(before + more.length, 40_000);
      console.log(`      all ${more.length} delivered ${Date.now() - restartedAt} ms after Redis restarted`);
      const delivered = await WebhookDeliveryModel.find({ event_id: { $in: more.map(f => f.event_id) } }).lean();
      const got = receiver.received.slice(before).map(r => r.headers['webhook-id'] as string);
      expect(got.sort()).to.deep.equal(delivered.map(d => String(d._id)).sort());
    });
  });
});
