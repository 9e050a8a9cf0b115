/**
 * The processes the bench starts (servers, load generators, the embedded database): launched pinned to
 * a core, their output forwarded with a label, stopped with SIGTERM (SIGKILL after a grace period), and
 * all of them stopped when anything fails or the bench is interrupted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Counted before this process pins itself to one core, which availableParallelism() would then report.
export const CORES = os.availableParallelism();
export const LOAD_CORE = 0;
export const SERVER_CORE = 1;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 25_000;

/** Something the run needs is missing or wrong: stop everything and exit non-zero with this message. */
export class SetupError extends Error {}

export interface Proc {
  label: string;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
  tail: string[];
  /** How it ended: an exit code, or the signal that ended it. */
  end?: string;
}

const procs = new Set<Proc>();
const state = {
  aborting: false,
  pinned: false,
  mongo: undefined as EmbeddedMongo | undefined,
  tempDir: undefined as string | undefined,
  aborted: undefined as Promise<never> | undefined,
};
/** Servers that did not stop cleanly when asked: the run still reports, but exits non-zero. */
export const unclean: string[] = [];
/** Run before the processes stop (e.g. deleting the bench's Redis keys). */
const cleanups: Array<() => Promise<void>> = [];

export function isAborting(): boolean {
  return state.aborting;
}

export function isPinned(): boolean {
  return state.pinned;
}

/** Pins the load generator and servers to cores of their own when the machine allows it. */
export function setUpPinning(): boolean {
  const can =
    process.env.BENCH_PIN !== '0' &&
    CORES >= 2 &&
    spawnSync('taskset', ['-c', `${LOAD_CORE},${SERVER_CORE}`, 'true']).status === 0;
  if (can) {
    // This process (idle while measuring) and what it starts itself, the embedded MongoDB server,
    // stay off the load generator's core.
    spawnSync('taskset', ['-a', '-p', '-c', String(SERVER_CORE), String(process.pid)]);
  }
  state.pinned = can;
  return can;
}

/** Moves a running process, every thread of it, to one core. */
export function pinProcess(pid: number, core: number): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)]).status === 0;
}

export function adoptMongo(mongo: EmbeddedMongo, tempDir: string): void {
  state.mongo = mongo;
  state.tempDir = tempDir;
}

export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export function launch(label: string, core: number, args: string[], env: NodeJS.ProcessEnv, forward = true): Proc {
  const [command, argv] = state.pinned
    ? ['taskset', ['-c', String(core), process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { label, child, stopping: false, tail: [], exited: Promise.resolve() };
  proc.exited = new Promise<void>(resolve => {
    child.once('exit', (code, signal) => {
      proc.end = signal ?? String(code);
      procs.delete(proc);
      resolve();
      if (!proc.stopping && !state.aborting) {
        const tail = proc.tail.length ? `\n${proc.tail.join('\n')}` : '';
        process.stderr.write(`\n${label} exited unexpectedly (${signal ?? `code ${code}`})${tail}\n`);
        void abort(1);
      }
    });
    child.once('error', err => {
      procs.delete(proc);
      resolve();
      if (!state.aborting) {
        process.stderr.write(`\n${label} could not be started: ${err.message}\n`);
        void abort(1);
      }
    });
  });
  const keep = (line: string) => {
    proc.tail.push(line);
    if (proc.tail.length > 30) proc.tail.shift();
    process.stderr.write(`[${label}] ${line}\n`);
  };
  createInterface({ input: child.stderr }).on('line', keep);
  // The load generator's stdout is its result, read by the caller; servers' stdout is their log.
  if (forward) createInterface({ input: child.stdout }).on('line', keep);
  procs.add(proc);
  return proc;
}

export async function stopProc(proc: Proc): Promise<void> {
  proc.stopping = true;
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_GRACE_MS);
    await proc.exited;
    clearTimeout(timer);
    // SIGTERM as the end means the process had no handler yet (still starting): not a fault.
    if (proc.end !== '0' && proc.end !== 'SIGTERM' && !state.aborting)
      unclean.push(`${proc.label} ended with ${proc.end} when stopped`);
  }
}

export async function cleanup(): Promise<void> {
  await Promise.all([...procs].map(p => stopProc(p)));
  for (const fn of cleanups.splice(0)) await fn().catch(() => undefined);
  await state.mongo?.stop().catch(() => undefined);
  state.mongo = undefined;
  if (state.tempDir) await rm(state.tempDir, { recursive: true, force: true }).catch(() => undefined);
  state.tempDir = undefined;
}

/** Stops everything and exits; the first caller's exit code wins, later callers wait for it. */
export function abort(code: number): Promise<never> {
  state.aborting = true;
  state.aborted ??= cleanup().then(() => process.exit(code));
  return state.aborted;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise(resolve => {
    const socket = net.connect({ host: hostname, port: Number(port || 4222) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export function request(
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    // No keep-alive: an idle probe connection must not hold a server open at shutdown.
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export async function waitUntil(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (state.aborting) return;
    if (await probe().catch(() => false)) return;
    await new Promise(r => setTimeout(r, 200));
  }
  throw new SetupError(`${what} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

/** Waits for a child's stdout to close and answers its last line (a load generator's JSON result). */
export async function lastLine(proc: Proc): Promise<string> {
  const lines: string[] = [];
  createInterface({ input: proc.child.stdout! }).on('line', line => lines.push(line));
  proc.stopping = true;
  // 'close', not 'exit': it comes after the last line of the result has been read.
  const code = await new Promise<number | null>(resolve => proc.child.once('close', c => resolve(c)));
  const last = lines.at(-1);
  if (code !== 0 || !last) throw new SetupError(`${proc.label} failed (code ${code})\n${proc.tail.join('\n')}`);
  return last;
}

/** Reads an integer setting from the environment, or exits with a clear message. */
export function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`${name} must be a whole number of at least ${min} (got "${raw}")\n`);
    process.exit(1);
  }
  return value;
}
