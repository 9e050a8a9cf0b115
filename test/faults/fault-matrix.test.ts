// The fault matrix (`npm run test:faults`): the service groups of config/topology.ts as separate
// processes (the gateway, two admin replicas, webhook, monitoring) over their own NATS, Redis and
// embedded database, all started here on free loopback ports. Under open-loop load on verify,
// activate and heartbeat (100 requests per second), each dependency is stopped for 10 s, then paused
// (SIGSTOP: it hangs with its connections open) for 10 s, and an admin node is stopped with SIGTERM and
// killed with SIGKILL; three rounds. Asserted for every fault: nothing but the fast 503 with
// Retry-After fails (no 500, no hang, no slow failure), warm verifies keep answering VALID, success is
// back above 99% within 15 s, and no license holds more active activations than its max_activations.
// After the rounds: no process crashed; the heap left after a full GC, RSS and open handles are flat.
// Then the rate limits without Redis (docs/security.md) and a gateway that starts while Redis is down.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { GROUP_NAMES, SERVICE_GROUPS, type GroupName } from '../../config/topology.ts';
import { LoadGenerator, between, recoverySeconds, successRatio, violations, type Sample } from './load.ts';
import {
  NodeProcess,
  embeddedDatabase,
  footprint,
  freePort,
  natsServer,
  redisServer,
  sleep,
  type Dependency,
} from './processes.ts';

const OUTAGE_MS = 10_000;
const RECOVERY_WITHIN_MS = 15_000;
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 3);
/** FAULT_ONLY=<part of a name>,<...>: only those faults (while working on one). */
const ONLY = process.env.FAULT_ONLY?.split(',');
const DEPENDENCY_NAMES = { nats: 'NATS', redis: 'Redis', db: 'database' } as const;
/** A request that needs what is missing fails within this long (CLIENT_REQUEST_TIMEOUT_MS is 2 s). */
const MAX_FAILURE_MS = 2500;
/** No answer at all takes longer than this during a fault. */
const MAX_ANSWER_MS = 3500;
const FULL_LICENSE_SEATS = 2;
/** Licenses the load activates new machines on, in turn (about 20 each over the whole matrix). */
const ACTIVATION_LICENSES = 40;
const ADMIN = { username: 'faults-admin', password: 'faults-admin-password' };
const API_KEY = `AF-${new Date().getUTCFullYear()}-FAULTSFAULTSFAULTSFAULTSFAULTS12`;

interface Fault {
  name: string;
  apply(): Promise<void>;
  undo(): Promise<void>;
}

describe('fault matrix', function () {
  this.timeout(20 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'license-faults-'));
  const namespace = `faults${randomBytes(3).toString('hex')}`;
  const deps: Record<'nats' | 'redis' | 'db', Dependency> = {} as never;
  const nodes: Record<string, NodeProcess> = {};
  let load: LoadGenerator;
  let gatewayUrl = '';
  let admin: Record<string, string> = {};
  let store: Connection;
  const limited: Array<{ id: number; max: number }> = [];
  const report: string[] = [];
  const footprints: Array<Record<string, { rssKb: number; fds: number; heapMb: number }>> = [];

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin) {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text || 'null') as Record<string, any>, text };
  }

  async function startNodes(): Promise<void> {
    const common = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      NAMESPACE: namespace,
      MONGO_URL: deps.db.url,
      REDIS_URL: deps.redis.url,
      TRANSPORTER: deps.nats.url,
      JWT_SECRET: 'faults-jwt-secret-of-at-least-32-characters',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      API_KEY,
      WEBHOOK_SECRET_KEY: 'faults-webhook-secret-key-of-32-characters',
      TRUST_PROXY: '1',
      RATE_LIMIT_HEARTBEAT_PER_MINUTE: '1000000',
    };
    // Every group once, the admin group twice (a replica can be lost without losing the service).
    const plan: Array<[string, GroupName]> = GROUP_NAMES.flatMap(g =>
      g === 'admin'
        ? ([
            ['admin-1', g],
            ['admin-2', g],
          ] as Array<[string, GroupName]>)
        : [[g, g] as [string, GroupName]],
    );
    for (const [name, group] of plan) {
      const port = await freePort();
      const { services, http } = SERVICE_GROUPS[group];
      const env: Record<string, string> = {
        ...common,
        SERVICES: services.join(','),
        NODE_ID: `${namespace}-${name}`,
        METRICS_PORT: String(await freePort()),
        ...(http ? { PORT: String(port) } : { HEALTH_PORT: String(port) }),
      };
      if (http) gatewayUrl = `http://127.0.0.1:${port}`;
      nodes[name] = new NodeProcess(name, `http://127.0.0.1:${port}/health/ready`, env);
    }
    for (const node of Object.values(nodes)) node.start();
    await Promise.all(Object.values(nodes).map(n => n.ready()));
  }

  async function activeOver(): Promise<string[]> {
    const over: string[] = [];
    for (const { id, max } of limited) {
      const active = await store.collection('activations').countDocuments({ license_id: id, is_active: true });
      if (active > max) over.push(`license ${id}: ${active} active, max_activations ${max}`);
    }
    return over;
  }

  before(async function () {
    for (const name of ['nats', 'redis', 'db']) mkdirSync(join(dir, name));
    deps.nats = natsServer(await freePort(), join(dir, 'nats'));
    deps.redis = redisServer(await freePort(), join(dir, 'redis'));
    deps.db = embeddedDatabase(await freePort(), join(dir, 'db'));
    await Promise.all(Object.values(deps).map(d => d.start()));
    await startNodes();
    store = await mongoose.createConnection(deps.db.url, { serverSelectionTimeoutMS: 20_000 }).asPromise();

    const login = await call('POST', '/api/admin/login', ADMIN, {});
    expect(login.status, login.text).to.equal(200);
    admin = { authorization: `Bearer ${login.body.token}` };
    const verified = await call('POST', '/api/licenses', { type: 'perpetual', max_activations: 100, max_users: 100 });
    const full = await call('POST', '/api/licenses', {
      type: 'perpetual',
      max_activations: FULL_LICENSE_SEATS,
      max_users: 10,
    });
    expect([verified.status, full.status]).to.deep.equal([201, 201]);
    limited.push({ id: verified.body.id, max: 100 }, { id: full.body.id, max: FULL_LICENSE_SEATS });
    const activated: string[] = [];
    for (let i = 0; i < ACTIVATION_LICENSES; i += 1) {
      const license = await call('POST', '/api/licenses', {
        type: 'perpetual',
        max_activations: 1000,
        max_users: 1000,
      });
      expect(license.status, license.text).to.equal(201);
      limited.push({ id: license.body.id, max: 1000 });
      activated.push(license.body.key);
    }
    const client = { 'x-api-key': API_KEY };
    const machines = Array.from({ length: 40 }, (_, i) => `fault-machine-${i}`);
    for (const machine of machines) {
      const res = await call(
        'POST',
        '/api/license/activate',
        { license_key: verified.body.key, hardware_hash: machine },
        client,
      );
      expect(res.status, res.text).to.equal(200);
    }
    for (const machine of machines) {
      // Warm: the view is loaded and the session admitted before any fault.
      expect(
        (await call('POST', '/api/license/verify', { license_key: verified.body.key, hardware_hash: machine }, client))
          .body.code,
      ).to.equal('VALID');
    }
    for (let i = 0; i < FULL_LICENSE_SEATS; i += 1) {
      await call('POST', '/api/license/activate', { license_key: full.body.key, hardware_hash: `full-${i}` }, client);
    }
    load = new LoadGenerator({
      url: gatewayUrl,
      apiKey: API_KEY,
      licenseKey: verified.body.key,
      machines,
      activateLicenseKeys: activated,
      fullLicenseKey: full.body.key,
    });
    load.start(100);
    await sleep(5000);
    const warm = between(load.samples, 0, Date.now());
    expect(successRatio(warm), 'steady state before any fault').to.be.at.least(0.99);
  });

  after(async function () {
    await load?.stop();
    await Promise.all(Object.values(nodes).map(n => n.signal('SIGTERM')));
    await store?.close();
    for (const d of Object.values(deps)) {
      d.resume();
      await d.stop().catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
    // FAULT_LOG_DIR=<folder> keeps every node's output for a closer look.
    if (process.env.FAULT_LOG_DIR) {
      mkdirSync(process.env.FAULT_LOG_DIR, { recursive: true });
      for (const [name, node] of Object.entries(nodes)) {
        writeFileSync(join(process.env.FAULT_LOG_DIR, `${name}.log`), `${node.output.join('\n')}\n`);
      }
    }
    process.stdout.write(`\n${report.join('\n')}\n`);
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const [name, node] of Object.entries(nodes)) {
      report.push(`--- ${name}, last lines:`, ...node.output.slice(-15).map(l => `    ${l.slice(0, 300)}`));
    }
  });

  const faults = (): Fault[] => [
    { name: 'NATS stopped', apply: () => deps.nats.stop(), undo: () => deps.nats.start() },
    { name: 'Redis stopped', apply: () => deps.redis.stop(), undo: () => deps.redis.start() },
    { name: 'database stopped', apply: () => deps.db.stop(), undo: () => deps.db.start() },
    ...(['nats', 'redis', 'db'] as const).map(name => ({
      name: `${DEPENDENCY_NAMES[name]} paused (SIGSTOP)`,
      apply: () => Promise.resolve(deps[name].pause()),
      undo: () => Promise.resolve(deps[name].resume()),
    })),
    {
      name: 'admin node stopped (SIGTERM)',
      async apply() {
        expect(await nodes['admin-1']!.signal('SIGTERM'), 'a SIGTERM ends the node with exit code 0').to.equal('0');
      },
      async undo() {
        nodes['admin-1']!.start();
        await nodes['admin-1']!.ready();
      },
    },
    {
      name: 'admin node killed (SIGKILL)',
      async apply() {
        await nodes['admin-2']!.signal('SIGKILL');
      },
      async undo() {
        nodes['admin-2']!.start();
        await nodes['admin-2']!.ready();
      },
    },
  ];

  function summary(samples: Sample[]): string {
    const by = (kind: string) => samples.filter(s => s.kind === kind);
    const part = (kind: string) => {
      const s = by(kind);
      const ok = s.filter(x => x.ok).length;
      const unavailable = s.filter(x => x.status === 503).length;
      return `${kind} ${ok}/${s.length} ok, ${unavailable} x 503`;
    };
    const slowest = Math.max(0, ...samples.map(s => s.ms));
    return `${part('verify')}; ${part('heartbeat')}; ${part('activate')}; slowest ${slowest} ms`;
  }

  async function runFault(round: number, fault: Fault): Promise<void> {
    const t0 = Date.now();
    await fault.apply();
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - t0)));
    await fault.undo();
    const t1 = Date.now();
    // Let the requests sent during the fault come back, then look for the recovery.
    let recovered: number | null = null;
    while (Date.now() < t1 + RECOVERY_WITHIN_MS + 4000) {
      await sleep(500);
      recovered = recoverySeconds(load.samples, t1, RECOVERY_WITHIN_MS);
      if (recovered !== null && Date.now() > t1 + recovered * 1000 + 3500) break;
    }
    await sleep(MAX_ANSWER_MS);
    const during = between(load.samples, t0, t1);
    if (recovered === null) {
      // Which requests still failed after the fault, second by second.
      for (let second = 0; second < 20; second += 2) {
        const slice = between(load.samples, t1 + second * 1000, t1 + (second + 2) * 1000);
        const failed = slice.filter(x => !x.ok);
        report.push(
          `    +${second}s: ${slice.length - failed.length}/${slice.length} ok; failed: ${[...new Set(failed.map(f => `${f.kind} ${f.status} ${f.code ?? ''}`))].join(', ')}`,
        );
      }
    }
    report.push(
      `round ${round}, ${fault.name}: ${summary(during)}; success back above 99% ${recovered === null ? 'NOT within 15 s' : `after ${recovered} s`}`,
    );
    expect(violations(during, MAX_FAILURE_MS, MAX_ANSWER_MS), fault.name).to.deep.equal([]);
    expect(successRatio(during.filter(s => s.kind === 'verify')), `warm verifies while ${fault.name}`).to.be.at.least(
      0.99,
    );
    expect(recovered, `success above 99% within 15 s after ${fault.name}`).to.not.equal(null);
    expect(await activeOver(), 'active activations within max_activations').to.deep.equal([]);
  }

  for (let round = 1; round <= ROUNDS; round += 1) {
    describe(`round ${round}`, function () {
      for (const fault of faults().filter(f => !ONLY || ONLY.some(o => f.name.includes(o)))) {
        it(`${fault.name} for 10 s: fast 503s only, warm verifies answer, back above 99% within 15 s`, async function () {
          await runFault(
            round,
            faults().find(f => f.name === fault.name)!,
          );
        });
      }
      it('leaves every node running', async function () {
        const exits = Object.values(nodes).flatMap(n => n.unexpectedExits);
        expect(exits).to.deep.equal([]);
        const measured: (typeof footprints)[number] = {};
        for (const [name, node] of Object.entries(nodes)) {
          const heapMb = (await node.heapAfterGc()) / 2 ** 20;
          measured[name] = { ...footprint(node.pid!), heapMb };
        }
        footprints.push(measured);
        report.push(
          `after round ${round}: ${Object.entries(measured)
            .map(
              ([name, f]) =>
                `${name} ${Math.round(f.rssKb / 1024)} MB RSS, ${f.heapMb.toFixed(1)} MB heap/${f.fds} fds`,
            )
            .join(', ')}`,
        );
      });
    });
  }

  describe('after the rounds', function () {
    it('memory and open handles of the nodes that ran throughout stayed flat', function () {
      if (footprints.length < 2) this.skip();
      // Each node's figures are taken right after two forced full collections (over its inspector): RSS
      // read without them swung by 100 MB between runs as V8 let the heap grow before collecting, while
      // the heap left after a collection stayed within 1 MB over five rounds (2026-12-06). The heap is the
      // leak check; RSS, with the allocator's slack, gets a wider bound and is counted from round 2 when
      // there are three rounds or more.
      const first = footprints[0]!;
      const settled = footprints[footprints.length >= 3 ? 1 : 0]!;
      const last = footprints.at(-1)!;
      // The admin nodes are restarted in every round (SIGTERM, SIGKILL): their numbers start afresh.
      for (const name of ['gateway', 'webhook', 'monitoring']) {
        const heapGrownMb = last[name]!.heapMb - first[name]!.heapMb;
        const rssGrownMb = (last[name]!.rssKb - settled[name]!.rssKb) / 1024;
        report.push(
          `${name}: heap after GC ${first[name]!.heapMb.toFixed(1)} -> ${last[name]!.heapMb.toFixed(1)} MB ` +
            `(rounds 1 -> ${footprints.length}), RSS ${Math.round(settled[name]!.rssKb / 1024)} -> ` +
            `${Math.round(last[name]!.rssKb / 1024)} MB, fds ${settled[name]!.fds} -> ${last[name]!.fds} ` +
            `(rounds ${footprints.indexOf(settled) + 1} -> ${footprints.length})`,
        );
        expect(heapGrownMb, `${name} heap growth after GC`).to.be.below(8);
        expect(rssGrownMb, `${name} RSS growth`).to.be.below(Math.max(64, (settled[name]!.rssKb / 1024) * 0.25));
        expect(last[name]!.fds - settled[name]!.fds, `${name} open handles`).to.be.below(25);
      }
    });

    it('rate limits without Redis: public counts in memory (fail open per replica), heartbeat and login refuse (fail closed), admin needs Redis to authenticate', async function () {
      await deps.redis.stop();
      try {
        // One client address, over its 100/min: counted in this gateway's memory, still refused.
        const statuses: number[] = [];
        for (let i = 0; i < 110; i += 1) {
          const res = await call(
            'POST',
            '/api/license/verify',
            { license_key: 'ACEF-ACEF-ACEF-ACEF', hardware_hash: 'burst' },
            { 'x-api-key': API_KEY, 'x-forwarded-for': '192.0.2.77' },
          );
          statuses.push(res.status);
        }
        expect(statuses.filter(s => s === 200).length, 'public limit without Redis').to.be.within(90, 100);
        expect(statuses.filter(s => s === 429).length).to.be.at.least(10);
        const started = Date.now();
        const heartbeat = await call(
          'POST',
          '/api/license/heartbeat',
          { license_key: load.target.licenseKey, hardware_hash: load.target.machines[0] },
          { 'x-api-key': API_KEY, 'x-forwarded-for': '192.0.2.78' },
        );
        const login = await call('POST', '/api/admin/login', ADMIN, { 'x-forwarded-for': '192.0.2.79' });
        const adminRead = await call('GET', '/api/licenses');
        for (const [what, res] of [
          ['heartbeat', heartbeat],
          ['login', login],
          ['admin read', adminRead],
        ] as const) {
          expect(res.status, `${what} without Redis: ${res.text}`).to.equal(503);
          expect(res.headers.get('retry-after'), what).to.equal('5');
        }
        expect(Date.now() - started, 'three refusals').to.be.below(3 * MAX_FAILURE_MS);
      } finally {
        await deps.redis.start();
      }
      await sleep(3000);
      expect((await call('GET', '/api/licenses')).status).to.equal(200);
    });

    it('a gateway that starts while Redis is down answers verifies VALID, then everything once Redis is back', async function () {
      await load.stop();
      const gateway = nodes.gateway!;
      await deps.redis.stop();
      try {
        expect(await gateway.signal('SIGTERM'), 'the gateway stops cleanly').to.equal('0');
        gateway.start();
        await gateway.ready();
        expect(gateway.output.join('\n')).to.include('Redis is not reachable');
        const client = { 'x-api-key': API_KEY };
        for (const machine of load.target.machines.slice(0, 10)) {
          const res = await call(
            'POST',
            '/api/license/verify',
            { license_key: load.target.licenseKey, hardware_hash: machine },
            client,
          );
          expect(res.status, res.text).to.equal(200);
          expect(res.body.code).to.equal('VALID');
        }
        const heartbeat = await call(
          'POST',
          '/api/license/heartbeat',
          { license_key: load.target.licenseKey, hardware_hash: load.target.machines[0] },
          client,
        );
        expect(heartbeat.status).to.equal(503);
      } finally {
        await deps.redis.start();
      }
      await sleep(3000);
      const back = await call(
        'POST',
        '/api/license/heartbeat',
        { license_key: load.target.licenseKey, hardware_hash: load.target.machines[1] },
        { 'x-api-key': API_KEY },
      );
      expect(back.status, back.text).to.equal(200);
      expect(
        Object.values(nodes).flatMap(n => n.unexpectedExits),
        'no node crashed',
      ).to.deep.equal([]);
      expect(await activeOver(), 'active activations within max_activations').to.deep.equal([]);
    });
  });
});
