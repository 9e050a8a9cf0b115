// Two deployments on one Redis (each with its own database and NAMESPACE) must not see each other's
// sessions, limits or throttles, even for licenses with the same numeric ids. Measured before the keys
// were namespaced: the second deployment refused its own second machine with TOO_MANY_USERS because
// the first deployment's live sessions of its license 1 sat under the same key.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { adminToken } from '../helpers/admin.ts';
import { freePort } from '../helpers/private-servers.ts';
import { TEST_API_KEY, http } from '../helpers/system.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Deployment {
  url: string;
  child: ChildProcess;
}

async function startDeployment(name: string): Promise<Deployment> {
  const port = await freePort();
  const mongo = new URL(process.env.MONGO_URL!);
  mongo.pathname = `/shared_redis_${name}_${process.pid}`;
  const child = spawn(process.execPath, ['scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      MONGO_URL: mongo.toString(),
      NAMESPACE: `${name}${process.pid}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline) {
    const ready = await http('GET', `${url}/health/ready`).catch(() => undefined);
    if (ready?.status === 200) return { url, child };
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`deployment ${name} did not become ready`);
}

function stop(deployment: Deployment | undefined): Promise<void> {
  if (!deployment || deployment.child.exitCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    deployment.child.once('exit', () => resolve());
    deployment.child.kill('SIGTERM');
  });
}

describe('two deployments sharing one Redis', function () {
  this.timeout(90_000);
  let a: Deployment | undefined;
  let b: Deployment | undefined;

  before(async function () {
    [a, b] = await Promise.all([startDeployment('a'), startDeployment('b')]);
  });

  after(async function () {
    await Promise.all([stop(a), stop(b)]);
  });

  /** Creates a max_users 2 license, activates two machines and verifies from both; answers the codes. */
  async function fillSessions(deployment: Deployment): Promise<{ id: number; codes: string[] }> {
    const token = await adminToken(deployment.url);
    const created = await http('POST', `${deployment.url}/api/licenses`, {
      headers: { authorization: `Bearer ${token}` },
      body: { type: 'subscription', max_activations: 5, max_users: 2 },
    });
    expect(created.status, created.text).to.equal(201);
    const codes: string[] = [];
    for (const machine of ['one', 'two']) {
      const body = { license_key: created.body.key, hardware_hash: `shared-redis-${machine}` };
      const headers = { 'x-api-key': TEST_API_KEY };
      expect((await http('POST', `${deployment.url}/api/license/activate`, { headers, body })).status).to.equal(200);
      codes.push((await http('POST', `${deployment.url}/api/license/verify`, { headers, body })).body.code);
    }
    return { id: created.body.id, codes };
  }

  it('counts sessions per deployment, for licenses with the same id', async function () {
    const first = await fillSessions(a!);
    const second = await fillSessions(b!);
    expect(second.id).to.equal(first.id);
    expect(first.codes).to.deep.equal(['VALID', 'VALID']);
    expect(second.codes).to.deep.equal(['VALID', 'VALID']);
  });
});
