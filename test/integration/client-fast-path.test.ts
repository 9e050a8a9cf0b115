// The gateway's fast path for verify and heartbeat (services/api/client-fast-path.ts) against real
// systems: the same script of requests run with CLIENT_FAST_PATH on and off gives the same statuses,
// bodies and headers; a warm verify makes no broker call at all; its answers are counted in the same
// metrics; and a gateway without a license service sends the verifies of one turn as one batch, each
// answered (or refused) on its own.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { ALL_SERVICES, TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer } from '../helpers/system.ts';
import { hotMetrics } from '../../lib/observability/hot-metrics.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
// Low enough that the script below runs into it, so that the 429 answer is compared too.
const PUBLIC_LIMIT = 24;

interface Step {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

interface Observed {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Header values that differ between two runs by nature: present, value not compared. */
const VOLATILE_HEADERS = new Set(['date', 'x-request-id', 'x-ratelimit-reset', 'keep-alive', 'connection']);

function observe(res: HttpAnswer): Observed {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = VOLATILE_HEADERS.has(name) ? '(present)' : value;
  });
  const body = typeof res.body === 'object' && res.body !== null ? { ...res.body } : res.body;
  if (body && typeof body === 'object' && 'last_heartbeat' in body) {
    (body as Record<string, unknown>).last_heartbeat = typeof (body as Record<string, unknown>).last_heartbeat;
  }
  // A 429's wait is the time left in the window: a number of seconds, compared by type.
  if (res.status === 429) {
    headers['retry-after'] = /^\d+$/.test(headers['retry-after'] ?? '') ? '(seconds)' : String(headers['retry-after']);
    const details = (body as { error?: { details?: Record<string, unknown> } }).error?.details;
    if (details) details.retry_after = typeof details.retry_after;
  }
  return { status: res.status, body, headers };
}

function script(key: string, machine: string): Step[] {
  const verify = (body: unknown, extra: Partial<Step> = {}): Step => ({
    name: JSON.stringify(body).slice(0, 60),
    path: '/api/license/verify',
    body,
    headers: AUTH,
    ...extra,
  });
  const heartbeat = (body: unknown): Step => ({
    name: 'heartbeat',
    path: '/api/license/heartbeat',
    body,
    headers: AUTH,
  });
  return [
    verify({ license_key: key, hardware_hash: machine, app_version: '1.0.0' }),
    verify({ license_key: key, hardware_hash: machine, app_version: '1.0.0' }),
    verify({ license_key: key, hardware_hash: machine }),
    verify({ license_key: key, hardware_hash: 'not-this-machine' }),
    verify({ license_key: 'NOPE-NOPE-NOPE-NOPE', hardware_hash: machine }),
    verify({ license_key: key }),
    verify({ license_key: key, hardware_hash: machine, extra: 1 }),
    verify({ license_key: key, hardware_hash: 42 }),
    verify({ license_key: key, hardware_hash: 'x'.repeat(300) }),
    verify([{ license_key: key, hardware_hash: machine }]),
    verify({}),
    { ...verify({ license_key: key, hardware_hash: machine }), name: 'no key', headers: {} },
    { ...verify({ license_key: key, hardware_hash: machine }), name: 'wrong key', headers: { 'x-api-key': 'nope' } },
    {
      name: 'bad JSON',
      path: '/api/license/verify',
      rawBody: '{"license_key":',
      headers: { ...AUTH, 'content-type': 'application/json' },
    },
    {
      name: 'text body',
      path: '/api/license/verify',
      rawBody: 'license_key=x',
      headers: { ...AUTH, 'content-type': 'text/plain' },
    },
    {
      name: 'too large',
      path: '/api/license/verify',
      body: { license_key: key, pad: 'x'.repeat(70_000) },
      headers: AUTH,
    },
    { name: 'no body', path: '/api/license/verify', headers: AUTH },
    {
      name: 'query string',
      path: '/api/license/verify?debug=1',
      body: { license_key: key, hardware_hash: machine },
      headers: AUTH,
    },
    { name: 'GET', method: 'GET', path: '/api/license/verify', headers: AUTH },
    heartbeat({ license_key: key, hardware_hash: machine, app_version: '1.0.0' }),
    heartbeat({ license_key: key, hardware_hash: machine }),
    heartbeat({ license_key: key }),
    heartbeat({ license_key: key, hardware_hash: 'not-this-machine' }),
    // The public limit runs out here: the last ones are 429 with Retry-After and the limit headers.
    ...Array.from({ length: 4 }, () => verify({ license_key: key, hardware_hash: machine })),
  ];
}

/** Starts a one-process system, activates a machine, runs the script; one observation per step. */
async function runScript(fastPath: boolean): Promise<Observed[]> {
  await resetStores();
  const system = await startSystem({
    env: { CLIENT_FAST_PATH: String(fastPath), RATE_LIMIT_PUBLIC_PER_MINUTE: String(PUBLIC_LIMIT) },
  });
  try {
    const license = await system.brokers[0]!.call<{ key: string }, Record<string, unknown>>('license.create', {
      type: 'subscription',
      max_activations: 3,
      max_users: 2,
      valid_until: '2099-12-31',
    });
    const machine = 'hw-fast-path-script';
    const activated = await http('POST', `${system.url}/api/license/activate`, {
      body: { license_key: license.key, hardware_hash: machine },
      headers: AUTH,
    });
    expect(activated.status, activated.text).to.equal(200);
    const observed: Observed[] = [];
    for (const step of script(license.key, machine)) {
      const res = await http(step.method ?? 'POST', `${system.url}${step.path}`, {
        body: step.body,
        rawBody: step.rawBody,
        headers: step.headers,
      });
      observed.push(observe(res));
    }
    // The license key differs between runs (it is generated): compare answers without it.
    return JSON.parse(JSON.stringify(observed).replaceAll(license.key, 'THE-KEY')) as Observed[];
  } finally {
    await system.stop();
  }
}

/** Counts the broker calls of `actions` (each looks its endpoint up once) while `run` runs. */
async function callsOf(broker: ServiceBroker, actions: string[], run: () => Promise<void>): Promise<number> {
  const findEndpoint = broker.findNextActionEndpoint.bind(broker);
  let count = 0;
  broker.findNextActionEndpoint = ((name: string, ...rest: unknown[]) => {
    if (actions.includes(name)) count += 1;
    return (findEndpoint as (...a: unknown[]) => unknown)(name, ...rest);
  }) as typeof broker.findNextActionEndpoint;
  try {
    await run();
  } finally {
    broker.findNextActionEndpoint = findEndpoint;
  }
  return count;
}

describe('client fast path (POST /api/license/verify and /heartbeat before moleculer-web)', function () {
  this.timeout(60_000);

  it('answers a script of good and bad requests exactly as moleculer-web does', async () => {
    const slow = await runScript(false);
    const fast = await runScript(true);
    expect(fast).to.have.length(slow.length);
    const steps = script('THE-KEY', 'hw-fast-path-script');
    for (const [i, expected] of slow.entries()) {
      expect(fast[i], `step ${i}: ${steps[i]!.name}`).to.deep.equal(expected);
    }
    // The script covers what it claims: valid, invalid, refused, limited.
    const statuses = slow.map(o => o.status);
    expect(statuses).to.include.members([200, 400, 401, 405, 413, 415, 429]);
    expect(slow[0]!.body).to.include({ valid: true, code: 'VALID' });
    expect(slow[19]!.body).to.include({ success: true, code: 'VALID' });
    expect(slow[20]!.status).to.equal(429);
  });

  describe('one process', () => {
    let system: Awaited<ReturnType<typeof startSystem>>;
    let license: { key: string };
    const machine = `hw-${randomBytes(6).toString('hex')}`;

    before(async () => {
      await resetStores();
      system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
      license = await system.brokers[0]!.call('license.create', {
        type: 'subscription',
        max_activations: 3,
        max_users: 2,
        valid_until: '2099-12-31',
      });
      const activated = await http('POST', `${system.url}/api/license/activate`, {
        body: { license_key: license.key, hardware_hash: machine },
        headers: AUTH,
      });
      expect(activated.status).to.equal(200);
    });
    after(() => system?.stop());

    const verify = () =>
      http('POST', `${system.url}/api/license/verify`, {
        body: { license_key: license.key, hardware_hash: machine },
        headers: AUTH,
      });

    it('answers a warm verify without any broker call', async () => {
      const first = await verify();
      expect(first.body).to.include({ valid: true });
      const calls = await callsOf(system.brokers[0]!, ['license.verify', 'api.rest'], async () => {
        for (let i = 0; i < 10; i++) expect((await verify()).body).to.include({ valid: true, code: 'VALID' });
      });
      expect(calls).to.equal(0);
      // The count is real: a broker call of the action is seen.
      const direct = await callsOf(system.brokers[0]!, ['license.verify'], async () => {
        await system.brokers[0]!.call('license.verify', { license_key: license.key, hardware_hash: machine });
      });
      expect(direct).to.equal(1);
    });

    it('counts in-process answers in the request, verification and action-call metrics', async () => {
      await verify();
      const metrics = hotMetrics(system.brokers[0]!);
      const before = {
        http: metrics.total('http_requests_total', { route: '/api/license/verify', status: '200' }),
        calls: metrics.total('moleculer_action_calls_total', { action: 'license.verify', outcome: 'ok' }),
      };
      for (let i = 0; i < 5; i++) await verify();
      expect(metrics.total('http_requests_total', { route: '/api/license/verify', status: '200' })).to.equal(
        before.http + 5,
      );
      expect(metrics.total('moleculer_action_calls_total', { action: 'license.verify', outcome: 'ok' })).to.equal(
        before.calls + 5,
      );
    });

    it("echoes the client's X-Request-ID and makes one otherwise", async () => {
      const echoed = await http('POST', `${system.url}/api/license/verify`, {
        body: { license_key: license.key, hardware_hash: machine },
        headers: { ...AUTH, 'x-request-id': 'client-chosen-id' },
      });
      expect(echoed.headers.get('x-request-id')).to.equal('client-chosen-id');
      const made = await verify();
      expect(made.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe('gateway without a license service (verifies batched over NATS)', () => {
    let system: Awaited<ReturnType<typeof startSystem>>;
    let license: { key: string };
    const machines = Array.from({ length: 3 }, () => `hw-${randomBytes(6).toString('hex')}`);

    before(async () => {
      await resetStores();
      system = await startSystem({
        nodes: [['api'], ALL_SERVICES.filter(s => s !== 'api')],
        env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' },
      });
      license = await system.brokers[1]!.call('license.create', {
        type: 'subscription',
        max_activations: 3,
        max_users: 5,
        valid_until: '2099-12-31',
      });
      for (const machine of machines) {
        const activated = await http('POST', `${system.url}/api/license/activate`, {
          body: { license_key: license.key, hardware_hash: machine },
          headers: AUTH,
        });
        expect(activated.status, activated.text).to.equal(200);
      }
    });
    after(() => system?.stop());

    it('answers each of 60 concurrent verifies on its own, in fewer calls than requests', async () => {
      const bodies: Array<{ body: Record<string, unknown>; expect: (r: HttpAnswer) => void }> = [];
      for (let i = 0; i < 60; i++) {
        const kind = i % 4;
        if (kind === 0 || kind === 1) {
          bodies.push({
            body: { license_key: license.key, hardware_hash: machines[i % 3]! },
            expect: r => expect(r.body, r.text).to.include({ valid: true, code: 'VALID' }),
          });
        } else if (kind === 2) {
          bodies.push({
            body: { license_key: license.key, hardware_hash: `unknown-${i}` },
            expect: r => expect(r.body, r.text).to.include({ valid: false, code: 'NOT_ACTIVATED' }),
          });
        } else {
          bodies.push({
            body: { license_key: license.key, hardware_hash: machines[0]!, extra: i },
            expect: r => {
              expect(r.status, r.text).to.equal(400);
              expect(r.body.error).to.deep.include({ code: 'VALIDATION_ERROR' });
              expect(r.body.error.details).to.deep.equal({ field: 'extra', reason: 'unknown_field' });
            },
          });
        }
      }
      const metrics = hotMetrics(system.brokers[1]!);
      const batchesBefore = metrics.total('moleculer_action_calls_total', {
        action: 'license.verifyMany',
        outcome: 'ok',
      });
      const answers = await Promise.all(
        bodies.map(b => http('POST', `${system.url}/api/license/verify`, { body: b.body, headers: AUTH })),
      );
      for (const [i, answer] of answers.entries()) bodies[i]!.expect(answer);
      const batches = metrics.total('moleculer_action_calls_total', { action: 'license.verifyMany', outcome: 'ok' });
      expect(batches - batchesBefore)
        .to.be.greaterThan(0)
        .and.lessThan(60);
      expect(metrics.total('moleculer_action_calls_total', { action: 'license.verify', outcome: 'ok' })).to.equal(0);
    });

    it('answers 503 with Retry-After when the license node is gone', async () => {
      await system.brokers[1]!.destroyService(system.brokers[1]!.getLocalService('license'));
      // The gateway hears of the service's departure over NATS.
      const deadline = Date.now() + 5000;
      while (
        system.brokers[0]!.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === 'license') &&
        Date.now() < deadline
      ) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      const res = await http('POST', `${system.url}/api/license/verify`, {
        body: { license_key: license.key, hardware_hash: machines[0]! },
        headers: AUTH,
      });
      expect(res.status, res.text).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('5');
      expect(res.body.error.code).to.equal('SERVICE_UNAVAILABLE');
    });
  });
});
