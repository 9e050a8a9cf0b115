// The anomaly detectors fed by real traffic through the HTTP API (gateway and services on separate nodes
// over NATS), with lowered thresholds: each opens one anomaly per (license, type), stores its evidence
// and announces anomaly.detected once; the anomaly routes list, count and resolve them; bad input gets
// a 4xx and changes nothing.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { AnomalyModel } from '../../models/anomaly.model.ts';
import { adminToken, viewerToken } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';
import { FactSpy } from '../helpers/fact-spy.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ANOMALY_FIELDS = [
  'id',
  'type',
  'license_id',
  'activation_id',
  'customer_id',
  'evidence',
  'detected_at',
  'last_seen_at',
  'occurrences',
  'resolved',
  'resolved_at',
  'resolved_by',
  'resolution_note',
];

interface License {
  id: number;
  key: string;
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

describe('anomaly detection and the anomaly routes', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let spy: FactSpy;
  let token: string;
  let viewer: string;
  let customerId: number;

  function as(who: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${who}` },
    });
  }

  function admin(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return as(token, method, path, body);
  }

  async function createLicense(fields: Record<string, unknown> = {}): Promise<License> {
    const res = await admin('POST', '/api/licenses', {
      customer_id: customerId,
      type: 'subscription',
      valid_until: '2099-12-31',
      max_activations: 20,
      max_users: 20,
      ...fields,
    });
    expect(res.status, res.text).to.equal(201);
    return res.body as License;
  }

  async function activate(license: License, hw = hardware()): Promise<{ id: number; hw: string }> {
    const res = await http('POST', `${system.url}/api/license/activate`, {
      headers: AUTH,
      body: { license_key: license.key, hardware_hash: hw },
    });
    expect(res.status, res.text).to.equal(200);
    return { id: res.body.activation.id, hw };
  }

  async function deactivate(license: License, deviceId: number): Promise<void> {
    const res = await admin('POST', `/api/license/${license.id}/deactivate-device/${deviceId}`);
    expect(res.status, res.text).to.equal(200);
  }

  function heartbeat(license: License, hw: string): Promise<HttpAnswer> {
    return http('POST', `${system.url}/api/license/heartbeat`, {
      headers: AUTH,
      body: { license_key: license.key, hardware_hash: hw },
    });
  }

  async function anomaliesOf(license: License, type?: string): Promise<any[]> {
    const res = await admin('GET', `/api/monitoring/anomalies?license_id=${license.id}${type ? `&type=${type}` : ''}`);
    expect(res.status, res.text).to.equal(200);
    return res.body.anomalies;
  }

  /** Waits for the anomaly a fact is about to open (detectors run on the fact, asynchronously). */
  async function waitForAnomaly(license: License, type: string): Promise<any> {
    const [fact] = await spy.wait('anomaly.detected', f => f.license_id === license.id && f.type === type);
    const [anomaly] = await anomaliesOf(license, type);
    expect(anomaly, `${type} of license ${license.id}`).to.not.equal(undefined);
    expect(anomaly.id).to.equal(fact!.anomaly_id);
    return anomaly;
  }

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [['api'], ['auth', 'license', 'device', 'version', 'customer', 'monitoring']],
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        ANOMALY_ACTIVATIONS: '3',
        ANOMALY_HEARTBEAT_EXCESS: '3',
        ANOMALY_HOPPING_LICENSES: '3',
        ANOMALY_CHURN_CHANGES: '4',
        ALERT_EVALUATION_SECONDS: '3600',
      },
    });
    spy = await FactSpy.attach(system.brokers[0]!, ['anomaly.detected', 'device.heartbeat.excessive']);
    token = await adminToken(system.url);
    viewer = await viewerToken(system.url, token, 'anomaly.viewer');
    const customer = await admin('POST', '/api/customers', { name: 'Anomaly Customer', email: 'anomaly@example.com' });
    expect(customer.status, customer.text).to.equal(201);
    customerId = customer.body.id;
  });

  after(async function () {
    await system?.stop();
  });

  describe('unusual_activation_pattern', function () {
    it('opens one anomaly when a license gets ANOMALY_ACTIVATIONS activations in the window, with the evidence', async function () {
      const license = await createLicense();
      const devices = [await activate(license), await activate(license)];
      await spy.settle();
      expect(await anomaliesOf(license, 'unusual_activation_pattern')).to.deep.equal([]);

      devices.push(await activate(license));
      const anomaly = await waitForAnomaly(license, 'unusual_activation_pattern');
      expect(anomaly).to.have.all.keys(ANOMALY_FIELDS);
      expect(anomaly).to.include({
        type: 'unusual_activation_pattern',
        license_id: license.id,
        activation_id: devices[2]!.id,
        customer_id: customerId,
        occurrences: 1,
        resolved: false,
        resolved_at: null,
        resolved_by: null,
      });
      expect(anomaly.evidence).to.deep.equal({
        activations: 3,
        window_seconds: 600,
        threshold: 3,
        activation_ids: devices.map(d => d.id).reverse(),
      });
      const [fact] = spy.of('anomaly.detected', f => f.anomaly_id === anomaly.id);
      expect(fact).to.deep.include({
        type: 'unusual_activation_pattern',
        license_id: license.id,
        activation_id: devices[2]!.id,
        customer_id: customerId,
        evidence: anomaly.evidence,
      });
    });

    it('a further activation while it is open bumps the same anomaly: no second record, no second fact', async function () {
      const license = await createLicense();
      for (let i = 0; i < 3; i += 1) await activate(license);
      const first = await waitForAnomaly(license, 'unusual_activation_pattern');
      await activate(license);
      await spy.settle();
      const all = await anomaliesOf(license, 'unusual_activation_pattern');
      expect(all).to.have.lengthOf(1);
      expect(all[0]).to.include({ id: first.id, occurrences: 2 });
      expect(all[0].evidence.activations).to.equal(4);
      expect(spy.of('anomaly.detected', f => f.license_id === license.id && f.type === first.type)).to.have.lengthOf(1);
    });
  });

  describe('excessive_heartbeats', function () {
    it('counts accepted and refused heartbeats: at the limit plus ANOMALY_HEARTBEAT_EXCESS one fact and one anomaly', async function () {
      const license = await createLicense();
      const device = await activate(license);
      expect((await heartbeat(license, device.hw)).status).to.equal(200);
      expectError(await heartbeat(license, device.hw), 429, 'RATE_LIMIT_EXCEEDED');
      expectError(await heartbeat(license, device.hw), 429, 'RATE_LIMIT_EXCEEDED');
      await spy.settle();
      expect(spy.of('device.heartbeat.excessive', f => f.license_id === license.id)).to.deep.equal([]);

      expectError(await heartbeat(license, device.hw), 429, 'RATE_LIMIT_EXCEEDED'); // 4 = 1 allowed + 3
      const [fact] = await spy.wait('device.heartbeat.excessive', f => f.license_id === license.id);
      expect(fact).to.deep.include({
        license_id: license.id,
        activation_id: device.id,
        customer_id: customerId,
        hits: 4,
        limit: 1,
        window_seconds: 60,
      });
      const anomaly = await waitForAnomaly(license, 'excessive_heartbeats');
      expect(anomaly).to.include({ activation_id: device.id, customer_id: customerId, occurrences: 1 });
      expect(anomaly.evidence).to.deep.equal({
        heartbeats: 4,
        allowed: 1,
        window_seconds: 60,
        excess_threshold: 3,
        activation_id: device.id,
      });

      // More refusals in the same window: reported once, not on every refused request.
      for (let i = 0; i < 3; i += 1) expectError(await heartbeat(license, device.hw), 429, 'RATE_LIMIT_EXCEEDED');
      await spy.settle();
      expect(spy.of('device.heartbeat.excessive', f => f.license_id === license.id)).to.have.lengthOf(1);
      expect(await anomaliesOf(license, 'excessive_heartbeats')).to.have.lengthOf(1);
    });
  });

  describe('license_hopping', function () {
    it('one hardware hash activated on ANOMALY_HOPPING_LICENSES licenses in the window', async function () {
      const hw = hardware();
      const licenses = [await createLicense(), await createLicense(), await createLicense()];
      await activate(licenses[0]!, hw);
      await activate(licenses[1]!, hw);
      await spy.settle();
      expect(await anomaliesOf(licenses[1]!, 'license_hopping')).to.deep.equal([]);
      const device = await activate(licenses[2]!, hw);
      const anomaly = await waitForAnomaly(licenses[2]!, 'license_hopping');
      expect(anomaly).to.include({ activation_id: device.id, customer_id: customerId });
      expect(anomaly.evidence).to.deep.equal({
        kind: 'hardware_moves',
        hardware_hash: hw,
        licenses: 3,
        window_seconds: 86_400,
        threshold: 3,
        license_ids: licenses.map(l => l.id).reverse(),
      });
    });

    it("one license's seat churning through machines: ANOMALY_CHURN_CHANGES activations and deactivations", async function () {
      const license = await createLicense({ max_activations: 1 });
      const a = await activate(license);
      await deactivate(license, a.id);
      const b = await activate(license);
      await spy.settle();
      expect(await anomaliesOf(license, 'license_hopping')).to.deep.equal([]);
      await deactivate(license, b.id);
      const anomaly = await waitForAnomaly(license, 'license_hopping');
      expect(anomaly.activation_id).to.equal(b.id);
      expect(anomaly.evidence).to.deep.equal({
        kind: 'seat_churn',
        seat_changes: 4,
        window_seconds: 86_400,
        threshold: 4,
        activation_ids: [b.id, a.id],
      });
    });
  });

  describe('GET /api/monitoring/anomalies', function () {
    it('filters by type, resolved and license, newest first, paginated like the other lists', async function () {
      const license = await createLicense();
      for (let i = 0; i < 4; i += 1) await activate(license); // unusual pattern (3) and seat churn (4)
      await spy.wait('anomaly.detected', f => f.license_id === license.id, 2);
      const page1 = await as(viewer, 'GET', `/api/monitoring/anomalies?license_id=${license.id}&limit=1`);
      expect(page1.status, page1.text).to.equal(200);
      expect(page1.body).to.have.all.keys('anomalies', 'pagination');
      expect(page1.body.pagination).to.deep.equal({ page: 1, limit: 1, total: 2, pages: 2, more: true });
      const page2 = await as(viewer, 'GET', `/api/monitoring/anomalies?license_id=${license.id}&limit=1&page=2`);
      expect(page2.body.pagination).to.include({ page: 2, more: false });
      const ids = [page1.body.anomalies[0].id, page2.body.anomalies[0].id];
      expect(ids[0]).to.be.greaterThan(ids[1]);
      expect(new Set([page1.body.anomalies[0].type, page2.body.anomalies[0].type])).to.deep.equal(
        new Set(['unusual_activation_pattern', 'license_hopping']),
      );

      const hopping = await admin('GET', `/api/monitoring/anomalies?type=license_hopping&license_id=${license.id}`);
      expect(hopping.body.anomalies.map((a: any) => a.type)).to.deep.equal(['license_hopping']);
      const open = await admin('GET', '/api/monitoring/anomalies?resolved=false&limit=100');
      expect(open.body.anomalies.every((a: any) => a.resolved === false)).to.equal(true);
      expect(open.body.anomalies.map((a: any) => a.id)).to.include.members(ids);
      const resolved = await admin('GET', `/api/monitoring/anomalies?resolved=true&license_id=${license.id}`);
      expect(resolved.body).to.deep.include({ anomalies: [] });
    });
  });

  describe('POST /api/monitoring/anomaly/:anomaly_id/resolve and GET /api/monitoring/anomaly-stats', function () {
    it('anomaly-stats answers exactly the documented shape, every type present', async function () {
      const res = await as(viewer, 'GET', '/api/monitoring/anomaly-stats');
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('total_anomalies', 'unresolved', 'by_type');
      expect(res.body.by_type).to.have.all.keys(
        'unusual_activation_pattern',
        'excessive_heartbeats',
        'license_hopping',
      );
      const stored = await AnomalyModel.find().lean();
      expect(res.body.total_anomalies).to.equal(stored.length);
      expect(res.body.unresolved).to.equal(stored.filter(a => !a.resolved).length);
      for (const type of Object.keys(res.body.by_type)) {
        expect(res.body.by_type[type], type).to.equal(stored.filter(a => a.type === type).length);
      }
    });

    it('resolving records who and when; resolving again changes nothing; the next detection opens a new anomaly', async function () {
      const license = await createLicense();
      for (let i = 0; i < 3; i += 1) await activate(license);
      const anomaly = await waitForAnomaly(license, 'unusual_activation_pattern');
      const statsBefore = (await admin('GET', '/api/monitoring/anomaly-stats')).body;

      expectError(await as(viewer, 'POST', `/api/monitoring/anomaly/${anomaly.id}/resolve`, {}), 403, 'FORBIDDEN');
      const before = Date.now();
      const res = await admin('POST', `/api/monitoring/anomaly/${anomaly.id}/resolve`, { note: 'a new office' });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.have.all.keys('success', 'message', 'anomaly');
      expect(res.body).to.include({ success: true, message: 'Anomaly resolved' });
      expect(res.body.anomaly).to.deep.include({
        id: anomaly.id,
        resolved: true,
        resolved_by: { id: 1, username: 'admin' },
        resolution_note: 'a new office',
      });
      expect(Date.parse(res.body.anomaly.resolved_at)).to.be.within(before, Date.now());
      const stored = (await AnomalyModel.findById(anomaly.id).lean())!;
      expect(stored.resolved).to.equal(true);
      expect(stored.open_key).to.equal(`resolved:${anomaly.id}`);

      const again = await admin('POST', `/api/monitoring/anomaly/${anomaly.id}/resolve`, {});
      expect(again.status, again.text).to.equal(200);
      expect(again.body).to.include({ message: 'Anomaly was already resolved' });
      expect(again.body.anomaly).to.deep.equal(res.body.anomaly);

      const statsAfter = (await admin('GET', '/api/monitoring/anomaly-stats')).body;
      expect(statsAfter.unresolved).to.equal(statsBefore.unresolved - 1);
      expect(statsAfter.total_anomalies).to.equal(statsBefore.total_anomalies);

      // Still 4 activations in the window: the next one is a new detection, a new anomaly.
      await activate(license);
      await spy.wait(
        'anomaly.detected',
        f => f.license_id === license.id && f.type === 'unusual_activation_pattern',
        2,
      );
      const all = await anomaliesOf(license, 'unusual_activation_pattern');
      expect(all.map(a => [a.resolved, a.occurrences])).to.deep.equal([
        [false, 1],
        [true, 1],
      ]);
      expect(all[0].id).to.be.greaterThan(anomaly.id);
    });
  });

  describe('bad input on the monitoring routes', function () {
    const BAD_READS: Array<[string, string]> = [
      ['/api/monitoring/live-stats?extra=1', 'extra'],
      ['/api/monitoring/anomaly-stats?extra=1', 'extra'],
      ['/api/monitoring/anomalies?type=bogus', 'type'],
      ['/api/monitoring/anomalies?resolved=maybe', 'resolved'],
      ['/api/monitoring/anomalies?license_id=0', 'license_id'],
      ['/api/monitoring/anomalies?license_id=abc', 'license_id'],
      ['/api/monitoring/anomalies?page=0', 'page'],
      ['/api/monitoring/anomalies?limit=1000', 'limit'],
      ['/api/monitoring/anomalies?limit=-1', 'limit'],
      ['/api/monitoring/anomalies?extra=1', 'extra'],
    ];
    for (const [path, field] of BAD_READS) {
      it(`GET ${path} is a 400 naming ${field}`, async function () {
        const error = expectError(await admin('GET', path), 400, 'VALIDATION_ERROR');
        expect(error.details.field).to.equal(field);
      });
    }

    it('resolving with bad ids, unknown fields or a long note is a 4xx and stores nothing', async function () {
      const license = await createLicense();
      for (let i = 0; i < 3; i += 1) await activate(license);
      const anomaly = await waitForAnomaly(license, 'unusual_activation_pattern');
      const before = await AnomalyModel.find().sort({ _id: 1 }).lean();

      // A non-numeric id is no route (ids in paths are digits, services/api/route-match.ts).
      expectError(await admin('POST', '/api/monitoring/anomaly/abc/resolve', {}), 404, 'ROUTE_NOT_FOUND');
      expectError(await admin('POST', '/api/monitoring/anomaly/0/resolve', {}), 400, 'VALIDATION_ERROR');
      const missing = expectError(
        await admin('POST', '/api/monitoring/anomaly/99999999/resolve', {}),
        404,
        'ANOMALY_NOT_FOUND',
      );
      expect(missing.details).to.deep.equal({ field: 'anomaly_id', reason: 'not_found' });
      const unknown = expectError(
        await admin('POST', `/api/monitoring/anomaly/${anomaly.id}/resolve`, { resolved_by: 'me' }),
        400,
        'VALIDATION_ERROR',
      );
      expect(unknown.details).to.deep.equal({ field: 'resolved_by', reason: 'unknown_field' });
      expectError(
        await admin('POST', `/api/monitoring/anomaly/${anomaly.id}/resolve`, { note: 'x'.repeat(501) }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(
        await admin('POST', `/api/monitoring/anomaly/${anomaly.id}/resolve`, { note: 42 }),
        400,
        'VALIDATION_ERROR',
      );
      expectError(await http('POST', `${system.url}/api/monitoring/anomaly/${anomaly.id}/resolve`, { body: {} }), 401);
      expect(await AnomalyModel.find().sort({ _id: 1 }).lean()).to.deep.equal(before);
    });
  });

  describe('GET /metrics', function () {
    it('counts the anomalies opened by type, every type bound up front', async function () {
      // The monitoring service runs on the services node: its figures are in that node's registry.
      const { renderMetrics } = await import('../../lib/observability/metrics.ts');
      const text = renderMetrics(system.brokers[1]!);
      const count = (type: string) => {
        const line = text.split('\n').find(l => l.startsWith('anomalies_total{') && l.includes(`type="${type}"`));
        return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      const stored = await AnomalyModel.find().lean();
      for (const type of ['unusual_activation_pattern', 'excessive_heartbeats', 'license_hopping']) {
        expect(count(type), type).to.equal(stored.filter(a => a.type === type).length);
      }
    });
  });
});
