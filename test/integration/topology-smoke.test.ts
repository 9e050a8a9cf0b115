// `npm run start:nodes` as an operator runs it: one process per service group of config/topology.ts
// (gateway, admin, webhook, monitoring) over NATS, with this run's own namespace, ports and database.
// NATS and Redis are the test's own and shaped as in production: NATS with a user and password, Redis
// with the default user off and one ACL user without admin commands (docker-compose.yml, k8s/), so
// the credentials in TRANSPORTER and REDIS_URL are exercised end to end. Through the nodes a client
// activates, verifies and sends a heartbeat, an admin uses the admin API, and a registered webhook
// receiver gets a signed delivery from the webhook node. SIGTERM stops every node; the script exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { GROUP_NAMES, SERVICE_GROUPS } from '../../config/topology.ts';
import { adminToken } from '../helpers/admin.ts';
import { freePort } from '../helpers/private-servers.ts';
import { TEST_API_KEY, http, type HttpAnswer } from '../helpers/system.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function portFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free loopback ports (the script numbers the health ports from HEALTH_PORT on). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

const USER = 'license_server';
const PASSWORD = randomBytes(16).toString('hex');

async function listening(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>(resolve => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** NATS with a user and password, and Redis with an ACL user, on free loopback ports. */
async function credentialedServers(): Promise<{ natsUrl: string; redisUrl: string; children: ChildProcess[] }> {
  const [natsPort, redisPort] = [await freePort(), await freePort()];
  const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '--user', USER, '--pass', PASSWORD], {
    stdio: 'ignore',
  });
  const redis = spawn(
    'redis-server',
    [
      ...['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--user', 'default', 'off', '--user', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-@admin'],
    ],
    { stdio: 'ignore' },
  );
  await Promise.all([listening(natsPort), listening(redisPort)]);
  return {
    natsUrl: `nats://${USER}:${PASSWORD}@127.0.0.1:${natsPort}`,
    redisUrl: `redis://${USER}:${PASSWORD}@127.0.0.1:${redisPort}`,
    children: [nats, redis],
  };
}

describe('npm run start:nodes (one process per service group, over NATS)', function () {
  this.timeout(120_000);
  let script: ChildProcess | undefined;
  let output = '';
  let exited: Promise<number | null>;
  let url: string;
  let healthBase: number;
  let receiver: Receiver;
  let admin: Record<string, string>;
  let servers: Awaited<ReturnType<typeof credentialedServers>> | undefined;

  const adminCall = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    http(method, `${url}${path}`, { headers: admin, ...(body !== undefined ? { body } : {}) });
  const client = (path: string, body: unknown): Promise<HttpAnswer> =>
    http('POST', `${url}${path}`, { headers: { 'x-api-key': TEST_API_KEY }, body });

  before(async function () {
    const port = await freePorts(1);
    healthBase = await freePorts(GROUP_NAMES.length);
    const mongo = new URL(process.env.MONGO_URL!);
    mongo.pathname = `/topology_smoke_${process.pid}`;
    url = `http://127.0.0.1:${port}`;
    servers = await credentialedServers();
    script = spawn(process.execPath, ['scripts/start-nodes.ts'], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        NAMESPACE: `smoke${randomBytes(3).toString('hex')}`,
        PORT: String(port),
        HOST: '127.0.0.1',
        HEALTH_PORT: String(healthBase),
        MONGO_URL: mongo.toString(),
        TRANSPORTER: servers.natsUrl,
        REDIS_URL: servers.redisUrl,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    script.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    script.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise(resolve => script!.once('exit', code => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!output.includes('nodes ready')) {
      if (Date.now() > deadline || script.exitCode !== null) throw new Error(`the nodes did not start:\n${output}`);
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    admin = { authorization: `Bearer ${await adminToken(url)}` };
    receiver = await startReceiver();
  });

  after(async function () {
    await receiver?.close();
    if (script && script.exitCode === null) {
      script.kill('SIGTERM');
      await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 30_000))]);
      if (script.exitCode === null) script.kill('SIGKILL');
    }
    for (const child of servers?.children ?? []) child.kill('SIGKILL');
  });

  it('starts one node per group, each with its own services, and says when all are ready', async function () {
    for (const group of GROUP_NAMES) {
      const services = SERVICE_GROUPS[group].services.join(',');
      expect(
        output.split('\n').some(line => line.startsWith(`node ${group}: ${services} `)),
        group,
      ).to.equal(true);
    }
    expect(output).to.include(`All ${GROUP_NAMES.length} nodes ready`);
    // The groups without the gateway answer their probes on their own health ports.
    const others = GROUP_NAMES.filter(g => !SERVICE_GROUPS[g].http);
    for (const [i] of others.entries()) {
      const ready = await http('GET', `http://127.0.0.1:${healthBase + i}/health/ready`);
      expect(ready.status, ready.text).to.equal(200);
      expect(ready.body.checks).to.deep.equal({ broker: 'up', database: 'up' });
    }
  });

  it('activates, verifies and takes a heartbeat through the gateway node', async function () {
    const body = { license_key: 'TEST-TEST-TEST-TEST', hardware_hash: 'smoke-machine', app_version: '1.0.0' };
    const activated = await client('/api/license/activate', { ...body, machine_name: 'SMOKE' });
    expect(activated.status, activated.text).to.equal(200);
    expect(activated.body.activation).to.include({ hardware_hash: 'smoke-machine', is_active: true });
    const verified = await client('/api/license/verify', body);
    expect(verified.status, verified.text).to.equal(200);
    expect(verified.body.valid).to.equal(true);
    const beat = await client('/api/license/heartbeat', {
      license_key: body.license_key,
      hardware_hash: body.hardware_hash,
    });
    expect(beat.status, beat.text).to.equal(200);
  });

  it('serves the admin API from the admin node: a customer created is listed', async function () {
    const created = await adminCall('POST', '/api/customers', { name: 'Smoke Test Ltd', email: 'smoke@example.com' });
    expect(created.status, created.text).to.equal(201);
    const listed = await adminCall('GET', '/api/customers?q=Smoke');
    expect(listed.status, listed.text).to.equal(200);
    expect(JSON.stringify(listed.body)).to.include('Smoke Test Ltd');
  });

  it('delivers a signed webhook from the webhook node when a license is activated', async function () {
    const hook = await adminCall('POST', '/api/webhooks', { url: receiver.url, events: ['license.activated'] });
    expect(hook.status, hook.text).to.equal(201);
    const license = await adminCall('POST', '/api/licenses', {
      type: 'subscription',
      max_activations: 1,
      max_users: 1,
    });
    expect(license.status, license.text).to.equal(201);
    const activated = await client('/api/license/activate', { license_key: license.body.key, hardware_hash: 'hook' });
    expect(activated.status, activated.text).to.equal(200);
    const [got] = await receiver.waitFor(1, 20_000);
    const payload = new Webhook(hook.body.secret as string).verify(got!.body, got!.headers as Record<string, string>);
    expect(payload).to.deep.include({ event: 'license.activated' });
    expect((payload as { data: { license_id: number } }).data.license_id).to.equal(license.body.id);
  });

  it("answers the image's HEALTHCHECK for whichever group SERVICES selects", async function () {
    const check = (env: Record<string, string>) =>
      new Promise<number | null>(resolve => {
        const child = spawn(process.execPath, ['scripts/healthcheck.ts'], {
          cwd: root,
          env: { PATH: process.env.PATH, ...env },
          stdio: 'ignore',
        });
        child.once('exit', code => resolve(code));
      });
    expect(await check({ SERVICES: 'api,license', PORT: new URL(url).port })).to.equal(0);
    const others = GROUP_NAMES.filter(g => !SERVICE_GROUPS[g].http);
    for (const [i, group] of others.entries()) {
      const services = SERVICE_GROUPS[group].services.join(',');
      expect(await check({ SERVICES: services, HEALTH_PORT: String(healthBase + i) }), group).to.equal(0);
    }
    expect(await check({ SERVICES: 'webhook', HEALTH_PORT: String(await freePort()) })).to.equal(1);
  });

  it('stops every node on SIGTERM and exits 0', async function () {
    script!.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise(resolve => setTimeout(() => resolve('timeout'), 40_000))]);
    expect(code, output).to.equal(0);
    const refused = await http('GET', `${url}/health/live`).then(
      () => false,
      () => true,
    );
    expect(refused).to.equal(true);
  });
});
