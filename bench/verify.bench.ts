/**
 * `npm run bench`: the client API under load in the deployments production runs, as ratios to a bare
 * Node `http` server measured in the same run (absolute figures swing with the machine's load, ratios
 * much less). bench/README.md explains every figure; docs/performance.md holds the results.
 *
 * One run = for each topology of topologies.ts, started fresh: closed-loop peak of each scenario of
 * scenarios.ts (verify warm, verify cold, heartbeat, activation); and the bare server's peak, right
 * after each topology's warm verify (the denominator of that topology's ratios) and once per run on its
 * own. BENCH_RUNS runs (default 3), medians reported. Then as many open-loop runs: each topology started
 * fresh again, its warm verify run once more as a warm-up, and open loop at 50% and 80% of its median
 * warm-verify peak (the peak the report gives), bare's likewise at shares of its median peak.
 * Then cost growth (growth.ts): cold and warm verify, memory per cached license and the view cache's
 * Zipf hit rate, for each number of licenses in BENCH_LICENSES.
 *
 * Servers run on core 1, load generators (load-generator.ts, a process each) on core 0 (`taskset`).
 *
 * Environment: BENCH_RUNS (3), BENCH_CONNECTIONS (32), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3),
 * BENCH_OPEN_SECONDS (10), BENCH_OPEN_CONNECTIONS (128), BENCH_LICENSES (1000,100000; add 1000000 to
 * opt in), BENCH_TOPOLOGIES (a,b,c), BENCH_SCENARIOS (warm,cold,heartbeat,activation), BENCH_OPEN=0,
 * BENCH_GROWTH=0, BENCH_GROWTH_ROUNDS (5), MONGO_URL (default: an embedded server in a temp dir), REDIS_URL
 * (redis://127.0.0.1:6379/9), BENCH_NATS_URL (nats://127.0.0.1:4222), BENCH_PIN=0,
 * BENCH_CPU_PROF=<dir> (servers write .cpuprofile files).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TEST_CREDENTIALS } from '../config/index.ts';
import { startEmbeddedMongo } from '../scripts/lib/embedded-mongodb.ts';
import { measureGrowth, type GrowthContext, type GrowthSize } from './growth.ts';
import type { ClosedResult, LoadSpec, OpenResult } from './load-generator.ts';
import { cpuModel } from './lib/procfs.ts';
import {
  CORES,
  LOAD_CORE,
  ROOT,
  SERVER_CORE,
  SetupError,
  abort,
  adoptMongo,
  cleanup,
  envInt,
  freePort,
  isAborting,
  isPinned,
  lastLine,
  launch,
  pinProcess,
  reachable,
  request,
  setUpPinning,
  stopProc,
  unclean,
  waitUntil,
  type Proc,
} from './lib/processes.ts';
import {
  CLOSED_HEADER,
  GROWTH_HEADER,
  OPEN_HEADER,
  TARGETS,
  closedRows,
  growthRows,
  growthVerdicts,
  median,
  openRows,
  othersText,
  printTable,
  summariseClosed,
  summariseOpen,
  type ClosedCell,
  type GrowthRow,
  type OpenCell,
  type OpenSubject,
  usText,
  wideHotSetLines,
} from './report.ts';
import {
  ACTIVATION_LICENSES,
  ACTIVATION_MAX_MACHINES,
  BENCH_HARDWARE,
  CLIENT_HEADERS,
  HEARTBEAT_ACTIVATIONS,
  HEARTBEAT_LIMIT_PER_MINUTE,
  POOLS,
  SCENARIO_LABELS,
  WARM_SCENARIO,
  WARM_VERIFY_BODY,
  answerLooksRight,
  bodySource,
  mainScenarios,
  type Scenario,
  type ScenarioName,
} from './scenarios.ts';
import { seedPools } from './seed.ts';
import {
  PUBLIC_RATE_LIMIT,
  TOPOLOGIES,
  serverNodeArgs,
  startTopology,
  stopTopology,
  type Deployment,
  type StartOptions,
  type TopologyKey,
} from './topologies.ts';

const OPEN_SHARES = [0.5, 0.8];
const OPEN_WARMUP_SECONDS = 2;

interface Settings {
  runs: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  openSeconds: number;
  openConnections: number;
  open: boolean;
  growth: boolean;
  licenses: number[];
  /** Licenses the judged warm rounds of every growth size spread over (BENCH_GROWTH_HOT). */
  growthHot: number;
  /** Warm rounds per growth size, the sizes taken in turn (BENCH_GROWTH_ROUNDS). */
  growthRounds: number;
  topologies: TopologyKey[];
  scenarios: ScenarioName[];
  /** Licenses of the main database's verify pool (cold verifies and heartbeats). */
  verifyPool: number;
  /** Connections for the database-bound scenarios (cold verify, activation) and the growth runs' cold verify. */
  slowConnections: number;
}

function settingsFromEnv(): Settings {
  const list = (name: string, fallback: string) =>
    (process.env[name] || fallback)
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
  const topologyByLetter: Record<string, TopologyKey> = { a: 'oneProcess', b: 'nats', c: 'production' };
  const topologies = list('BENCH_TOPOLOGIES', 'a,c,b').map(l => {
    const key = topologyByLetter[l];
    if (!key) throw new SetupError(`BENCH_TOPOLOGIES: unknown "${l}" (a, b, c)`);
    return key;
  });
  const scenarios = list('BENCH_SCENARIOS', 'warm,cold,heartbeat,activation').map(s => {
    if (!(s in SCENARIO_LABELS)) throw new SetupError(`BENCH_SCENARIOS: unknown "${s}"`);
    return s as ScenarioName;
  });
  if (!scenarios.includes('warm')) scenarios.unshift('warm');
  const licenses = list('BENCH_LICENSES', '1000,100000').map(Number);
  if (licenses.some(n => !Number.isInteger(n) || n < 100)) throw new SetupError('BENCH_LICENSES: whole numbers >= 100');
  return {
    runs: envInt('BENCH_RUNS', 3, 1),
    connections: envInt('BENCH_CONNECTIONS', 32, 1),
    seconds: envInt('BENCH_SECONDS', 10, 1),
    warmupSeconds: envInt('BENCH_WARMUP_SECONDS', 3, 0),
    openSeconds: envInt('BENCH_OPEN_SECONDS', 10, 1),
    openConnections: envInt('BENCH_OPEN_CONNECTIONS', 128, 1),
    open: process.env.BENCH_OPEN !== '0',
    growth: process.env.BENCH_GROWTH !== '0',
    growthHot: envInt('BENCH_GROWTH_HOT', 1000, 1),
    growthRounds: envInt('BENCH_GROWTH_ROUNDS', 5, 1),
    licenses: licenses.sort((a, b) => a - b),
    topologies,
    scenarios,
    verifyPool: envInt('BENCH_VERIFY_POOL', 10_000, HEARTBEAT_ACTIVATIONS + 100),
    slowConnections: envInt('BENCH_SLOW_CONNECTIONS', 4, 1),
  };
}

const pidsOf = (procs: Proc[]) => procs.map(p => p.child.pid).filter((pid): pid is number => pid !== undefined);

let dbPid: number | undefined;

async function runLoad<T>(label: string, spec: Omit<LoadSpec, 'cores' | 'dbPids'>): Promise<T> {
  const full: LoadSpec = {
    ...spec,
    cores: isPinned() ? [LOAD_CORE, SERVER_CORE] : [],
    dbPids: dbPid === undefined ? [] : [dbPid],
  };
  const what = spec.mode === 'open' ? `${spec.rate} req/s open loop` : `closed loop, ${spec.connections} connections`;
  process.stderr.write(`${label}: ${what}, ${spec.warmupSeconds} s warm-up, ${spec.seconds} s measured ...\n`);
  const gen = launch(
    `load ${label}`,
    LOAD_CORE,
    [`${ROOT}bench/load-generator.ts`, JSON.stringify(full)],
    process.env,
    false,
  );
  return JSON.parse(await lastLine(gen)) as T;
}

/**
 * POST with retries on 503: the first requests after a start, or after a database-bound run, can meet
 * the 2 s client deadline while the database catches up.
 */
async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  // A cold read on a large embedded database can take many seconds (growth runs raise the deadline).
  let answer = await request('POST', url, body, CLIENT_HEADERS, 130_000);
  for (let attempt = 1; attempt < 10 && answer.status === 503; attempt += 1) {
    await new Promise(r => setTimeout(r, 500));
    answer = await request('POST', url, body, CLIENT_HEADERS, 130_000);
  }
  return answer;
}

/** Activates the test license on the bench machine and checks that verify says valid; the answer's size. */
async function prepareVerify(base: string): Promise<number> {
  const body = JSON.stringify({
    license_key: TEST_CREDENTIALS.licenseKey,
    hardware_hash: BENCH_HARDWARE,
    machine_name: 'bench',
  });
  const activate = await post(`${base}/api/license/activate`, body);
  if (activate.status !== 200 && activate.status !== 201) {
    throw new SetupError(`activating ${TEST_CREDENTIALS.licenseKey} answered ${activate.status}: ${activate.text}`);
  }
  const verify = await post(`${base}/api/license/verify`, WARM_VERIFY_BODY);
  if (!answerLooksRight({ name: 'warm', label: '', path: '' }, verify.status, verify.text)) {
    throw new SetupError(`verify of ${TEST_CREDENTIALS.licenseKey} is not valid: ${verify.status} ${verify.text}`);
  }
  return Buffer.byteLength(verify.text);
}

/** One request of a scenario (its last key, so the measured run does not meet it), checked. */
async function probeScenario(base: string, s: Scenario): Promise<void> {
  const probe: Scenario = s.pool ? { ...s, pool: { ...s.pool, start: s.pool.start + s.pool.count - 1, count: 1 } } : s;
  const body = bodySource({ ...probe, machineTag: `${s.machineTag ?? 'probe'}-probe` })();
  const answer = await post(`${base}${s.path}`, body);
  if (!answerLooksRight(s, answer.status, answer.text)) {
    throw new SetupError(`${s.label}: ${body} answered ${answer.status} ${answer.text}`);
  }
}

/** Verifies each license of a scenario's pool once (4 at a time), so that their views are cached. */
async function loadViews(base: string, sc: Scenario): Promise<void> {
  const pool = sc.pool!;
  const next = bodySource({ ...sc, name: 'cold', pool: { ...pool, order: 'sequential' } });
  const worker = async (): Promise<void> => {
    for (let i = 0; i < Math.ceil(pool.count / 4); i += 1) {
      const answer = await post(`${base}/api/license/verify`, next());
      if (answer.status !== 200) throw new SetupError(`loading the heartbeat views: ${answer.status} ${answer.text}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

interface RunState {
  closed: ClosedCell[];
  open: OpenCell[];
  bareRps: Map<number, number>;
  bare: ClosedResult[];
  /** Per run and topology (`<run>:<key>`): bare's peak measured right after that topology's warm verify. */
  pairedBare: Map<string, ClosedResult>;
  answerBytes: number | undefined;
  notes: string[];
}

/** The bare server, answering as many bytes as the systems do, up and checked. */
async function startBare(st: RunState): Promise<{ proc: ReturnType<typeof launch>; base: string }> {
  const port = await freePort();
  const proc = launch(
    'bare',
    SERVER_CORE,
    [...serverNodeArgs(process.env.BENCH_CPU_PROF, 'bare'), 'bench/bare-server.ts'],
    {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ANSWER_BYTES: String(st.answerBytes),
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUntil('the bare server', async () => {
    const probe = await request('POST', `${base}/api/license/verify`, WARM_VERIFY_BODY, CLIENT_HEADERS);
    if (probe.status === 200 && Buffer.byteLength(probe.text) !== st.answerBytes) {
      throw new SetupError(`the bare server answered ${Buffer.byteLength(probe.text)} bytes, not ${st.answerBytes}`);
    }
    return probe.status === 200;
  });
  return { proc, base };
}

/** Warm verify's closed-loop peak on a server already up: a topology's warm-up, or bare's peak. */
function warmClosed(lbl: string, base: string, pids: number[], s: Settings): Promise<ClosedResult> {
  return runLoad<ClosedResult>(lbl, {
    mode: 'closed',
    base,
    scenario: WARM_SCENARIO,
    headers: CLIENT_HEADERS,
    connections: s.connections,
    warmupSeconds: s.warmupSeconds,
    seconds: s.seconds,
    pids,
  });
}

/**
 * Bare's peak right after a topology's warm verify (that topology idle meanwhile): the machine's speed
 * drifts over minutes on a shared host (bare alone measured 25 to 60 us per request in one bench), so
 * each topology's ratios are to the bare measured within the same minute.
 */
async function measurePairedBare(run: number, key: TopologyKey, s: Settings, st: RunState): Promise<void> {
  st.pairedBare.set(`${run}:${key}`, await bareNow(`run ${run} bare beside ${label(key)}`, s, st));
}

/** A bare server started, measured at its closed-loop peak and stopped: the machine's speed right now. */
async function bareNow(lbl: string, s: Settings, st: RunState): Promise<ClosedResult> {
  const { proc, base } = await startBare(st);
  try {
    return await warmClosed(lbl, base, pidsOf([proc]), s);
  } finally {
    await stopProc(proc);
  }
}

/** Bare's own peak, once per run. */
async function measureBare(run: number, s: Settings, st: RunState): Promise<void> {
  const result = await bareNow(`run ${run} bare`, s, st);
  st.bare.push(result);
  st.bareRps.set(run, result.rps);
}

/**
 * The rate of an open loop: a share of the subject's median closed-loop peak over every run, the peak
 * the report gives. One run's peak moved by up to a third from the next on a shared host (a loop at
 * "50%" of a fast minute's peak ran the server at 85% of its core), so every open-loop run of a subject
 * asks for the same rate.
 */
function openRate(st: RunState, key: OpenSubject, share: number): number {
  const peaks =
    key === 'bare'
      ? st.bare.map(r => r.rps)
      : st.closed.filter(c => c.topology === key && c.scenario === 'warm').map(c => c.result.rps);
  return Math.max(1, Math.round((median(peaks) ?? 1) * share));
}

/** One subject's open loops at every share, on a server already up and warmed up. */
async function openLoops(run: number, key: OpenSubject, base: string, pids: number[], s: Settings, st: RunState) {
  for (const share of OPEN_SHARES) {
    const result = await runLoad<OpenResult>(`run ${run} ${label(key)} ${share * 100}%`, {
      mode: 'open',
      base,
      scenario: WARM_SCENARIO,
      headers: CLIENT_HEADERS,
      connections: s.openConnections,
      warmupSeconds: OPEN_WARMUP_SECONDS,
      seconds: s.openSeconds,
      rate: openRate(st, key, share),
      pids,
    });
    st.open.push({ topology: key, share, run, result });
    process.stderr.write(lateSummary(result));
  }
}

/**
 * Bare's open loops at the same shares of its own peak: the yardstick of the latency bound, what it
 * asks of the least a Node server can do on this machine.
 */
async function measureBareOpen(run: number, s: Settings, st: RunState): Promise<void> {
  const { proc, base } = await startBare(st);
  try {
    await openLoops(run, 'bare', base, pidsOf([proc]), s, st);
  } finally {
    await stopProc(proc);
  }
}

/**
 * A topology started fresh, its warm verify run once more as the closed-loop runs did (unrecorded: the
 * code compiled and the heap grown as before the peak), then its open loops.
 */
async function measureOpen(run: number, key: TopologyKey, s: Settings, st: RunState, start: StartOptions) {
  const topology = TOPOLOGIES.find(t => t.key === key)!;
  const d = await startTopology(topology, start);
  try {
    await prepareVerify(d.base);
    const pids = pidsOf(d.procs);
    await warmClosed(`run ${run} ${topology.label} warm-up`, d.base, pids, s);
    await openLoops(run, key, d.base, pids, s, st);
  } finally {
    await stopTopology(d, start.redisUrl);
  }
}

async function measureTopology(
  run: number,
  key: TopologyKey,
  s: Settings,
  st: RunState,
  start: StartOptions,
): Promise<void> {
  const topology = TOPOLOGIES.find(t => t.key === key)!;
  const d: Deployment = await startTopology(topology, start);
  try {
    const bytes = await prepareVerify(d.base);
    if (st.answerBytes === undefined) st.answerBytes = bytes;
    else if (bytes !== st.answerBytes)
      st.notes.push(`${topology.label} answered ${bytes} bytes, not ${st.answerBytes}`);
    const scenarios = mainScenarios({ verifyCount: s.verifyPool }, `r${run}-${key}-${Date.now().toString(36)}`).filter(
      sc => s.scenarios.includes(sc.name),
    );
    for (const sc of scenarios) await probeScenario(d.base, sc);
    const pids = pidsOf(d.procs);
    const closed = async (sc: Scenario) => {
      if (sc.name === 'heartbeat') await loadViews(d.base, sc);
      const result = await runLoad<ClosedResult>(`run ${run} ${topology.label} ${sc.label}`, {
        mode: 'closed',
        base: d.base,
        scenario: sc,
        headers: CLIENT_HEADERS,
        connections: sc.name === 'cold' || sc.name === 'activation' ? s.slowConnections : s.connections,
        warmupSeconds: s.warmupSeconds,
        seconds: s.seconds,
        pids,
      });
      st.closed.push({ topology: key, scenario: sc.name, run, result, ratio: null });
      return result;
    };
    await closed(scenarios[0]!);
    await measurePairedBare(run, key, s, st);
    for (const sc of scenarios.slice(1)) await closed(sc);
  } finally {
    await stopTopology(d, start.redisUrl);
  }
}

/** Where an open loop's late answers came from, to set beside the servers' logs (times in UTC). */
function lateSummary(r: OpenResult): string {
  const time = (at: number) => new Date(at).toISOString().slice(11, 23);
  const pct = (x: number | null) => (x === null ? 'unknown' : `${x.toFixed(1)}%`);
  const windows = r.lateWindows.slice(0, 8).map(w => `${time(w.at)} ${w.late} (max ${w.maxMs} ms)`);
  const pauses = r.generatorPauses.slice(0, 8).map(p => `${time(p.at)} ${p.ms} ms`);
  return (
    `  late (>10 ms) by 100 ms of send time, worst first: ${windows.join(', ') || 'none'}\n` +
    `  load generator paused: ${pauses.join(', ') || 'never over 5 ms'}\n` +
    `  server main threads waited for a CPU ${pct(r.mainWaitPercent)} of the run; their other threads ran ${pct(r.helpersCpu)} of a core\n` +
    `  ${othersText(r.others)}\n`
  );
}

function growthContext(s: Settings, st: RunState, start: StartOptions): GrowthContext {
  return {
    bare: lbl => bareNow(lbl, s, st),
    rounds: s.growthRounds,
    start,
    closed: (lbl, base, scenario, pids, o) =>
      runLoad<ClosedResult>(lbl, {
        mode: 'closed',
        base,
        scenario,
        headers: CLIENT_HEADERS,
        connections: o.connections ?? s.connections,
        warmupSeconds: o.warmupSeconds,
        seconds: o.seconds,
        pids,
      }),
    prepare: prepareVerify,
    seconds: s.seconds,
    warmupSeconds: s.warmupSeconds,
    coldConnections: s.slowConnections,
    hotViews: s.growthHot,
  };
}

function label(key: OpenSubject): string {
  return key === 'bare' ? 'bare node:http' : TOPOLOGIES.find(t => t.key === key)!.label;
}

async function main(): Promise<void> {
  const s = settingsFromEnv();
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379/9';
  const natsUrl = process.env.BENCH_NATS_URL || 'nats://127.0.0.1:4222';
  const notes: string[] = [];
  if (setUpPinning()) {
    notes.push(
      `servers and the database pinned to core ${SERVER_CORE}, load generators to core ${LOAD_CORE} (taskset); Redis and NATS servers are not pinned`,
    );
  } else {
    notes.push(
      'NOT pinned (taskset missing, fewer than 2 cores, or BENCH_PIN=0): servers and load generator share the cores',
    );
  }
  if (!process.version.startsWith('v24.')) notes.push(`Node ${process.version}, not Node 24`);
  notes.push(
    `public rate limit ${PUBLIC_RATE_LIMIT}/min (never refuses, still counts every request); heartbeat limit ` +
      `${HEARTBEAT_LIMIT_PER_MINUTE}/min per activation over ${HEARTBEAT_ACTIVATIONS} activations (scenarios.ts)`,
  );

  const interrupted = (signal: string, code: number) => {
    if (!isAborting()) process.stderr.write(`\n${signal}: stopping the servers\n`);
    void abort(code);
  };
  process.on('SIGINT', () => interrupted('SIGINT', 130));
  process.on('SIGTERM', () => interrupted('SIGTERM', 143));

  let mongoBase = process.env.MONGO_URL;
  if (!mongoBase) {
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'license-bench-'));
    const mongo = await startEmbeddedMongo({ dir: tempDir });
    adoptMongo(mongo, tempDir);
    dbPid = mongo.pid;
    // BENCH_DB_CORE: where the embedded database runs (the servers' core by default). Production keeps
    // the database on other machines; on two cores, the other core is the load generator's.
    const dbCore = envInt('BENCH_DB_CORE', SERVER_CORE, 0);
    if (isPinned() && dbCore !== SERVER_CORE && dbPid !== undefined && pinProcess(dbPid, dbCore)) {
      notes.push(`the embedded database moved to core ${dbCore} (BENCH_DB_CORE)`);
    }
    mongoBase = mongo.url;
  } else {
    notes.push('MONGO_URL given: the database server is not pinned and its CPU is not sampled');
  }
  const dbUrl = (name: string) => {
    const u = new URL(mongoBase);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const mainDb = dbUrl(`license_bench_${process.pid}`);

  process.stderr.write(`seeding ${s.verifyPool} + ${ACTIVATION_LICENSES} licenses ...\n`);
  const seeded = await seedPools(mainDb, [
    { code: POOLS.verify, count: s.verifyPool, activateHardware: BENCH_HARDWARE },
    { code: POOLS.activate, count: ACTIVATION_LICENSES, maxActivations: ACTIVATION_MAX_MACHINES },
  ]);
  notes.push(
    `seeded ${seeded.licenses} licenses and ${seeded.activations} activations in ${(seeded.ms / 1000).toFixed(1)} s (bench/seed.ts)`,
  );

  const nats = await reachable(natsUrl);
  const topologies = s.topologies.filter(k => nats || k === 'oneProcess');
  if (topologies.length < s.topologies.length) notes.push(`no NATS server at ${natsUrl}: (b) and (c) skipped`);
  const start: StartOptions = {
    mongoUrl: mainDb,
    redisUrl,
    natsUrl,
    nodeArgs: l => serverNodeArgs(process.env.BENCH_CPU_PROF, l),
  };
  const st: RunState = {
    closed: [],
    open: [],
    bareRps: new Map(),
    bare: [],
    pairedBare: new Map(),
    answerBytes: undefined,
    notes,
  };

  for (let run = 1; run <= s.runs; run += 1) {
    for (const key of topologies) {
      await measureTopology(run, key, s, st, start);
      // The bare server answers as many bytes as the system did, so it runs after the first topology.
      if (!st.bareRps.has(run)) await measureBare(run, s, st);
    }
  }
  // The open loops once every peak is known: their rates are shares of the median peaks.
  for (let run = 1; s.open && run <= s.runs; run += 1) {
    for (const [i, key] of topologies.entries()) {
      await measureOpen(run, key, s, st, start);
      if (i === 0) await measureBareOpen(run, s, st);
    }
  }
  for (const cell of st.closed) {
    const bare = st.pairedBare.get(`${cell.run}:${cell.topology}`)?.rps;
    cell.ratio = bare ? cell.result.rps / bare : null;
  }

  let growth: GrowthRow[] = [];
  if (s.growth) {
    const sizes: GrowthSize[] = [];
    for (const [i, n] of s.licenses.entries()) {
      let db = mainDb;
      let stored = seeded.licenses;
      if (n !== s.verifyPool) {
        // The index keeps a size given twice (to see one size's spread) in a database of its own.
        db = dbUrl(`license_bench_${process.pid}_${i}_n${n}`);
        process.stderr.write(`seeding ${n} licenses for the growth run ...\n`);
        stored = (await seedPools(db, [{ code: POOLS.verify, count: n, activateHardware: BENCH_HARDWARE }])).licenses;
      }
      sizes.push({ licenses: n, mongoUrl: db, stored: stored + 1 });
    }
    try {
      growth = await measureGrowth(growthContext(s, st, start), sizes);
    } catch (err) {
      // The main table is already measured: report it, and say what the growth run met.
      if (isAborting()) throw err;
      notes.push(`cost growth failed: ${(err as Error).message}`);
    }
  }

  await cleanup();
  await report(s, st, growth, notes);
  if (unclean.length > 0) process.exitCode = 1;
}

async function report(s: Settings, st: RunState, growth: GrowthRow[], notes: string[]): Promise<void> {
  notes.push(...unclean.map(u => `${u} (exit code 1)`));
  const cpu = cpuModel();
  const bareMedian = summariseBare(st.bare);
  process.stdout.write(
    `\nClient API under load: ${s.runs} run(s), medians; closed loop: autocannon, ${s.connections} connections, ` +
      `no pipelining, ${s.warmupSeconds} s warm-up + ${s.seconds} s measured; open loop: ${s.openConnections} ` +
      `keep-alive connections, ${OPEN_WARMUP_SECONDS} s + ${s.openSeconds} s; verify answer ${st.answerBytes} B\n` +
      `Node ${process.version}, ${cpu}, ${CORES} cores, ${new Date().toISOString()}\n\n`,
  );
  process.stdout.write(
    `bare node:http: ${bareMedian.rps?.toFixed(0) ?? '-'} req/s (runs: ${st.bare.map(b => b.rps.toFixed(0)).join(' / ')}), ` +
      `${usText(bareMedian.cpu)} us CPU per request\n`,
  );
  const keys = s.topologies.filter(k => st.closed.some(c => c.topology === k));
  const paired = keys.map(k => {
    const runs = Array.from({ length: s.runs }, (_, i) => st.pairedBare.get(`${i + 1}:${k}`));
    const rates = runs.map(r => (r ? r.rps.toFixed(0) : '-')).join(' / ');
    const cpus = runs.map(r => r?.serverCpuUsPerRequest ?? '-').join(' / ');
    return `  beside ${label(k)}: ${rates} req/s, ${cpus} us CPU per request`;
  });
  process.stdout.write(
    `bare node:http measured right after each topology's warm verify (the denominators of its ratios):\n` +
      `${paired.join('\n')}\n\n`,
  );
  const closed = keys.flatMap(k => s.scenarios.map(sc => summariseClosed(st.closed, k, sc))).filter(x => x.runs > 0);
  printTable(
    CLOSED_HEADER,
    closedRows(closed, x => [label(x.topology), SCENARIO_LABELS[x.scenario]]),
    2,
  );
  const open = [...keys, 'bare' as const]
    .flatMap(k => OPEN_SHARES.map(share => summariseOpen(st.open, k, share)))
    .filter(x => x.rate !== null);
  if (open.length) {
    process.stdout.write('\nOpen loop (warm verify), latency from the intended send time:\n');
    printTable(OPEN_HEADER, openRows(open, label), 2);
  }
  if (growth.length) {
    process.stdout.write('\nCost growth, topology (a):\n');
    printTable(GROWTH_HEADER, growthRows(growth));
    for (const v of growthVerdicts(growth)) process.stdout.write(`- ${v}\n`);
    for (const v of wideHotSetLines(growth)) process.stdout.write(`- ${v}\n`);
  }
  process.stdout.write(`\n${notes.map(n => `- ${n}`).join('\n')}\n`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpu,
    cores: CORES,
    pinned: isPinned(),
    settings: s,
    answerBytes: st.answerBytes,
    targets: TARGETS,
    bare: { median: bareMedian, runs: st.bare, paired: Object.fromEntries(st.pairedBare) },
    closed: { summary: closed, runs: st.closed },
    open: { summary: open, runs: st.open },
    growth,
    notes,
  };
  const out = path.join(ROOT, 'bench/results/latest.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nResults written to ${path.relative(process.cwd(), out) || out}\n`);
}

function summariseBare(bare: ClosedResult[]): { rps: number | null; cpu: number | null } {
  return { rps: median(bare.map(b => b.rps)), cpu: median(bare.map(b => b.serverCpuUsPerRequest ?? NaN)) };
}

try {
  await main();
} catch (err) {
  // Once a signal or a crash has started the abort, what fails after it is only its consequence.
  if (!isAborting()) {
    process.stderr.write(
      `\nbench aborted: ${err instanceof SetupError ? err.message : ((err as Error).stack ?? String(err))}\n`,
    );
  }
  await abort(1);
}
process.exit();
