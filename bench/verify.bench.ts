/**
 * `npm run bench`: POST /api/license/verify under load, as a ratio to a bare Node `http` server measured
 * in the same run (absolute figures swing with the machine's load, ratios much less; see bench/README.md).
 *
 * Runs, one after the other, each with a warm-up and then a measured run from a fresh load generator:
 *   (a)  the whole system in one process (scripts/start.ts, in-process transporter)
 *   bare bench/bare-server.ts answering a body of the size (a) answered
 *   (b)  the gateway and the other services as two nodes over NATS
 * Servers run on core 1 and the load generator on core 0 (`taskset`), so they never share a core.
 *
 * Environment: BENCH_CONNECTIONS (32), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3), MONGO_URL (default:
 * an embedded server in a temp dir), REDIS_URL (redis://127.0.0.1:6379/9), BENCH_NATS_URL
 * (nats://127.0.0.1:4222), BENCH_PIN=0 (no pinning), BENCH_CPU_PROF=<dir> (servers write .cpuprofile).
 *
 * The same file is the load generator: started as `verify.bench.ts --load-generator <json>`, it runs
 * autocannon in that (pinned) process and prints one JSON result line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_CREDENTIALS } from '../config/index.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../scripts/lib/embedded-mongodb.ts';

// Counted before this process pins itself to one core, which availableParallelism() would then report.
const CORES = os.availableParallelism();
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOAD_CORE = 0;
const SERVER_CORE = 1;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 25_000;
const TARGETS = { oneProcessRatio: 0.4, natsRatio: 0.15, natsP99Ms: 25 } as const;
const RATE_LIMIT = '1000000000';
const HARDWARE_HASH = 'bench-verify-hardware-0001';
const VERIFY_BODY = JSON.stringify({
  license_key: TEST_CREDENTIALS.licenseKey,
  hardware_hash: HARDWARE_HASH,
  app_version: '1.0.0',
});
const CLIENT_HEADERS = { 'X-API-Key': TEST_CREDENTIALS.apiKey, 'Content-Type': 'application/json' };

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`${name} must be a whole number of at least ${min} (got "${raw}")\n`);
    process.exit(1);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Load generator (child process)

interface LoadSpec {
  url: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  body: string;
  headers: Record<string, string>;
  /** Cores whose busy share is sampled over the measured run. */
  cores: number[];
  /** Processes under test whose CPU time is sampled over the measured run. */
  pids: number[];
}

interface LoadResult {
  rps: number;
  responses: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Busy percentage of each sampled core over the measured run (this and any other process on it). */
  coreBusy: Record<string, number>;
  /** CPU time of the processes under test, and of the load generator, as a percentage of one core. */
  serverCpu: number | null;
  loadCpu: number;
  /**
   * CPU time the processes under test spent per answered request, in microseconds. Unlike req/s it
   * hardly depends on what else the machine runs, so it is the figure to compare on a busy machine.
   */
  serverCpuUsPerRequest: number | null;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void): void;
}

type Autocannon = (
  opts: Record<string, unknown>,
  done: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

/** Per-core [busy, total] jiffies from /proc/stat (busy: all but idle and iowait); empty where it does not exist. */
function coreTimes(): Map<number, [number, number]> {
  const times = new Map<number, [number, number]>();
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return times;
  }
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    // Interrupt time counts as busy: the kernel charges part of it to the process that was running
    // (the loopback traffic of the benchmark itself), so leaving it out would under-count.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    times.set(Number(m[1]), [total - idle, total]);
  }
  return times;
}

/** utime + stime of a process and all its threads, in clock ticks; null where unreadable. */
function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function serverTicks(pids: number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const ticks = processTicks(pid);
    if (ticks === null) return null;
    sum += ticks;
  }
  return sum;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function loadGenerator(spec: LoadSpec): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const run = (seconds: number, record?: (status: number, ms: number) => void) =>
    new Promise<AutocannonResult>((resolve, reject) => {
      const instance = autocannon(
        {
          url: spec.url,
          method: 'POST',
          headers: spec.headers,
          body: spec.body,
          connections: spec.connections,
          pipelining: 1,
          duration: seconds,
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
      if (record) instance.on('response', (_client, status, _bytes, ms) => record(status, ms));
    });

  await run(spec.warmupSeconds);

  // autocannon's own histogram has whole-millisecond resolution; latencies here are sub-millisecond,
  // so the measured run keeps every 2xx latency and sorts them once at the end.
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const before = coreTimes();
  const serverBefore = serverTicks(spec.pids);
  const ownBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const result = await run(spec.seconds, (status, ms) => {
    if (status < 200 || status > 299) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  });
  const after = coreTimes();
  const serverAfter = serverTicks(spec.pids);
  const own = process.cpuUsage(ownBefore);
  const wallMs = Number(process.hrtime.bigint() - wallBefore) / 1e6;
  // /proc/<pid>/stat counts in USER_HZ ticks, 100 per second on every Linux that matters.
  const serverMs =
    serverBefore !== null && serverAfter !== null && spec.pids.length > 0 ? (serverAfter - serverBefore) * 10 : null;
  const percentOfCore = (cpuMs: number) => Math.round((1000 * cpuMs) / wallMs) / 10;
  const serverCpu = serverMs === null ? null : percentOfCore(serverMs);
  const serverCpuUsPerRequest =
    serverMs === null || result.requests.total === 0 ? null : Math.round((serverMs * 1000) / result.requests.total);
  const loadCpu = percentOfCore((own.user + own.system) / 1000);

  const coreBusy: Record<string, number> = {};
  for (const core of spec.cores) {
    const a = before.get(core);
    const b = after.get(core);
    if (a && b && b[1] > a[1]) coreBusy[core] = Math.round((1000 * (b[0] - a[0])) / (b[1] - a[1])) / 10;
  }
  const sorted = latencies.subarray(0, count).sort();
  const out: LoadResult = {
    // autocannon stops at its next 1 s sample after the duration, so a run may last a second longer;
    // its count and duration both cover the whole of it.
    rps: result.requests.total / result.duration,
    responses: result.requests.total,
    seconds: result.duration,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: percentile(sorted, 1),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    coreBusy,
    serverCpu,
    loadCpu,
    serverCpuUsPerRequest,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Orchestrator

/** Something the run needs is missing or wrong: stop everything and exit non-zero with this message. */
class SetupError extends Error {}

interface Proc {
  label: string;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
  tail: string[];
  /** How it ended: an exit code, or the signal that ended it. */
  end?: string;
}

const procs = new Set<Proc>();
let mongo: EmbeddedMongo | undefined;
let tempDir: string | undefined;
let aborting = false;
let pinned = false;
/** Servers that did not stop cleanly when asked: the run still reports, but exits non-zero. */
const unclean: string[] = [];

function pinnedCommand(core: number, args: string[]): [string, string[]] {
  return pinned ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}

function launch(label: string, core: number, args: string[], env: NodeJS.ProcessEnv, forward = true): Proc {
  const [command, argv] = pinnedCommand(core, args);
  const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { label, child, stopping: false, tail: [], exited: Promise.resolve() };
  proc.exited = new Promise<void>(resolve => {
    child.once('exit', (code, signal) => {
      proc.end = signal ?? String(code);
      procs.delete(proc);
      resolve();
      if (!proc.stopping && !aborting) {
        const tail = proc.tail.length ? `\n${proc.tail.join('\n')}` : '';
        process.stderr.write(`\n${label} exited unexpectedly (${signal ?? `code ${code}`})${tail}\n`);
        void abort(1);
      }
    });
    child.once('error', err => {
      procs.delete(proc);
      resolve();
      if (!aborting) {
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

async function stopProc(proc: Proc): Promise<void> {
  proc.stopping = true;
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_GRACE_MS);
    await proc.exited;
    clearTimeout(timer);
    // SIGTERM as the end means the process had no handler yet (still starting): not a fault.
    if (proc.end !== '0' && proc.end !== 'SIGTERM' && !aborting)
      unclean.push(`${proc.label} ended with ${proc.end} when stopped`);
  }
}

async function cleanup(): Promise<void> {
  await Promise.all([...procs].map(p => stopProc(p)));
  await mongo?.stop().catch(() => undefined);
  mongo = undefined;
  if (tempDir) await rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
  tempDir = undefined;
}

let aborted: Promise<never> | undefined;

/** Stops everything and exits; the first caller's exit code wins, later callers wait for it. */
function abort(code: number): Promise<never> {
  aborting = true;
  aborted ??= cleanup().then(() => process.exit(code));
  return aborted;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function reachable(url: string): Promise<boolean> {
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

function request(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    // No keep-alive: an idle probe connection must not hold a server open at shutdown.
    const req = http.request(url, { method, headers, agent: false, timeout: 5000 }, res => {
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

async function waitUntil(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (aborting) return;
    if (await probe().catch(() => false)) return;
    await new Promise(r => setTimeout(r, 200));
  }
  throw new SetupError(`${what} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

async function waitForSystem(base: string): Promise<void> {
  await waitUntil(`the system at ${base}`, async () => (await request('GET', `${base}/health/ready`)).status === 200);
}

/** Activates the test license on the bench hardware and checks that verify says valid; the answer's size. */
async function prepareVerify(base: string): Promise<number> {
  const activate = await request(
    'POST',
    `${base}/api/license/activate`,
    JSON.stringify({ license_key: TEST_CREDENTIALS.licenseKey, hardware_hash: HARDWARE_HASH, machine_name: 'bench' }),
    CLIENT_HEADERS,
  );
  if (activate.status !== 200 && activate.status !== 201) {
    throw new SetupError(
      `activating ${TEST_CREDENTIALS.licenseKey} on ${HARDWARE_HASH} answered ${activate.status}: ${activate.text}`,
    );
  }
  const verify = await request('POST', `${base}/api/license/verify`, VERIFY_BODY, CLIENT_HEADERS);
  let valid: boolean;
  try {
    valid = verify.status === 200 && (JSON.parse(verify.text) as { valid?: unknown }).valid === true;
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new SetupError(
      `verify of ${TEST_CREDENTIALS.licenseKey} on ${HARDWARE_HASH} is not valid: ${verify.status} ${verify.text}`,
    );
  }
  return Buffer.byteLength(verify.text);
}

interface Settings {
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

async function measure(label: string, url: string, s: Settings, servers: Proc[]): Promise<LoadResult> {
  process.stderr.write(`${label}: ${s.warmupSeconds} s warm-up, ${s.seconds} s measured ...\n`);
  const spec: LoadSpec = {
    url,
    connections: s.connections,
    warmupSeconds: s.warmupSeconds,
    seconds: s.seconds,
    body: VERIFY_BODY,
    headers: CLIENT_HEADERS,
    cores: pinned ? [LOAD_CORE, SERVER_CORE] : [],
    pids: servers.map(p => p.child.pid).filter((pid): pid is number => pid !== undefined),
  };
  const gen = launch(
    `load ${label}`,
    LOAD_CORE,
    [fileURLToPath(import.meta.url), '--load-generator', JSON.stringify(spec)],
    process.env,
    false,
  );
  const lines: string[] = [];
  createInterface({ input: gen.child.stdout! }).on('line', line => lines.push(line));
  gen.stopping = true;
  // 'close', not 'exit': it comes after the last line of the result has been read.
  const code = await new Promise<number | null>(resolve => gen.child.once('close', c => resolve(c)));
  const last = lines.at(-1);
  if (code !== 0 || !last) throw new SetupError(`the load generator failed (code ${code})\n${gen.tail.join('\n')}`);
  return JSON.parse(last) as LoadResult;
}

function systemEnv(mongoUrl: string, redisUrl: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever the caller's shell holds, each run gets exactly the deployment it names.
  for (const name of [
    'SERVICES',
    'TRANSPORTER',
    'NAMESPACE',
    'NODE_ID',
    'PORT',
    'HOST',
    'METRICS_PORT',
    'TRUST_PROXY',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PUBLIC_PER_MINUTE: RATE_LIMIT,
    MONGO_URL: mongoUrl,
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
    ...extra,
  };
}

function serverArgs(label: string, script: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return [script];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${path.resolve(dir)}`,
    `--cpu-prof-name=${label}.${process.pid}.cpuprofile`,
    script,
  ];
}

interface Row {
  key: 'bare' | 'oneProcess' | 'nats';
  label: string;
  result: LoadResult | null;
  skipped?: string;
}

function canPin(): boolean {
  if (process.env.BENCH_PIN === '0') return false;
  if (CORES < 2) return false;
  return spawnSync('taskset', ['-c', `${LOAD_CORE},${SERVER_CORE}`, 'true']).status === 0;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: fall through to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function verdict(row: Row, bareRps: number | undefined): { pass: boolean; target: string } | null {
  if (!row.result || row.key === 'bare') return null;
  const r = row.result;
  const ratio = bareRps ? r.rps / bareRps : 0;
  const clean = r.non2xx === 0 && r.errors === 0 && r.timeouts === 0;
  if (row.key === 'oneProcess') {
    return { pass: clean && ratio >= TARGETS.oneProcessRatio, target: `>= ${TARGETS.oneProcessRatio} x bare` };
  }
  return {
    pass: clean && ratio >= TARGETS.natsRatio && r.p99Ms < TARGETS.natsP99Ms,
    target: `>= ${TARGETS.natsRatio} x bare, p99 < ${TARGETS.natsP99Ms} ms`,
  };
}

function printTable(rows: Row[], bare: LoadResult | null): void {
  const header = [
    'run',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'errors',
    'ratio',
    'cpu us/req',
    'cpu ratio',
    'cpu% gen/srv',
    'busy% core0/1',
    'target',
    '',
  ];
  const lines = [header];
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      lines.push([row.label, ...header.slice(1, -2).map(() => '-'), '', `SKIPPED: ${row.skipped ?? ''}`]);
      continue;
    }
    const v = verdict(row, bare?.rps);
    const busy = Object.keys(r.coreBusy).length
      ? `${r.coreBusy[LOAD_CORE] ?? '?'}/${r.coreBusy[SERVER_CORE] ?? '?'}`
      : '-';
    lines.push([
      row.label,
      r.rps.toFixed(0),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      String(r.non2xx),
      String(r.errors + r.timeouts),
      bare ? (r.rps / bare.rps).toFixed(2) : '-',
      r.serverCpuUsPerRequest === null ? '-' : String(r.serverCpuUsPerRequest),
      cpuRatio(r, bare)?.toFixed(2) ?? '-',
      `${r.loadCpu}/${r.serverCpu ?? '?'}`,
      busy,
      v?.target ?? '',
      v ? (v.pass ? 'PASS' : 'FAIL') : '',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map(l => l[i]!.length)));
  const leftAligned = new Set([0, header.length - 2, header.length - 1]);
  for (const l of lines) {
    process.stdout.write(
      `${l
        .map((cell, i) => (leftAligned.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

/** The req/s ratio a core of its own would give, estimated from CPU time per request. */
function cpuRatio(r: LoadResult, bare: LoadResult | null): number | null {
  if (!bare?.serverCpuUsPerRequest || !r.serverCpuUsPerRequest) return null;
  return bare.serverCpuUsPerRequest / r.serverCpuUsPerRequest;
}

/**
 * A note when processes other than the measured ones competed for a core that was short of time: the
 * server's core at all, the load generator's once it ran out of headroom. (In (b) the unpinned NATS
 * server is one of them; it is part of what (b) measures, so it only counts where it starves a core.)
 */
function contention(row: Row): string | null {
  const r = row.result;
  if (!r || r.serverCpu === null) return null;
  const core0 = r.coreBusy[LOAD_CORE];
  const core1 = r.coreBusy[SERVER_CORE];
  if (core0 === undefined || core1 === undefined) return null;
  const foreign0 = Math.max(0, Math.round(core0 - r.loadCpu));
  const foreign1 = Math.max(0, Math.round(core1 - r.serverCpu));
  const serverCoreShared = foreign1 >= 15;
  const loadCoreStarved = foreign0 >= 15 && core0 >= 90;
  if (!serverCoreShared && !loadCoreStarved) return null;
  return (
    `${row.label}: other processes${row.key === 'nats' ? ' (the NATS server among them)' : ''} took ` +
    `~${foreign0}% of core ${LOAD_CORE} and ~${foreign1}% of core ${SERVER_CORE} during the measured run: ` +
    'req/s and p99 are depressed; compare cpu us/req and cpu ratio instead, or run again on a quiet machine'
  );
}

async function main(): Promise<void> {
  const settings: Settings = {
    connections: envInt('BENCH_CONNECTIONS', 32, 1),
    seconds: envInt('BENCH_SECONDS', 10, 1),
    warmupSeconds: envInt('BENCH_WARMUP_SECONDS', 3, 0),
  };
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379/9';
  const natsUrl = process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222';
  pinned = canPin();
  const notes: string[] = [];
  if (pinned) {
    // This process (idle while measuring) and what it starts itself, the embedded MongoDB server,
    // stay off the load generator's core.
    spawnSync('taskset', ['-a', '-p', '-c', String(SERVER_CORE), String(process.pid)]);
    notes.push(
      `servers pinned to core ${SERVER_CORE}, load generator to core ${LOAD_CORE} (taskset); Redis and NATS servers are not pinned`,
    );
  } else {
    notes.push(
      'NOT pinned (taskset missing, fewer than 2 cores, or BENCH_PIN=0): servers and load generator share the cores',
    );
  }
  if (!process.version.startsWith('v24.')) notes.push(`Node ${process.version}, not Node 24`);
  notes.push(
    `public rate limit raised to ${RATE_LIMIT}/min so it never refuses; the limiter still counts every request (in memory, synced to Redis)`,
  );

  const interrupted = (signal: string, code: number) => {
    if (!aborting) process.stderr.write(`\n${signal}: stopping the servers\n`);
    void abort(code);
  };
  process.on('SIGINT', () => interrupted('SIGINT', 130));
  process.on('SIGTERM', () => interrupted('SIGTERM', 143));

  let mongoBase = process.env.MONGO_URL;
  if (!mongoBase) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'license-bench-'));
    mongo = await startEmbeddedMongo({ dir: tempDir });
    mongoBase = `${mongo.url}license_bench`;
  }
  const mongoUrl = mongoBase;

  const rows: Row[] = [
    { key: 'bare', label: 'bare node:http', result: null },
    { key: 'oneProcess', label: '(a) one process', result: null },
    { key: 'nats', label: '(b) gateway + services over NATS', result: null },
  ];
  const row = (key: Row['key']) => rows.find(r => r.key === key)!;

  // (a) first: its answer sets the size the bare server answers with.
  const portA = await freePort();
  const a = launch(
    'a',
    SERVER_CORE,
    serverArgs('one-process', 'scripts/start.ts'),
    systemEnv(mongoUrl, redisUrl, { PORT: String(portA) }),
  );
  const baseA = `http://127.0.0.1:${portA}`;
  await waitForSystem(baseA);
  const answerBytes = await prepareVerify(baseA);
  row('oneProcess').result = await measure('(a) one process', `${baseA}/api/license/verify`, settings, [a]);
  await stopProc(a);

  const portBare = await freePort();
  const bareProc = launch('bare', SERVER_CORE, serverArgs('bare', 'bench/bare-server.ts'), {
    ...process.env,
    PORT: String(portBare),
    HOST: '127.0.0.1',
    ANSWER_BYTES: String(answerBytes),
  });
  const baseBare = `http://127.0.0.1:${portBare}`;
  await waitUntil('the bare server', async () => {
    const probe = await request('POST', `${baseBare}/api/license/verify`, VERIFY_BODY, CLIENT_HEADERS);
    if (probe.status === 200 && Buffer.byteLength(probe.text) !== answerBytes) {
      throw new SetupError(`the bare server answered ${Buffer.byteLength(probe.text)} bytes, not ${answerBytes}`);
    }
    return probe.status === 200;
  });
  row('bare').result = await measure('bare', `${baseBare}/api/license/verify`, settings, [bareProc]);
  await stopProc(bareProc);

  if (await reachable(natsUrl)) {
    const namespace = `bench-${process.pid}-${Date.now().toString(36)}`;
    const portB = await freePort();
    const nodeEnv = (services: string, extra: Record<string, string> = {}) =>
      systemEnv(mongoUrl, redisUrl, { SERVICES: services, TRANSPORTER: natsUrl, NAMESPACE: namespace, ...extra });
    const services = launch(
      'b services',
      SERVER_CORE,
      serverArgs('nats-services', 'scripts/start.ts'),
      nodeEnv('auth,license,device,version,customer'),
    );
    const gateway = launch(
      'b gateway',
      SERVER_CORE,
      serverArgs('nats-gateway', 'scripts/start.ts'),
      nodeEnv('api', { PORT: String(portB) }),
    );
    const baseB = `http://127.0.0.1:${portB}`;
    await waitForSystem(baseB);
    const bytesB = await prepareVerify(baseB);
    if (bytesB !== answerBytes) notes.push(`(b) answered ${bytesB} bytes, (a) ${answerBytes}`);
    row('nats').result = await measure('(b) NATS', `${baseB}/api/license/verify`, settings, [gateway, services]);
    await stopProc(gateway);
    await stopProc(services);
  } else {
    row('nats').skipped = `no NATS server at ${natsUrl} (set BENCH_NATS_URL)`;
  }

  await cleanup();

  notes.push(...unclean.map(u => `${u} (exit code 1)`));
  const bare = row('bare').result;
  const bareRps = bare?.rps;
  for (const r of rows) {
    const warning = contention(r);
    if (warning) notes.push(warning);
  }
  const cpu = cpuModel();
  process.stdout.write(
    `\nPOST /api/license/verify: autocannon, ${settings.connections} connections, no pipelining, ` +
      `${settings.warmupSeconds} s warm-up + ${settings.seconds} s measured per run; ` +
      `request ${Buffer.byteLength(VERIFY_BODY)} B, answer ${answerBytes} B\n` +
      `Node ${process.version}, ${cpu}, ${CORES} cores\n\n`,
  );
  printTable(rows, bare);
  process.stdout.write(`\n${notes.map(n => `- ${n}`).join('\n')}\n`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpu,
    cores: CORES,
    pinned,
    loadGenerator: 'autocannon (programmatic, sub-millisecond latencies)',
    connections: settings.connections,
    pipelining: 1,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.seconds,
    requestBytes: Buffer.byteLength(VERIFY_BODY),
    answerBytes,
    rateLimitPublicPerMinute: Number(RATE_LIMIT),
    targets: TARGETS,
    runs: Object.fromEntries(
      rows.map(r => {
        const v = verdict(r, bareRps);
        return [
          r.key,
          r.result
            ? {
                label: r.label,
                ...r.result,
                rps: Math.round(r.result.rps),
                ratioToBare: bareRps ? Math.round((1000 * r.result.rps) / bareRps) / 1000 : null,
                cpuRatioToBare:
                  cpuRatio(r.result, bare) === null ? null : Math.round(1000 * cpuRatio(r.result, bare)!) / 1000,
                ...(v ? { target: v.target, pass: v.pass } : {}),
              }
            : { label: r.label, skipped: r.skipped },
        ];
      }),
    ),
    notes,
  };
  const out = path.join(ROOT, 'bench/results/latest.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nResults written to ${path.relative(process.cwd(), out) || out}\n`);
  if (unclean.length > 0) process.exitCode = 1;
}

if (process.argv[2] === '--load-generator') {
  await loadGenerator(JSON.parse(process.argv[3] ?? '{}') as LoadSpec);
} else {
  try {
    await main();
  } catch (err) {
    // Once a signal or a crash has started the abort, what fails after it is only its consequence.
    if (!aborting) {
      process.stderr.write(
        `\nbench aborted: ${err instanceof SetupError ? err.message : ((err as Error).stack ?? String(err))}\n`,
      );
    }
    await abort(1);
  }
  if (aborting) await aborted;
  process.exit();
}
