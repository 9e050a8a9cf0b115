// `npm start` as a newcomer runs it: the whole system in one process answers, and SIGTERM stops it
// cleanly (exit code 0, in-flight work finished, no process left behind).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SERVER_NODE_FLAGS } from '../../lib/infra/node-flags.ts';
import { TEST_API_KEY, http, resetStores } from '../helpers/system.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}

describe('scripts/start.ts (npm start)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;

  after(function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the client API, and exits 0 on SIGTERM', async function () {
    await resetStores();
    const port = await freePort();
    child = spawn(process.execPath, [...SERVER_NODE_FLAGS, 'scripts/start.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>(resolve => child!.on('exit', code => resolve(code)));

    const url = `http://127.0.0.1:${port}`;
    await until(async () => (await http('GET', `${url}/health/ready`)).status === 200, 40_000).catch(() => {
      throw new Error(`the system did not become ready:\n${output}`);
    });
    const verify = await http('POST', `${url}/api/license/verify`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { license_key: 'TEST-TEST-TEST-TEST', hardware_hash: 'lifecycle-test' },
    });
    expect(verify.status).to.equal(200);
    expect(verify.body).to.include({ valid: false, code: 'NOT_ACTIVATED' });
    // Start-up's garbage collected once the node has started (lib/infra/startup-gc.ts).
    await until(
      () => Promise.resolve(/Start-up garbage collected: heap [\d.]+ -> [\d.]+ MB in \d+ ms/.test(output)),
      5000,
    ).catch(() => {
      throw new Error(`no start-up collection logged:\n${output}`);
    });
    expect(output).not.to.include('Started without');

    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise(resolve => setTimeout(() => resolve('timeout'), 20_000))]);
    expect(code, output).to.equal(0);
    await until(
      async () =>
        await http('GET', `${url}/health/live`).then(
          () => false,
          () => true,
        ),
      2000,
    );
  });
});

describe('npm start without its dependencies', function () {
  this.timeout(30_000);

  /** Runs scripts/start.ts with env overrides until it exits; answers its exit code, output and duration. */
  async function startAndWait(
    env: Record<string, string>,
  ): Promise<{ code: number | null; output: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, ['scripts/start.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>(resolve => child.on('exit', c => resolve(c)));
    return { code, output, ms: Date.now() - started };
  }

  it('exits 1 after a bounded wait, saying in one line that Redis is missing, where and how to get it', async function () {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const { code, output, ms } = await startAndWait({ REDIS_URL: url, MONGO_URL: process.env.MONGO_URL! });
    expect(code, output).to.equal(1);
    expect(ms).to.be.below(20_000);
    const lines = output.trim().split('\n');
    expect(lines, output).to.have.length(1);
    expect(lines[0]).to.include('Redis is not reachable at').and.include(url).and.include('REDIS_URL');
    expect(output).to.not.match(/ECONNREFUSED|\n\s+at /);
  });

  it('exits 1 with one line when the NATS transporter does not answer', async function () {
    const port = await freePort();
    const { code, output } = await startAndWait({
      TRANSPORTER: `nats://127.0.0.1:${port}`,
      MONGO_URL: process.env.MONGO_URL!,
    });
    expect(code, output).to.equal(1);
    expect(output.trim().split('\n'), output).to.have.length(1);
    expect(output).to.include(`NATS is not reachable at nats://127.0.0.1:${port}`).and.include('TRANSPORTER');
  });
});
