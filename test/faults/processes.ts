/**
 * The processes of the fault matrix, all of the test's own on free loopback ports (never the machine's
 * Redis or NATS): NATS, Redis and the embedded database, each one stoppable, restartable on the same
 * port with the same data, and pausable (SIGSTOP: it hangs without closing connections); and the
 * service-group nodes (scripts/start.ts, SERVICES from config/topology.ts), whose output is kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../lib/infra/node-flags.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';

export { freePort } from '../helpers/private-servers.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function answers(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A dependency the matrix controls. */
export interface Dependency {
  name: string;
  url: string;
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => child.once('exit', () => resolve()));
}

/** A server binary on a fixed port: stop sends SIGTERM (a clean shutdown), start runs it again. */
function serverProcess(name: string, url: string, port: number, run: () => ChildProcess): Dependency {
  let child: ChildProcess | undefined;
  return {
    name,
    url,
    pid: () => child?.pid,
    async start() {
      child = run();
      await until(() => answers(port), 10_000, `${name} did not answer on ${port}`);
    },
    async stop() {
      if (!child) return;
      const done = exited(child);
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const force = setTimeout(() => child?.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(force);
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}

export function natsServer(port: number, dir: string): Dependency {
  return serverProcess('NATS', `nats://127.0.0.1:${port}`, port, () =>
    spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' }),
  );
}

export function redisServer(port: number, dir: string): Dependency {
  return serverProcess('Redis', `redis://127.0.0.1:${port}`, port, () =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore' },
    ),
  );
}

export function embeddedDatabase(port: number, dir: string): Dependency {
  let server: EmbeddedMongo | undefined;
  return {
    name: 'database',
    url: `mongodb://127.0.0.1:${port}/faults`,
    pid: () => server?.pid,
    async start() {
      server = await startEmbeddedMongo({ port, dir });
    },
    async stop() {
      if (server?.pid) process.kill(server.pid, 'SIGCONT');
      await server?.stop();
    },
    pause: () => server?.pid && process.kill(server.pid, 'SIGSTOP'),
    resume: () => server?.pid && process.kill(server.pid, 'SIGCONT'),
  };
}

/** Resident memory (kB) and open file descriptors (sockets, pipes, files) of a process. */
export function footprint(pid: number): { rssKb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return { rssKb, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** One service-group node (scripts/start.ts), restartable with the same NODE_ID and ports. */
export class NodeProcess {
  readonly name: string;
  readonly readyUrl: string;
  private readonly env: Record<string, string>;
  private child: ChildProcess | undefined;
  /** Every line the node wrote, with the exits, for the crash check and the report. */
  readonly output: string[] = [];
  /** Exits the test did not ask for. */
  readonly unexpectedExits: string[] = [];
  private expectingExit = false;
  private inspectorUrl: string | undefined;

  constructor(name: string, readyUrl: string, env: Record<string, string>) {
    this.name = name;
    this.readyUrl = readyUrl;
    this.env = env;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.expectingExit = false;
    this.inspectorUrl = undefined;
    // The inspector (loopback, a free port) lets the matrix force a full GC and read the heap that is
    // left: RSS alone keeps whatever the allocator has not returned, so it rises and settles by chance.
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--inspect=127.0.0.1:0', 'scripts/start.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (data: Buffer) => {
      for (const line of data.toString().split('\n')) {
        const inspector = /^Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(line);
        if (inspector) this.inspectorUrl = inspector[1];
        else if (line.trim()) this.output.push(line);
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code, signal) => {
      this.output.push(`[exit ${signal ?? code}]`);
      if (!this.expectingExit) this.unexpectedExits.push(`${this.name} exited (${signal ?? code})`);
    });
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await until(
      async () => {
        if (!this.running) throw new Error(`${this.name} is not running:\n${this.output.slice(-20).join('\n')}`);
        const res = await fetch(this.readyUrl, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        return res.status === 200;
      },
      timeoutMs,
      `${this.name} was not ready`,
    );
  }

  /** Bytes of V8 heap in use after a full garbage collection, asked over the node's inspector. */
  async heapAfterGc(): Promise<number> {
    if (!this.inspectorUrl) throw new Error(`${this.name} has no inspector`);
    const socket = new WebSocket(this.inspectorUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error(`${this.name}: inspector not reachable`)), {
        once: true,
      });
    });
    let id = 0;
    const pending = new Map<number, (result: Record<string, number>) => void>();
    socket.addEventListener('message', event => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, number> };
      if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
    });
    const send = (method: string) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        id += 1;
        const timer = setTimeout(() => reject(new Error(`${this.name}: no answer to ${method} in 30 s`)), 30_000);
        pending.set(id, result => {
          clearTimeout(timer);
          resolve(result);
        });
        socket.send(JSON.stringify({ id, method }));
      });
    try {
      // Twice: objects with finalizers or weak references are freed by the second collection.
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
      return (await send('Runtime.getHeapUsage')).usedSize!;
    } finally {
      socket.close();
    }
  }

  /** Sends a signal the test means (SIGTERM, SIGKILL) and waits for the exit; answers its code or signal. */
  async signal(signal: 'SIGTERM' | 'SIGKILL'): Promise<string> {
    const child = this.child;
    if (!child || !this.running) return 'not running';
    this.expectingExit = true;
    const done = new Promise<string>(resolve => child.once('exit', (code, sig) => resolve(String(sig ?? code))));
    child.kill(signal);
    return done;
  }
}
