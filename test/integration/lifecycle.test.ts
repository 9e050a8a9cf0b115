// `npm start` as a newcomer runs it: the whole system in one process answers, and SIGTERM stops it
// cleanly (exit code 0, in-flight work finished, no process left behind).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
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
    child = spawn(process.execPath, ['scripts/start.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
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
