// GET /api/monitoring/live-stats and the alerts behind it, from real data: the figures as the owning
// services count them, alerts opened by the evaluation job from real conditions (a license at 100%, a
// burst of anomalies, a webhook endpoint failing or disabled, a missing service, 5xx answers, Redis not
// answering) and ended when the condition ends, and the license and monitoring figures in /metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { Redis } from 'ioredis';
import { AlertModel } from '../../models/alert.model.ts';
import { AnomalyModel } from '../../models/anomaly.model.ts';
import LicenseService from '../../services/license.service.ts';
import { evaluateAlerts } from '../../services/monitoring/alerts.ts';
import type { MonitoringThis } from '../../services/monitoring/state.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import {
  ALL_SERVICES,
  TEST_API_KEY,
  http,
  resetStores,
  startSystem,
  type HttpAnswer,
  type TestSystem,
} from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

function monitoringOf(broker: ServiceBroker): MonitoringThis {
  return broker.getLocalService('monitoring') as unknown as MonitoringThis;
}

/** A system's helpers: admin calls, licenses, activations, the alert job. */
function driver(get: () => { system: TestSystem; token: string }) {
  const admin = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    http(method, `${get().system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${get().token}` },
    });
  return {
    admin,
    async createLicense(fields: Record<string, unknown> = {}): Promise<{ id: number; key: string }> {
      const res = await admin('POST', '/api/licenses', {
        type: 'subscription',
        valid_until: '2099-12-31',
        max_activations: 10,
        max_users: 10,
        ...fields,
      });
      expect(res.status, res.text).to.equal(201);
      return res.body;
    },
    async activate(license: { key: string }, hw = hardware()): Promise<{ id: number; hw: string }> {
      const res = await http('POST', `${get().system.url}/api/license/activate`, {
        headers: AUTH,
        body: { license_key: license.key, hardware_hash: hw },
      });
      expect(res.status, res.text).to.equal(200);
      return { id: res.body.activation.id, hw };
    },
    async liveStats(): Promise<any> {
      const res = await admin('GET', '/api/monitoring/live-stats');
      expect(res.status, res.text).to.equal(200);
      return res.body;
    },
    /** One run of the alert evaluation, now, on the first node that runs monitoring. */
    evaluate() {
      const broker = get().system.brokers.find(b => b.getLocalService('monitoring'))!;
      return evaluateAlerts(monitoringOf(broker));
    },
  };
}

describe('GET /api/monitoring/live-stats, alerts and metrics', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let token: string;
  let redis: Redis;
  const d = driver(() => ({ system, token }));

  before(async function () {
    await resetStores();
    system = await startSystem({
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        LIVE_STATS_CACHE_MS: '0',
        ALERT_EVALUATION_SECONDS: '3600',
        ALERT_ANOMALY_BURST_COUNT: '1',
        ANOMALY_ACTIVATIONS: '2',
      },
    });
    token = await adminToken(system.url);
    redis = new Redis(process.env.REDIS_URL!, { keyPrefix: system.redisKeyPrefix });
  });

  after(async function () {
    redis?.disconnect();
    await system?.stop();
  });

  it('answers the documented shape to a viewer', async function () {
    const viewer = await viewerToken(system.url, token, 'stats.viewer');
    const res = await http('GET', `${system.url}/api/monitoring/live-stats`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.have.all.keys('timestamp', 'metrics', 'alerts');
    expect(res.body.timestamp).to.match(ISO);
    expect(res.body.metrics).to.have.all.keys(
      'active_licenses',
      'total_activations',
      'active_sessions',
      'heartbeats_per_minute',
    );
    for (const value of Object.values(res.body.metrics)) expect(value).to.be.a('number');
    expect(res.body.alerts).to.be.an('array');
    for (const alert of res.body.alerts) {
      expect(alert.type).to.be.oneOf(['info', 'warning', 'critical']);
      expect(alert.message).to.be.a('string').and.not.empty;
      expect(alert.timestamp).to.match(ISO);
    }
  });

  it('counts active licenses, activations and live sessions as the owning services store them', async function () {
    const before = (await d.liveStats()).metrics;
    const a = await d.createLicense();
    const b = await d.createLicense();
    await d.createLicense({ is_active: false });
    await d.createLicense({ valid_from: '2020-01-01', valid_until: '2020-12-31' }); // expired
    const [onA] = [await d.activate(a), await d.activate(a)];
    const onB = await d.activate(b);
    for (const [license, device] of [
      [a, onA],
      [b, onB],
    ] as const) {
      const res = await http('POST', `${system.url}/api/license/verify`, {
        headers: AUTH,
        body: { license_key: license.key, hardware_hash: device.hw },
      });
      expect(res.body.valid, res.text).to.equal(true);
    }
    const after = (await d.liveStats()).metrics;
    expect(after.active_licenses - before.active_licenses).to.equal(2);
    expect(after.total_activations - before.total_activations).to.equal(3);
    expect(after.active_sessions - before.active_sessions).to.equal(2);
  });

  it('heartbeats_per_minute is the last complete minute of the cluster-wide counter', async function () {
    // The counter itself is fed by heartbeats (facts.test.ts); here the figure is read from it. Both
    // minutes are set, so a minute ending during the test does not change the expected figure.
    const minute = Math.floor(Date.now() / 60_000);
    await redis.set(`heartbeats:minute:${minute - 1}`, '42');
    await redis.set(`heartbeats:minute:${minute}`, '42');
    expect((await d.liveStats()).metrics.heartbeats_per_minute).to.equal(42);
  });

  it('opens an info alert for a license at 100% of its seats, and ends it when a seat is freed', async function () {
    const license = await d.createLicense({ max_activations: 2 });
    const devices = [await d.activate(license), await d.activate(license)];
    await d.evaluate();
    const key = `usage:activations:${license.id}`;
    const alert = (await d.liveStats()).alerts.find((a: any) => a.key === key);
    expect(alert).to.deep.include({ type: 'info', timestamp: alert.started_at });
    expect(alert.message).to.equal(`License ${license.key} uses all of its 2 seats (max_activations)`);
    expect(alert.id).to.be.a('number');

    // Evaluating again keeps the same alert open, not a second one.
    await d.evaluate();
    expect(await AlertModel.countDocuments({ key })).to.equal(1);

    const freed = await d.admin('POST', `/api/license/${license.id}/deactivate-device/${devices[0]!.id}`);
    expect(freed.status, freed.text).to.equal(200);
    await d.evaluate();
    expect((await d.liveStats()).alerts.map((a: any) => a.key)).to.not.include(key);
    const stored = (await AlertModel.findOne({ key }).lean())!;
    expect(stored.ended_at).to.be.an.instanceOf(Date);
    expect(stored.open_key).to.equal(`closed:${stored._id}`);
  });

  it('opens a warning for a burst of anomalies, and ends it when the burst is over', async function () {
    for (let i = 0; i < 2; i += 1) {
      const license = await d.createLicense();
      await d.activate(license);
      await d.activate(license); // ANOMALY_ACTIVATIONS=2: an anomaly per license
    }
    for (let i = 0; i < 100 && (await AnomalyModel.countDocuments()) < 2; i += 1) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    await d.evaluate();
    const burst = (await d.liveStats()).alerts.find((a: any) => a.key === 'anomalies:burst');
    expect(burst).to.include({ type: 'warning' });
    expect(burst.message).to.match(/^\d+ anomalies detected in the last 10 minutes \(more than 1\)$/);

    // Time passes: the anomalies are older than the burst window.
    await AnomalyModel.updateMany({}, { $set: { detected_at: new Date(Date.now() - 3600_000) } });
    await d.evaluate();
    expect((await d.liveStats()).alerts.map((a: any) => a.key)).to.not.include('anomalies:burst');
  });

  it('GET /metrics shows activations, verifications by code, heartbeats by outcome, live sessions and anomalies by type', async function () {
    const metric = (text: string, name: string, label = ''): number => {
      const line = text.split('\n').find(l => l.startsWith(`${name}{`) && l.includes(label));
      return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const scrape = async () => (await http('GET', `${system.url}/metrics`)).text;
    const before = await scrape();
    expect(metric(before, 'verifications_total', 'code="CUSTOMER_DISABLED"')).to.equal(0); // bound up front
    for (const type of ['unusual_activation_pattern', 'excessive_heartbeats', 'license_hopping']) {
      expect(metric(before, 'anomalies_total', `type="${type}"`), type).to.be.at.least(0);
    }

    const license = await d.createLicense();
    const device = await d.activate(license);
    const body = { license_key: license.key, hardware_hash: device.hw };
    expect((await http('POST', `${system.url}/api/license/verify`, { headers: AUTH, body })).status).to.equal(200);
    const notActivated = { license_key: license.key, hardware_hash: hardware() };
    await http('POST', `${system.url}/api/license/verify`, { headers: AUTH, body: notActivated });
    expect((await http('POST', `${system.url}/api/license/heartbeat`, { headers: AUTH, body })).status).to.equal(200);
    expect((await http('POST', `${system.url}/api/license/heartbeat`, { headers: AUTH, body })).status).to.equal(429);
    const sessions = (await d.liveStats()).metrics.active_sessions;

    const after = await scrape();
    expect(metric(after, 'activations_total') - metric(before, 'activations_total')).to.equal(1);
    expect(
      metric(after, 'verifications_total', 'code="VALID"') - metric(before, 'verifications_total', 'code="VALID"'),
    ).to.equal(1);
    expect(
      metric(after, 'verifications_total', 'code="NOT_ACTIVATED"') -
        metric(before, 'verifications_total', 'code="NOT_ACTIVATED"'),
    ).to.equal(1);
    expect(
      metric(after, 'heartbeats_total', 'outcome="recorded"') -
        metric(before, 'heartbeats_total', 'outcome="recorded"'),
    ).to.equal(1);
    expect(
      metric(after, 'heartbeats_total', 'outcome="rate_limited"') -
        metric(before, 'heartbeats_total', 'outcome="rate_limited"'),
    ).to.equal(1);
    expect(metric(after, 'active_sessions')).to.equal(sessions);
    expect(after).to.match(/^# TYPE active_sessions gauge$/m);
  });
});

describe('alerts from dependencies, webhooks and 5xx answers', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let token: string;
  let broker: ServiceBroker;
  const d = driver(() => ({ system, token }));
  const endpointStates = {
    failing: [] as Array<{ id: number; url_host: string; since: string }>,
    disabled: [] as Array<{ id: number; url_host: string; since: string; reason: string }>,
  };

  before(async function () {
    await resetStores();
    // No license service (verify answers 503) and a stand-in webhook service whose endpoint states the
    // test sets: the monitoring service only knows its documented action.
    system = await startSystem({
      nodes: [ALL_SERVICES.filter(s => s !== 'license' && s !== 'webhook')],
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        LIVE_STATS_CACHE_MS: '0',
        ALERT_EVALUATION_SECONDS: '3600',
        ALERT_ERROR_RATE_MIN_REQUESTS: '5',
        ALERT_ERROR_RATE_PERCENT: '50',
      },
    });
    broker = system.brokers[0]!;
    broker.createService({
      name: 'webhook',
      actions: { endpointStates: { visibility: 'public', handler: () => endpointStates } },
    });
    await broker.waitForServices(['webhook'], 5000);
    token = await adminToken(system.url);
    // As if the node had been up for a while: missing services are reported after a discovery grace.
    monitoringOf(broker).startedAt = 0;
  });

  after(async function () {
    await system?.stop();
  });

  it('a webhook endpoint failing is a warning and one disabled is critical, from when they started, ending with the condition', async function () {
    const since = new Date(Date.now() - 120_000).toISOString();
    endpointStates.failing = [{ id: 7, url_host: 'hooks.example.com', since }];
    endpointStates.disabled = [
      { id: 8, url_host: 'crm.example.com', since, reason: 'failed its whole retry schedule' },
    ];
    await d.evaluate();
    const alerts = (await d.liveStats()).alerts;
    expect(alerts.find((a: any) => a.key === 'webhook:failing:7')).to.deep.include({
      type: 'warning',
      message: 'Webhook endpoint 7 (hooks.example.com) is failing: its deliveries are being retried',
      timestamp: since,
    });
    expect(alerts.find((a: any) => a.key === 'webhook:disabled:8')).to.deep.include({
      type: 'critical',
      message: 'Webhook endpoint 8 (crm.example.com) was disabled: failed its whole retry schedule',
      timestamp: since,
    });

    endpointStates.failing = [];
    endpointStates.disabled = [];
    await d.evaluate();
    const keys = (await d.liveStats()).alerts.map((a: any) => a.key);
    expect(keys).to.not.include.members(['webhook:failing:7']);
    expect(keys).to.not.include('webhook:disabled:8');
    expect(await AlertModel.countDocuments({ key: /^webhook:/, ended_at: { $ne: null } })).to.equal(2);
  });

  it('a share of 5xx above ALERT_ERROR_RATE_PERCENT is critical, and ends when the share drops', async function () {
    const gateway = broker.getLocalService('api') as unknown as {
      requestMetrics: { traffic: { flush(): Promise<void> } };
    };
    const verify = () =>
      http('POST', `${system.url}/api/license/verify`, {
        headers: AUTH,
        body: { license_key: 'TEST-TEST-TEST-TEST', hardware_hash: 'x' },
      });
    for (let i = 0; i < 6; i += 1) expect((await verify()).status).to.equal(503);
    await gateway.requestMetrics.traffic.flush();
    await d.evaluate();
    const alert = (await d.liveStats()).alerts.find((a: any) => a.key === 'http:error_rate');
    expect(alert).to.include({ type: 'critical' });
    expect(alert.message).to.match(/^\d+(\.\d)?% of \d+ requests in the last 5 minutes failed with a server error/);

    const latest = () => http('GET', `${system.url}/api/version/latest`, { headers: AUTH });
    for (let i = 0; i < 20; i += 1) expect((await latest()).status).to.equal(200);
    await gateway.requestMetrics.traffic.flush();
    await d.evaluate();
    expect((await d.liveStats()).alerts.map((a: any) => a.key)).to.not.include('http:error_rate');
  });

  it('a service no node runs is critical, and the alert ends once a node runs it', async function () {
    await d.evaluate();
    const missing = (await d.liveStats()).alerts.find((a: any) => a.key === 'dependency:service:license');
    expect(missing).to.include({ type: 'critical', message: 'No node runs the license service' });
    expect((await AlertModel.findOne({ key: 'dependency:service:license', ended_at: null }).lean())!._id).to.equal(
      missing.id,
    );

    broker.createService(LicenseService);
    await broker.waitForServices(['license'], 10_000);
    await d.evaluate();
    expect((await d.liveStats()).alerts.map((a: any) => a.key)).to.not.include('dependency:service:license');
    expect(await AlertModel.countDocuments({ key: 'dependency:service:license', ended_at: null })).to.equal(0);
  });
});

describe('live stats while Redis does not answer', function () {
  this.timeout(40_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let redisServer: ChildProcess;
  let port: number;

  before(async function () {
    await resetStores();
    port = await new Promise<number>(resolve => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free));
      });
    });
    // A private Redis for this suite only (loopback, no persistence): the machine's Redis is never touched.
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i += 1) {
      if (
        await probe.connect().then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    probe.disconnect();
    system = await startSystem({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, LIVE_STATS_CACHE_MS: '0', ALERT_EVALUATION_SECONDS: '3600' },
    });
    broker = system.brokers[0]!;
  });

  after(async function () {
    redisServer?.kill('SIGCONT');
    await system?.stop();
    redisServer?.kill('SIGTERM');
  });

  it('reports Redis as a critical alert, live, without the figures that live in Redis; and not once it answers again', async function () {
    const liveStats = () => broker.call<any, Record<string, never>>('monitoring.liveStats', {});
    const healthy = await liveStats();
    expect(healthy.alerts.map((a: any) => a.key)).to.not.include('dependency:redis');
    expect(healthy.metrics.active_sessions).to.be.a('number');

    redisServer.kill('SIGSTOP');
    try {
      const started = Date.now();
      const down = await liveStats();
      // Each Redis question has a deadline: the answer comes, it does not hang.
      expect(Date.now() - started).to.be.below(5000);
      const alert = down.alerts.find((a: any) => a.key === 'dependency:redis');
      expect(alert).to.deep.include({ id: null, type: 'critical' });
      expect(alert.message).to.match(/^Redis does not answer/);
      expect(down.metrics.active_sessions).to.equal(null);
      expect(down.metrics.heartbeats_per_minute).to.equal(null);
      expect(down.metrics.active_licenses).to.be.a('number');
      // Seen again: still the same start.
      expect((await liveStats()).alerts.find((a: any) => a.key === 'dependency:redis').started_at).to.equal(
        alert.started_at,
      );
    } finally {
      redisServer.kill('SIGCONT');
    }
    let back: any;
    for (let i = 0; i < 50; i += 1) {
      back = await liveStats();
      if (back.metrics.active_sessions !== null) break;
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    expect(back.alerts.map((a: any) => a.key)).to.not.include('dependency:redis');
  });
});

describe('live stats caching', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let token: string;
  const d = driver(() => ({ system, token }));

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { LIVE_STATS_CACHE_MS: '60000', ALERT_EVALUATION_SECONDS: '3600' } });
    token = await adminToken(system.url);
  });

  after(async function () {
    await system?.stop();
  });

  it('reuses one answer for LIVE_STATS_CACHE_MS: a burst of reads costs one computation', async function () {
    const first = await d.liveStats();
    await d.createLicense();
    const reads = await Promise.all(Array.from({ length: 5 }, () => d.liveStats()));
    for (const read of reads) expect(read).to.deep.equal(first);
  });
});
