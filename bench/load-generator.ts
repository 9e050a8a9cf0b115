/**
 * The load generator, a process of its own pinned to the load core:
 *
 *   node bench/load-generator.ts '<LoadSpec as JSON>'
 *
 * Closed loop (peak): autocannon, `connections` connections each sending its next request as soon as
 * the previous answer is in (no pipelining); every 2xx latency is kept (autocannon's own histogram has
 * whole-millisecond resolution). Open loop: bench/open-loop.ts at a fixed rate.
 *
 * Both sample, over the measured window only, the CPU time of the processes under test and how busy
 * each core was, and print one JSON line: the result.
 */
import { createRequire } from 'node:module';
import { openLoop, type OpenLoopResult } from './open-loop.ts';
import {
  MS_PER_TICK,
  Samples,
  coreBusy,
  coreTimes,
  machineTicks,
  othersBetween,
  percentile,
  threadTimes,
  ticksOf,
  type OthersUsage,
} from './lib/procfs.ts';
import { bodySource, type Scenario } from './scenarios.ts';

export interface LoadSpec {
  mode: 'closed' | 'open';
  /** Base URL of the server under test. */
  base: string;
  scenario: Scenario;
  headers: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Open loop: requests per second. */
  rate?: number;
  /** Cores whose busy share is sampled over the measured run. */
  cores: number[];
  /** Processes under test whose CPU time is sampled over the measured run. */
  pids: number[];
  /** The database server's process, sampled apart (its CPU is not in serverCpuUsPerRequest). */
  dbPids: number[];
}

export interface Usage {
  /** Busy percentage of each sampled core over the measured run (this and any other process on it). */
  coreBusy: Record<string, number>;
  /** CPU time of the processes under test, and of the load generator, as a percentage of one core. */
  serverCpu: number | null;
  loadCpu: number;
  /** CPU time the processes under test spent per answered request, in microseconds. */
  serverCpuUsPerRequest: number | null;
  /** The same for the database server (embedded FerretDB), when its process is known. */
  dbCpuUsPerRequest: number | null;
  /**
   * How long the servers' main threads waited, runnable, for a CPU, and how much their other threads
   * (V8 workers, libuv) ran, as percentages of the run (procfs.ts threadTimes); null off Linux.
   */
  mainWaitPercent: number | null;
  helpersCpu: number | null;
  /**
   * What the rest of the machine ran meanwhile (every process but the servers, the database, this
   * generator and the bench itself; Redis and NATS included): whether the machine was quiet.
   */
  others: OthersUsage;
}

export interface ClosedResult extends Usage {
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
}

export type OpenResult = OpenLoopResult & Usage;

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

/** The bench's own processes, beside the ones under test: this generator and the bench that started it. */
const benchPids = (spec: LoadSpec) => new Set([...spec.pids, ...spec.dbPids, process.pid, process.ppid]);

/**
 * CPU microseconds per answer, to a tenth: on a fast machine a request costs 14-25 us, where rounding to
 * whole microseconds would move a ratio of two such figures by up to 7%. The ticks behind it (10 ms each,
 * over ~1,000 ticks a run) are finer than that tenth.
 */
export function usPerRequest(cpuMs: number, answered: number): number | null {
  return answered === 0 ? null : Math.round((cpuMs * 10_000) / answered) / 10;
}

/** Runs `work` and measures, around it, the CPU of the servers and this process and the cores' business. */
async function sampled<T>(spec: LoadSpec, work: () => Promise<T>, answers: (r: T) => number): Promise<[T, Usage]> {
  const before = coreTimes();
  const serverBefore = ticksOf(spec.pids);
  const dbBefore = ticksOf(spec.dbPids);
  const threadsBefore = threadTimes(spec.pids);
  const machineBefore = machineTicks();
  const ownBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const result = await work();
  const after = coreTimes();
  const serverAfter = ticksOf(spec.pids);
  const dbAfter = ticksOf(spec.dbPids);
  const threadsAfter = threadTimes(spec.pids);
  const machineAfter = machineTicks();
  const own = process.cpuUsage(ownBefore);
  const wallMs = Number(process.hrtime.bigint() - wallBefore) / 1e6;
  const serverMs =
    serverBefore !== null && serverAfter !== null && spec.pids.length > 0
      ? (serverAfter - serverBefore) * MS_PER_TICK
      : null;
  const dbMs =
    dbBefore !== null && dbAfter !== null && spec.dbPids.length > 0 ? (dbAfter - dbBefore) * MS_PER_TICK : null;
  const percentOfCore = (cpuMs: number) => Math.round((1000 * cpuMs) / wallMs) / 10;
  const n = answers(result);
  return [
    result,
    {
      coreBusy: coreBusy(before, after, spec.cores),
      serverCpu: serverMs === null ? null : percentOfCore(serverMs),
      loadCpu: percentOfCore((own.user + own.system) / 1000),
      serverCpuUsPerRequest: serverMs === null ? null : usPerRequest(serverMs, n),
      dbCpuUsPerRequest: dbMs === null ? null : usPerRequest(dbMs, n),
      mainWaitPercent:
        threadsBefore && threadsAfter
          ? percentOfCore((threadsAfter.mainWaitNs - threadsBefore.mainWaitNs) / 1e6)
          : null,
      helpersCpu:
        threadsBefore && threadsAfter
          ? percentOfCore((threadsAfter.helpersRunNs - threadsBefore.helpersRunNs) / 1e6)
          : null,
      others: othersBetween(machineBefore, machineAfter, benchPids(spec)),
    },
  ];
}

async function closedLoop(spec: LoadSpec): Promise<ClosedResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const s = spec.scenario;
  const next = bodySource(s);
  // A finite pool: warm-up and measured run together use each key at most once.
  let left = s.maxRequests ?? Infinity;
  const run = (seconds: number, record?: (status: number, ms: number) => void) =>
    new Promise<AutocannonResult>((resolve, reject) => {
      const budget = Number.isFinite(left) ? Math.max(spec.connections, Math.floor(left)) : undefined;
      const fixed = s.body !== undefined;
      const instance = autocannon(
        {
          url: `${spec.base}${s.path}`,
          method: 'POST',
          headers: spec.headers,
          connections: spec.connections,
          pipelining: 1,
          duration: seconds,
          ...(budget !== undefined ? { maxOverallRequests: budget } : {}),
          ...(fixed
            ? { body: s.body }
            : {
                requests: [
                  {
                    method: 'POST',
                    path: s.path,
                    setupRequest: (req: Record<string, unknown>) => ({ ...req, body: next() }),
                  },
                ],
              }),
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
      if (record) instance.on('response', (_client, status, _bytes, ms) => record(status, ms));
    });

  if (spec.warmupSeconds > 0) {
    const warm = await run(spec.warmupSeconds);
    left -= warm.requests.total;
  }
  const latencies = new Samples();
  const [result, usage] = await sampled(
    spec,
    () =>
      run(spec.seconds, (status, ms) => {
        if (status >= 200 && status <= 299) latencies.add(ms);
      }),
    r => r.requests.total,
  );
  const sorted = latencies.sorted();
  return {
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
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, st]) => [code, st.count])),
    ...usage,
  };
}

async function openLoopRun(spec: LoadSpec): Promise<OpenResult> {
  const url = new URL(spec.base);
  const [result, usage] = await sampled(
    spec,
    () =>
      openLoop({
        host: url.hostname,
        port: Number(url.port),
        path: spec.scenario.path,
        headers: spec.headers,
        body: spec.scenario.body ?? bodySource(spec.scenario)(),
        rate: spec.rate!,
        connections: spec.connections,
        warmupSeconds: spec.warmupSeconds,
        seconds: spec.seconds,
      }),
    // CPU is sampled over warm-up and measured window alike: per request over all that were sent.
    r => r.sent,
  );
  return { ...result, ...usage };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const result = spec.mode === 'open' ? await openLoopRun(spec) : await closedLoop(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
