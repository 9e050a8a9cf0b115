/**
 * Dependencies of a test's own, on free loopback ports, for tests that stop, pause or break them: the
 * machine's Redis and NATS are shared and must never be touched that way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

/** A process the test controls: stop it, pause it (it hangs without closing connections), resume it. */
export interface PrivateServer {
  url: string;
  port: number;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  restart(): Promise<void>;
}

function controlled(start: () => ChildProcess, port: number, url: string): Promise<PrivateServer> {
  let child = start();
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise(resolve => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  const server: PrivateServer = {
    url,
    port,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop,
    async restart() {
      await stop();
      child = start();
      await until(() => answers(port), 5000, url);
    },
  };
  return until(() => answers(port), 5000, url).then(() => server);
}

/** A redis-server of the test's own (nothing persisted). */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const start = () =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
  return controlled(start, port, `redis://127.0.0.1:${port}`);
}

/** An embedded MongoDB-compatible server of the test's own, its data in a temporary folder. */
export async function startPrivateMongo(): Promise<{ url: string; server: EmbeddedMongo; cleanUp(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'license-private-mongo-'));
  const server = await startEmbeddedMongo({ dir });
  return {
    url: `${server.url}private_${process.pid}`,
    server,
    async cleanUp() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
