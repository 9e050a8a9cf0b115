/**
 * How cost grows with the licenses stored: for each N, topology (a) started fresh on a database
 * holding N licenses of the verify pool (each activated on the bench machine):
 *
 *   1. a warm-up on the test license (the HTTP path's code compiled);
 *   2. cold verify: every request the next license, never verified before, for BENCH_SECONDS, over
 *      BENCH_SLOW_CONNECTIONS connections (few: cold reads are bound by the database, and many in
 *      flight would only queue there). The client deadline and the database socket timeout are raised
 *      for this run so that slow reads are measured rather than cut at 2 s;
 *   3. `rounds` times, the sizes taken in turn within each round (every size's server is up from the
 *      start): warm verify spread uniformly over the first `hotViews` licenses step 2 loaded (their
 *      views are cached), then the bare server's peak while the servers idle (the machine's speed
 *      then). The same number of licenses at every size, so that what changes between sizes is the
 *      licenses stored, which the growth target names, and not the hot set as well. The row
 *      keeps the round whose quotient of CPU per request, warm over bare, is the median: one size's
 *      single quotient moved by about 10% from one run to the next (docs/performance.md), the width of
 *      the warm target's band, so growthVerdicts compares medians;
 *   4. once, warm verify spread over every license step 2 loaded, when there are more than `hotViews`
 *      (a larger hot set: more memory touched per request, more views reloaded a minute): reported
 *      beside the judged figure, as a multiple of it, not judged;
 *   5. the views the server loaded over steps 2-4 and the batches it read them in (its /metrics:
 *      view-loader.ts batches the views asked for in one turn of the event loop);
 *   6. memory per cached license (view-memory.ts, the server's own classes) and the view cache's hit
 *      rate for Zipf(1.0) over all N keys (zipf.ts).
 */
import type { ClosedResult } from './load-generator.ts';
import { ROOT, lastLine, launch, request, SERVER_CORE } from './lib/processes.ts';
import { POOLS, SCENARIO_LABELS, WARM_SCENARIO, type Scenario } from './scenarios.ts';
import { startTopology, stopTopology, TOPOLOGIES, type Deployment, type StartOptions } from './topologies.ts';
import { medianRound, viewLoadsFrom, type GrowthRound, type GrowthRow, type ViewLoads } from './report.ts';
import type { ViewMemory } from './view-memory.ts';
import { zipfHitRate } from './zipf.ts';

/** Timeouts for the growth runs only: a slow cold read is measured, not cut at the client deadline. */
const SLOW_READS = {
  CLIENT_REQUEST_TIMEOUT_MS: '120000',
  REQUEST_TIMEOUT_MS: '120000',
  DATABASE_SOCKET_TIMEOUT_MS: '120000',
};

export interface GrowthContext {
  start: StartOptions;
  /** Runs one closed-loop load against the deployment's processes. */
  closed: (
    label: string,
    base: string,
    scenario: Scenario,
    pids: number[],
    opts: { warmupSeconds: number; seconds: number; connections?: number },
  ) => Promise<ClosedResult>;
  prepare: (base: string) => Promise<number>;
  /** The bare server's closed-loop peak, measured now (the machine's speed beside this size's runs). */
  bare: (label: string) => Promise<ClosedResult>;
  /** Rounds of warm verify and bare per size (BENCH_GROWTH_ROUNDS). */
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  coldConnections: number;
  /** Licenses the judged warm rounds spread over, at every size. */
  hotViews: number;
}

function pool(start: number, count: number, order: 'sequential' | 'random'): Scenario {
  const cold = order === 'sequential';
  return {
    name: cold ? 'cold' : 'warm',
    label: cold ? SCENARIO_LABELS.cold : SCENARIO_LABELS.warm,
    path: '/api/license/verify',
    pool: { code: POOLS.verify, start, count, order },
    ...(cold ? { maxRequests: count } : {}),
  };
}

/** The server's view-load counters (view-loader.ts) from its /metrics; null when it does not serve them. */
async function viewLoads(base: string): Promise<ViewLoads | null> {
  const res = await request('GET', `${base}/metrics`).catch(() => null);
  return res?.status === 200 ? viewLoadsFrom(res.text) : null;
}

async function viewMemory(licenses: number): Promise<ViewMemory> {
  const proc = launch(
    `view memory ${licenses}`,
    SERVER_CORE,
    ['--expose-gc', `${ROOT}bench/view-memory.ts`, String(licenses)],
    process.env,
    false,
  );
  return JSON.parse(await lastLine(proc)) as ViewMemory;
}

/** One size's database and server, measured round by round beside the other sizes. */
interface Size {
  licenses: number;
  stored: number;
  d: Deployment;
  pids: number[];
  label: string;
  cold: ClosedResult;
  warmScenario: Scenario;
  warmViews: number;
  loadedViews: number;
  rounds: GrowthRound[];
}

export interface GrowthSize {
  licenses: number;
  mongoUrl: string;
  /** Licenses in its database (the verify pool, and the test license). */
  stored: number;
}

/** Steps 1 and 2: the size's server started on its database, warmed up, and its cold run. */
async function startSize(ctx: GrowthContext, size: GrowthSize, started: Deployment[]): Promise<Size> {
  const oneProcess = TOPOLOGIES.find(t => t.key === 'oneProcess')!;
  const d = await startTopology(oneProcess, {
    ...ctx.start,
    mongoUrl: size.mongoUrl,
    env: { ...ctx.start.env, ...SLOW_READS },
  });
  started.push(d);
  const pids = d.procs.map(p => p.child.pid!).filter(Boolean);
  const label = `growth ${size.licenses}`;
  await ctx.prepare(d.base);
  await ctx.closed(`${label} warm-up`, d.base, WARM_SCENARIO, pids, { warmupSeconds: 0, seconds: ctx.warmupSeconds });
  const cold = await ctx.closed(`${label} cold`, d.base, pool(0, size.licenses, 'sequential'), pids, {
    warmupSeconds: 0,
    seconds: ctx.seconds,
    connections: ctx.coldConnections,
  });
  // The keys answered are the first ones of the pool, give or take those in flight at the end.
  const answered = cold.statusCodes['200'] ?? 0;
  const loadedViews = Math.max(0, answered - ctx.coldConnections);
  const warmViews = Math.min(loadedViews, ctx.hotViews);
  const warmScenario = warmViews > 0 ? pool(0, warmViews, 'random') : WARM_SCENARIO;
  return { ...size, d, pids, label, cold, warmScenario, warmViews, loadedViews, rounds: [] };
}

/** Steps 4-6, then the server stopped: the size's row. */
async function finishSize(ctx: GrowthContext, size: Size): Promise<GrowthRow> {
  let wide: ClosedResult | null = null;
  if (size.loadedViews > size.warmViews) {
    wide = await ctx.closed(
      `${size.label} warm over all ${size.loadedViews} views loaded`,
      size.d.base,
      pool(0, size.loadedViews, 'random'),
      size.pids,
      { warmupSeconds: ctx.warmupSeconds, seconds: ctx.seconds },
    );
  }
  const loads = await viewLoads(size.d.base);
  const { warm, bare } = medianRound(size.rounds);
  return {
    licenses: size.licenses,
    stored: size.stored,
    cold: size.cold,
    warm,
    warmViews: Math.max(1, size.warmViews),
    loadedViews: size.loadedViews,
    wide,
    bare,
    rounds: size.rounds,
    viewLoads: loads,
    memory: await viewMemory(size.licenses),
    zipf: await zipfHitRate(size.licenses),
  };
}

/**
 * Every size's server is started first, and the warm rounds (step 3) take the sizes in turn, so that
 * the machine's drift over the minutes of the measurement falls on every size alike: the host's speed
 * moved by half within five minutes in one bench, where sizes measured one after the other compared two
 * different machines.
 */
export async function measureGrowth(ctx: GrowthContext, sizes: GrowthSize[]): Promise<GrowthRow[]> {
  const started: Deployment[] = [];
  try {
    const running: Size[] = [];
    for (const size of sizes) running.push(await startSize(ctx, size, started));
    for (let round = 1; round <= ctx.rounds; round += 1) {
      for (const size of running) {
        const of = ctx.rounds > 1 ? ` (round ${round} of ${ctx.rounds})` : '';
        const warm = await ctx.closed(`${size.label} warm${of}`, size.d.base, size.warmScenario, size.pids, {
          warmupSeconds: ctx.warmupSeconds,
          seconds: ctx.seconds,
        });
        size.rounds.push({ warm, bare: await ctx.bare(`${size.label} bare${of}`) });
      }
    }
    const rows: GrowthRow[] = [];
    for (const size of running) rows.push(await finishSize(ctx, size));
    return rows;
  } finally {
    for (const d of started) await stopTopology(d, ctx.start.redisUrl);
  }
}
