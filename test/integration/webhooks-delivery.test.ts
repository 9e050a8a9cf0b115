// Webhook deliveries end to end against a real system (one process, every service it needs): facts
// caused through the HTTP API reach subscribed receivers on 127.0.0.1, signed per Standard Webhooks,
// verified with the `standardwebhooks` npm library and with the stdlib Python verifier
// (test/clients/verify_webhook.py); retries, failure, disabling and re-enabling with a short schedule.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Context, ServiceBroker } from 'moleculer';
import { Webhook } from 'standardwebhooks';
import type { Fact } from '../../lib/core/events.ts';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import { sign } from '../../services/webhook/secrets.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { adminToken } from '../helpers/admin.ts';
import {
  WEBHOOK_NODE,
  freePort,
  startReceiver,
  until,
  type Received,
  type Receiver,
} from '../helpers/webhook-receiver.ts';

const VERIFIER = fileURLToPath(new URL('../clients/verify_webhook.py', import.meta.url));

interface PyResult {
  ok: boolean;
  payload?: any;
  error?: string;
}

/** Runs the stdlib Python verifier over cases, as a receiver written in Python would verify them. */
function verifyInPython(cases: Array<{ secret: string; body: string; headers: Received['headers'] }>): PyResult[] {
  const run = spawnSync('python3', [VERIFIER], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 10_000 });
  expect(run.status, run.stderr).to.equal(0);
  return JSON.parse(run.stdout) as PyResult[];
}

function headersOf(r: Received): Record<string, string> {
  return r.headers as Record<string, string>;
}

/** The same delivery re-signed (correctly) as if sent `secondsAgo` ago: only the timestamp is wrong. */
function resignedAgo(r: Received, secret: string, secondsAgo: number): Record<string, string> {
  const id = r.headers['webhook-id'] as string;
  const timestamp = Math.floor(Date.now() / 1000) - secondsAgo;
  return {
    ...headersOf(r),
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, id, timestamp, r.body),
  };
}

describe('webhook deliveries', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let admin: Record<string, string>;
  let customerId: number;
  const activatedFacts: Array<Fact<'license.activated'>> = [];
  const disabledFacts: Array<Fact<'webhook.endpoint_disabled'>> = [];
  const receivers: Receiver[] = [];

  const call = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    http(method, `${system.url}${path}`, { headers: admin, ...(body !== undefined ? { body } : {}) });

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  async function subscribe(url: string, events: string[]): Promise<{ id: number; secret: string }> {
    const res = await call('POST', '/api/webhooks', { url, events });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  /** A fresh license, activated through the client API: answers the activation id. */
  async function activateNewLicense(): Promise<{ licenseId: number; activationId: number }> {
    const license = await call('POST', '/api/licenses', {
      customer_id: customerId,
      type: 'subscription',
      max_activations: 5,
      max_users: 5,
    });
    expect(license.status, license.text).to.equal(201);
    const res = await http('POST', `${system.url}/api/license/activate`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { license_key: license.body.key, hardware_hash: `hw-${license.body.id}` },
    });
    expect(res.status, res.text).to.equal(200);
    return { licenseId: license.body.id, activationId: res.body.activation.id };
  }

  async function deliveriesOf(endpointId: number) {
    return WebhookDeliveryModel.find({ endpoint_id: endpointId }).sort({ _id: 1 }).lean();
  }

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [WEBHOOK_NODE],
      env: { WEBHOOK_RETRY_SCHEDULE: '1,1,1', RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' },
    });
    broker = system.brokers[0]!;
    broker.createService({
      name: 'webhookFactSpy',
      events: {
        'license.activated'(ctx: Context<Fact<'license.activated'>>) {
          activatedFacts.push(ctx.params);
        },
        'webhook.endpoint_disabled'(ctx: Context<Fact<'webhook.endpoint_disabled'>>) {
          disabledFacts.push(ctx.params);
        },
      },
    });
    await broker.waitForServices(['webhookFactSpy']);
    admin = { authorization: `Bearer ${await adminToken(system.url)}` };
    const customer = await call('POST', '/api/customers', { name: 'Webhook Customer', email: 'webhooks@example.com' });
    expect(customer.status, customer.text).to.equal(201);
    customerId = customer.body.id;
  });

  after(async function () {
    await Promise.all(receivers.map(r => r.close()));
    await system?.stop();
  });

  describe('license.activated through the HTTP API', function () {
    let hook: { id: number; secret: string };
    let got: Received;
    let activation: { licenseId: number; activationId: number };

    before(async function () {
      const r = await receiver();
      hook = await subscribe(r.url, ['license_activation']);
      activation = await activateNewLicense();
      [got] = (await r.waitFor(1)) as [Received];
    });

    it("delivers the reference's payload: event, the fact's time, integer ids", function () {
      const fact = activatedFacts.find(f => f.activation_id === activation.activationId)!;
      expect(JSON.parse(got.body)).to.deep.equal({
        event: 'license.activated',
        timestamp: fact.at,
        data: { license_id: activation.licenseId, activation_id: activation.activationId, customer_id: customerId },
      });
    });

    it('sends the Standard Webhooks headers: webhook-id is the delivery id', async function () {
      const [delivery] = await deliveriesOf(hook.id);
      expect(got.headers['webhook-id']).to.equal(String(delivery!._id));
      expect(Number(got.headers['webhook-timestamp'])).to.be.closeTo(Date.now() / 1000, 30);
      expect(got.headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(got.headers['content-type']).to.equal('application/json');
      expect(got.headers['user-agent']).to.match(/^license-server-webhooks\//);
    });

    it('verifies with the standardwebhooks library', function () {
      const payload = new Webhook(hook.secret).verify(got.body, headersOf(got));
      expect(payload).to.deep.equal(JSON.parse(got.body));
    });

    it('is rejected by the library when the body was tampered with', function () {
      const tampered = got.body.replace(/"license_id":\d+/, '"license_id":999999');
      expect(tampered).to.not.equal(got.body);
      expect(() => new Webhook(hook.secret).verify(tampered, headersOf(got))).to.throw('No matching signature found');
    });

    it('is rejected by the library with a wrong secret', function () {
      const wrong = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      expect(() => new Webhook(wrong).verify(got.body, headersOf(got))).to.throw('No matching signature found');
    });

    it('is rejected by the library when the timestamp is outside the 5-minute tolerance', function () {
      expect(() => new Webhook(hook.secret).verify(got.body, resignedAgo(got, hook.secret, 301))).to.throw(
        'Message timestamp too old',
      );
      expect(() => new Webhook(hook.secret).verify(got.body, resignedAgo(got, hook.secret, -301))).to.throw(
        'Message timestamp too new',
      );
      // Within the tolerance the same re-signed delivery verifies: only the time made the difference.
      expect(new Webhook(hook.secret).verify(got.body, resignedAgo(got, hook.secret, 200))).to.be.an('object');
    });

    it('verifies in Python (stdlib verifier), and tampered ones fail there too', function () {
      const wrong = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const results = verifyInPython([
        { secret: hook.secret, body: got.body, headers: got.headers },
        { secret: hook.secret, body: got.body.replace('license.activated', 'license.expired'), headers: got.headers },
        { secret: wrong, body: got.body, headers: got.headers },
        { secret: hook.secret, body: got.body, headers: resignedAgo(got, hook.secret, 301) },
      ]);
      expect(results[0]).to.deep.equal({ ok: true, payload: JSON.parse(got.body) });
      expect(results.slice(1)).to.deep.equal([
        { ok: false, error: 'no matching signature found' },
        { ok: false, error: 'no matching signature found' },
        { ok: false, error: 'message timestamp too old' },
      ]);
    });

    it('stores the delivery as delivered with its one attempt', async function () {
      await until('the outcome', async () => (await deliveriesOf(hook.id))[0]?.state === 'delivered');
      const [delivery] = await deliveriesOf(hook.id);
      expect(delivery).to.include({ event: 'license.activated', state: 'delivered', attempt_count: 1 });
      expect(delivery!.event_id).to.equal(
        activatedFacts.find(f => f.activation_id === activation.activationId)!.event_id,
      );
      expect(delivery!.attempts[0]).to.include({ number: 1, status_code: 200, error: null });
    });
  });

  describe('a secret rotation', function () {
    it('signs with both secrets for 24 hours: each verifies, in TypeScript and in Python', async function () {
      const r = await receiver();
      const hook = await subscribe(r.url, ['license.activated']);
      const rotated = await call('PUT', `/api/webhook/${hook.id}`, { rotate_secret: true });
      expect(rotated.status, rotated.text).to.equal(200);
      const newSecret: string = rotated.body.secret;
      await activateNewLicense();
      const [got] = (await r.waitFor(1)) as [Received];
      const signatures = (got.headers['webhook-signature'] as string).split(' ');
      expect(signatures).to.have.lengthOf(2);
      for (const s of signatures) expect(s).to.match(/^v1,/);
      expect(new Webhook(newSecret).verify(got.body, headersOf(got))).to.be.an('object');
      expect(new Webhook(hook.secret).verify(got.body, headersOf(got))).to.be.an('object');
      const results = verifyInPython([
        { secret: newSecret, body: got.body, headers: got.headers },
        { secret: hook.secret, body: got.body, headers: got.headers },
      ]);
      expect(results.map(x => x.ok)).to.deep.equal([true, true]);
    });
  });

  describe('a receiver that is down for the first attempts', function () {
    it('gets the event once it is up, and the log shows the failed attempts', async function () {
      const port = await freePort();
      const hook = await subscribe(`http://127.0.0.1:${port}/hooks`, ['license.activated']);
      await activateNewLicense();
      await until('two failed attempts', async () => ((await deliveriesOf(hook.id))[0]?.attempt_count ?? 0) >= 2);
      const late = await startReceiver({ port });
      receivers.push(late);
      await late.waitFor(1, 10_000);
      const delivery = await until('delivered', async () => {
        const [d] = await deliveriesOf(hook.id);
        return d?.state === 'delivered' ? d : undefined;
      });
      const failed = delivery.attempts.slice(0, -1);
      expect(failed.length).to.be.at.least(2);
      for (const a of failed) {
        expect(a.status_code).to.equal(null);
        expect(a.error).to.match(/ECONNREFUSED/);
      }
      expect(delivery.attempts.at(-1)).to.include({ status_code: 200, error: null });
      expect(delivery.attempts.map(a => a.number)).to.deep.equal(delivery.attempts.map((_, i) => i + 1));
      expect(late.received).to.have.lengthOf(1);
    });
  });

  describe('a receiver answering 500 forever', function () {
    let r: Receiver;
    let watcher: Receiver;
    let hook: { id: number; secret: string };

    before(async function () {
      r = await receiver();
      r.respond = () => 500;
      watcher = await receiver();
      await subscribe(watcher.url, ['webhook.endpoint_disabled']);
      hook = await subscribe(r.url, ['license.activated']);
      await activateNewLicense();
    });

    it('is reported failing while retries remain', async function () {
      const states = await until('a failing endpoint', async () => {
        const s = await broker.call<any, object>('webhook.endpointStates', {});
        return s.failing.some((e: any) => e.id === hook.id) ? s : undefined;
      });
      const entry = states.failing.find((e: any) => e.id === hook.id);
      expect(entry).to.deep.include({ id: hook.id, url_host: new URL(r.url).host });
      expect(Date.parse(entry.since)).to.be.closeTo(Date.now(), 10_000);
    });

    it('ends failed after the whole schedule (1 + 3 retries), every attempt logged', async function () {
      const delivery = await until('failed', async () => {
        const [d] = await deliveriesOf(hook.id);
        return d?.state === 'failed' ? d : undefined;
      });
      expect(delivery.attempts).to.have.lengthOf(4);
      for (const a of delivery.attempts) expect(a).to.include({ status_code: 500, error: 'HTTP 500' });
      expect(delivery.attempts[0]!.response_excerpt).to.equal('refused with 500');
      expect(r.received).to.have.lengthOf(4);
      expect(new Set(r.received.map(x => x.headers['webhook-id']))).to.deep.equal(new Set([String(delivery._id)]));
    });

    it('disables its endpoint and announces webhook.endpoint_disabled, delivered to its subscribers', async function () {
      // The endpoint is disabled right after the delivery is marked failed, in a write of its own.
      const read = await until('the endpoint disabled', async () => {
        const answer = await call('GET', `/api/webhook/${hook.id}`);
        return answer.body.webhook?.active === false ? answer : undefined;
      });
      expect(read.body.webhook).to.include({ active: false, disabled_by: 'delivery_failure' });
      expect(read.body.webhook.disabled_reason).to.match(/failed 4 attempts; last: HTTP 500/);
      const fact = await until('the fact', () => Promise.resolve(disabledFacts.find(f => f.endpoint_id === hook.id)));
      expect(fact.reason).to.equal(read.body.webhook.disabled_reason);
      const [got] = (await watcher.waitFor(1)) as [Received];
      expect(JSON.parse(got.body)).to.deep.include({
        event: 'webhook.endpoint_disabled',
        data: { endpoint_id: hook.id, reason: fact.reason },
      });
      const states = await broker.call<any, object>('webhook.endpointStates', {});
      expect(states.disabled.find((e: any) => e.id === hook.id)).to.deep.equal({
        id: hook.id,
        url_host: new URL(r.url).host,
        since: read.body.webhook.disabled_at,
        reason: fact.reason,
      });
      expect(states.failing.find((e: any) => e.id === hook.id)).to.equal(undefined);
    });

    it('gets no new deliveries while disabled', async function () {
      const before = (await deliveriesOf(hook.id)).length;
      await activateNewLicense();
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(await deliveriesOf(hook.id)).to.have.lengthOf(before);
    });

    it('receives again once an admin enables it', async function () {
      r.respond = () => 200;
      const res = await call('PUT', `/api/webhook/${hook.id}`, { active: true });
      expect(res.body.webhook).to.include({ active: true, disabled_reason: null });
      const count = r.received.length;
      await activateNewLicense();
      await r.waitFor(count + 1);
      expect(JSON.parse(r.received[count]!.body).event).to.equal('license.activated');
    });
  });

  describe('delivery latency', function () {
    it('delivers within a second of the fact (median over 20 activations)', async function () {
      // Only this endpoint listens: the figure is one delivery's path, not a fan-out to earlier ones.
      const others = await call('GET', '/api/webhooks?limit=100');
      for (const w of others.body.webhooks) await call('DELETE', `/api/webhook/${w.id}`);
      const r = await receiver();
      await subscribe(r.url, ['license.activated']);
      // One at a time: each activation's delivery arrives before the next, so nothing queues behind it.
      for (let i = 0; i < 20; i += 1) {
        await activateNewLicense();
        await r.waitFor(i + 1);
      }
      const latencies = r.received.map(got => {
        const body = JSON.parse(got.body);
        return got.at - Date.parse(body.timestamp);
      });
      latencies.sort((a, b) => a - b);
      const median = latencies[10]!;
      console.log(`      fact-to-receipt latency over 20 deliveries: median ${median} ms, max ${latencies.at(-1)} ms`);
      expect(median).to.be.below(1000);
    });
  });

  describe('metrics', function () {
    it('counts attempt outcomes and shows the queue depth in /metrics', async function () {
      const res = await http('GET', `${system.url}/metrics`);
      expect(res.status).to.equal(200);
      const delivered = /webhook_deliveries_total\{[^}]*state="delivered"\} (\d+)/.exec(res.text);
      const failedAttempts = /webhook_deliveries_total\{[^}]*state="failed_attempt"\} (\d+)/.exec(res.text);
      const failed = /webhook_deliveries_total\{[^}]*state="failed"\} (\d+)/.exec(res.text);
      expect(Number(delivered?.[1])).to.be.at.least(20);
      expect(Number(failedAttempts?.[1])).to.be.at.least(5);
      expect(Number(failed?.[1])).to.be.at.least(1);
      expect(res.text).to.match(/# TYPE webhook_queue_depth gauge\nwebhook_queue_depth\{[^}]*\} \d+/);
    });
  });
});
