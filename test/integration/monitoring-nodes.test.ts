// Two monitoring/job nodes over NATS (each also runs the license and device services): every scheduled
// job runs once per tick across both, an anomaly detected on both at once is recorded and announced
// once, a lapse swept by both at once is announced once, and an alert evaluated on both at once is
// opened once.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { Redis } from 'ioredis';
import { hotMetrics } from '../../lib/observability/hot-metrics.ts';
import { AlertModel } from '../../models/alert.model.ts';
import { AnomalyModel } from '../../models/anomaly.model.ts';
import { offsetInPeriod } from '../../lib/infra/jobs.ts';
import { LAPSE_JOB, announceLapses } from '../../services/license/lapses.ts';
import type { LicenseThis } from '../../services/license/state.ts';
import { evaluateAlerts } from '../../services/monitoring/alerts.ts';
import { detectActivationBurst } from '../../services/monitoring/detectors.ts';
import type { MonitoringThis } from '../../services/monitoring/state.ts';
import { adminToken } from '../helpers/admin.ts';
import { FactSpy } from '../helpers/fact-spy.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };

describe('two monitoring and job nodes over NATS', function () {
  this.timeout(40_000);
  let system: TestSystem;
  let jobNodes: ServiceBroker[];
  let spy: FactSpy;
  let token: string;

  function admin(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
  }

  async function createLicense(fields: Record<string, unknown> = {}): Promise<{ id: number; key: string }> {
    const res = await admin('POST', '/api/licenses', {
      type: 'subscription',
      valid_until: '2099-12-31',
      max_activations: 10,
      max_users: 10,
      ...fields,
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  async function activate(license: { key: string }, hw = `hw-${randomBytes(8).toString('hex')}`) {
    const res = await http('POST', `${system.url}/api/license/activate`, {
      headers: AUTH,
      body: { license_key: license.key, hardware_hash: hw },
    });
    expect(res.status, res.text).to.equal(200);
    return { id: res.body.activation.id as number, hw };
  }

  const monitoring = (node: ServiceBroker) => node.getLocalService('monitoring') as unknown as MonitoringThis;
  const license = (node: ServiceBroker) => node.getLocalService('license') as unknown as LicenseThis;
  const evaluations = () =>
    jobNodes.reduce((sum, node) => sum + hotMetrics(node).total('monitoring_alert_evaluations_total'), 0);

  /**
   * Waits until the scheduled run of a job is at least `clearMs` away on both sides, so that a test
   * racing two runs by hand is not joined by the schedule's own run (which would take the work first).
   */
  async function clearOfScheduledRun(job: { name: string; everyMs: number }, clearMs = 3000): Promise<void> {
    const offset = offsetInPeriod(job.name, job.everyMs);
    const place = (Date.now() - offset + job.everyMs) % job.everyMs; // ms since the last scheduled run
    if (place < clearMs) await new Promise(resolve => setTimeout(resolve, clearMs - place));
    else if (job.everyMs - place < clearMs)
      await new Promise(resolve => setTimeout(resolve, job.everyMs - place + clearMs));
  }

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [
        ['api', 'auth', 'version', 'customer', 'resource', 'search'],
        ['license', 'device', 'monitoring'],
        ['license', 'device', 'monitoring'],
      ],
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        RATE_LIMIT_HEARTBEAT_PER_MINUTE: '100',
        ALERT_EVALUATION_SECONDS: '1',
        ANOMALY_ACTIVATIONS: '3',
      },
    });
    jobNodes = system.brokers.slice(1);
    spy = await FactSpy.attach(system.brokers[0]!, ['anomaly.detected', 'device.heartbeat.dead']);
    token = await adminToken(system.url);
  });

  after(async function () {
    await system?.stop();
  });

  it('runs the alert evaluation once per tick across both nodes', async function () {
    const start = evaluations();
    const began = Date.now();
    await new Promise(resolve => setTimeout(resolve, 5000));
    const ticks = (Date.now() - began) / 1000;
    const ran = evaluations() - start;
    // One run per one-second tick, whichever node takes it; both running every tick would double it.
    expect(ran).to.be.within(Math.floor(ticks) - 2, Math.ceil(ticks) + 1);
    // Both nodes are workers of the one schedule.
    expect(jobNodes.every(node => monitoring(node).jobs['monitoring-alerts'])).to.equal(true);
  });

  it('records and announces an anomaly once when both nodes detect it at once', async function () {
    const target = await createLicense();
    const devices = [await activate(target), await activate(target), await activate(target)];
    await spy.wait('anomaly.detected', f => f.license_id === target.id);
    // The same kind of fact reaching each node at the same moment (a race the emit balancing can create).
    const fact = (i: number) => ({
      license_id: target.id,
      activation_id: devices[i]!.id,
      customer_id: null,
      event_id: `race-${i}`,
      at: new Date().toISOString(),
    });
    await Promise.all(jobNodes.map((node, i) => detectActivationBurst(monitoring(node), fact(i))));
    await spy.settle();
    expect(await AnomalyModel.countDocuments({ license_id: target.id })).to.equal(1);
    expect(spy.of('anomaly.detected', f => f.license_id === target.id)).to.have.lengthOf(1);
    const stored = (await AnomalyModel.findOne({ license_id: target.id }).lean())!;
    expect(stored.occurrences).to.equal(3);
  });

  it('announces a lapse once when both nodes sweep at once', async function () {
    const target = await createLicense();
    const device = await activate(target);
    const beat = await http('POST', `${system.url}/api/license/heartbeat`, {
      headers: AUTH,
      body: { license_key: target.key, hardware_hash: device.hw },
    });
    expect(beat.status, beat.text).to.equal(200);
    await clearOfScheduledRun(LAPSE_JOB);
    const redis = new Redis(process.env.REDIS_URL!, { keyPrefix: system.redisKeyPrefix });
    try {
      await redis.zadd('sessions:all', 'XX', Date.now() - 3600_000, `${target.id}:${device.id}`);
    } finally {
      redis.disconnect();
    }
    const swept = await Promise.all(jobNodes.map(node => announceLapses(license(node))));
    expect(swept.reduce((a, b) => a + b, 0)).to.equal(1);
    await spy.wait('device.heartbeat.dead', f => f.activation_id === device.id);
    await spy.settle();
    expect(spy.of('device.heartbeat.dead', f => f.activation_id === device.id)).to.have.lengthOf(1);
  });

  it('opens an alert once when both nodes evaluate at once', async function () {
    const target = await createLicense({ max_activations: 1 });
    await activate(target);
    await Promise.all(jobNodes.map(node => evaluateAlerts(monitoring(node))));
    expect(await AlertModel.countDocuments({ key: `usage:activations:${target.id}` })).to.equal(1);
  });
});
