/**
 * The bench's report: medians over the runs, the targets of issue 14 next to each figure, plain-text
 * tables on stdout, and every figure of every run in bench/results/latest.json.
 */
import type { ClosedResult, OpenResult } from './load-generator.ts';
import type { OthersUsage } from './lib/procfs.ts';
import type { ScenarioName } from './scenarios.ts';
import type { TopologyKey } from './topologies.ts';
import type { ViewMemory } from './view-memory.ts';
import type { ZipfResult } from './zipf.ts';

export const TARGETS = {
  /** Warm verify, closed-loop peak as a ratio to bare node:http. */
  warmRatio: { oneProcess: 0.5, production: 0.5, nats: 0.2 } as Record<TopologyKey, number>,
  /** Open loop at 50% of the topology's peak, for (a) and (c). */
  openP99Ms: 10,
  openMaxMs: 100,
  /** Warm verify cost from the fewest to the most licenses: within 10%. */
  warmGrowth: 0.1,
  /** Cold verify at the most licenses: within 2x of cold at the fewest. */
  coldGrowth: 2,
} as const;

export interface ClosedCell {
  topology: TopologyKey;
  scenario: ScenarioName;
  run: number;
  result: ClosedResult;
  /** req/s over bare's req/s in the same run. */
  ratio: number | null;
}

/** Open-loop rows: a topology, or the bare server at the same shares of its own peak (the yardstick). */
export type OpenSubject = TopologyKey | 'bare';

export interface OpenCell {
  topology: OpenSubject;
  share: number;
  run: number;
  result: OpenResult;
}

export interface GrowthRow {
  licenses: number;
  /** Licenses in the database (the pool plus what else the bench seeded there). */
  stored: number;
  cold: ClosedResult;
  warm: ClosedResult;
  /** Licenses the judged warm runs spread over (the hot set; 1: the test license). */
  warmViews: number;
  /** Licenses the cold run loaded (results from before the fixed hot set: absent, and warmViews is this). */
  loadedViews?: number;
  /** Warm verify over every view the cold run loaded, when more than the hot set (not judged). */
  wide?: ClosedResult | null;
  /** The bare server's peak measured right after `warm` (the median round's): the machine's speed then. */
  bare?: ClosedResult;
  /** Every round of warm verify and the bare run after it; `warm` and `bare` are the median one's. */
  rounds?: GrowthRound[];
  memory: ViewMemory | null;
  zipf: ZipfResult | null;
  /** License views the server loaded over the size's runs, and the batches it read them in (/metrics). */
  viewLoads?: ViewLoads | null;
}

export interface ViewLoads {
  views: number;
  batches: number;
}

/** The view-load counters in a /metrics text (summed over label sets); null when either is missing. */
export function viewLoadsFrom(metrics: string): ViewLoads | null {
  const total = (name: string): number | null => {
    const values = metrics
      .split('\n')
      .filter(l => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .map(l => Number(l.slice(l.lastIndexOf(' ') + 1)));
    return values.length > 0 && values.every(Number.isFinite) ? values.reduce((a, b) => a + b, 0) : null;
  };
  const views = total('license_view_loads_total');
  const batches = total('license_view_load_batches_total');
  return views === null || batches === null ? null : { views, batches };
}

/** `12,000 in 1,500 (8.0)`: views loaded, in batches, views per batch. */
export function viewLoadsText(loads: ViewLoads | null | undefined): string {
  if (!loads || loads.batches === 0) return '-';
  const n = (x: number) => x.toLocaleString('en-US');
  return `${n(loads.views)} in ${n(loads.batches)} (${(loads.views / loads.batches).toFixed(1)})`;
}

/** `the rest of the machine ran 130 ms of CPU (beam.smp 120 ms, …); 9 processes started` (older files: unknown). */
export function othersText(o: OthersUsage | undefined): string {
  if (!o) return 'the rest of the machine: not sampled';
  const busiest = o.busiest.map(b => `${b.name} ${b.ms} ms`).join(', ');
  const started = o.started === 1 ? '1 process started' : `${o.started} processes started`;
  return `the rest of the machine ran ${o.cpuMs} ms of CPU${busiest ? ` (${busiest})` : ''}; ${started}`;
}

export interface GrowthRound {
  warm: ClosedResult;
  bare: ClosedResult;
}

/** Warm CPU per request over bare's, of one round (null when either was not sampled). */
export function roundQuotient(r: GrowthRound): number | null {
  const warm = r.warm.serverCpuUsPerRequest;
  const bare = r.bare.serverCpuUsPerRequest;
  return warm && bare ? warm / bare : null;
}

/** The round whose quotient is the median (the lower middle of an even count). */
export function medianRound(rounds: GrowthRound[]): GrowthRound {
  if (rounds.length === 0) throw new Error('a growth size needs at least one round');
  const ranked = [...rounds].sort((a, b) => (roundQuotient(a) ?? Infinity) - (roundQuotient(b) ?? Infinity));
  return ranked[(ranked.length - 1) >> 1]!;
}

export function median(values: number[]): number | null {
  const v = values.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

const fixed = (x: number | null | undefined, digits: number): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);

/**
 * CPU microseconds per request: a tenth below 100 (where a whole microsecond is several percent), else
 * whole, written by `whole` (the docs' tables group thousands).
 */
export const usText = (x: number | null | undefined, whole = (n: number) => n.toFixed(0)): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : Math.abs(x) < 100 ? x.toFixed(1) : whole(x);

/** Prints rows as aligned columns (first column left-aligned, the others right-aligned). */
export function printTable(header: string[], rows: string[][], leftColumns = 1): void {
  const lines = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map(l => (l[i] ?? '').length)));
  for (const l of lines) {
    process.stdout.write(
      `${l
        .map((cell, i) => (i < leftColumns || i === l.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

export interface ClosedSummary {
  topology: TopologyKey;
  scenario: ScenarioName;
  runs: number;
  rps: number | null;
  ratio: number | null;
  ratios: number[];
  cpuUsPerRequest: number | null;
  dbCpuUsPerRequest: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  failures: number;
  target: number | null;
  pass: boolean | null;
}

export function summariseClosed(cells: ClosedCell[], topology: TopologyKey, scenario: ScenarioName): ClosedSummary {
  const mine = cells.filter(c => c.topology === topology && c.scenario === scenario);
  const ratios = mine.map(c => c.ratio).filter((r): r is number => r !== null);
  const failures = mine.reduce((n, c) => n + c.result.non2xx + c.result.errors + c.result.timeouts, 0);
  const ratio = median(ratios);
  const target = scenario === 'warm' ? TARGETS.warmRatio[topology] : null;
  return {
    topology,
    scenario,
    runs: mine.length,
    rps: median(mine.map(c => c.result.rps)),
    ratio,
    ratios,
    cpuUsPerRequest: median(mine.map(c => c.result.serverCpuUsPerRequest ?? NaN)),
    dbCpuUsPerRequest: median(mine.map(c => c.result.dbCpuUsPerRequest ?? NaN)),
    p50Ms: median(mine.map(c => c.result.p50Ms)),
    p99Ms: median(mine.map(c => c.result.p99Ms)),
    failures,
    target,
    pass: target === null || ratio === null ? null : failures === 0 && ratio >= target,
  };
}

export function closedRows(summaries: ClosedSummary[], labels: (s: ClosedSummary) => [string, string]): string[][] {
  return summaries.map(s => {
    const [topology, scenario] = labels(s);
    return [
      topology,
      scenario,
      fixed(s.rps, 0),
      fixed(s.ratio, 3),
      s.ratios.map(r => r.toFixed(2)).join(' / ') || '-',
      usText(s.cpuUsPerRequest),
      usText(s.dbCpuUsPerRequest),
      fixed(s.p50Ms, 2),
      fixed(s.p99Ms, 2),
      String(s.failures),
      s.target === null ? '' : `>= ${s.target.toFixed(2)} ${s.pass ? 'PASS' : 'FAIL'}`,
    ];
  });
}

export const CLOSED_HEADER = [
  'topology',
  'scenario',
  'req/s',
  'ratio',
  'ratio per run',
  'cpu us/req',
  'db us/req',
  'p50 ms',
  'p99 ms',
  'failed',
  'target (warm)',
];

export interface OpenSummary {
  topology: OpenSubject;
  share: number;
  rate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  within10ms: number | null;
  failures: number;
  unanswered: number;
  sendLagP99Ms: number | null;
  cpuUsPerRequest: number | null;
  /** The servers' main threads waiting for a CPU, % of the run (median of runs). */
  mainWaitPercent: number | null;
  target: string;
  pass: boolean | null;
}

export function summariseOpen(cells: OpenCell[], topology: OpenSubject, share: number): OpenSummary {
  const mine = cells.filter(c => c.topology === topology && c.share === share);
  const p99 = median(mine.map(c => c.result.p99Ms));
  // "No request over 100 ms": the worst of all runs, not a median.
  const max = mine.length ? Math.max(...mine.map(c => c.result.maxMs)) : null;
  const failures = mine.reduce((n, c) => n + c.result.non2xx + c.result.errors, 0);
  const unanswered = mine.reduce((n, c) => n + c.result.unanswered, 0);
  // Judged: (a) and (c) at 50%. Bare is shown against the same bound, as the yardstick, not as a target.
  const judged = share === 0.5 && topology !== 'nats';
  return {
    topology,
    share,
    rate: median(mine.map(c => c.result.rate)),
    p50Ms: median(mine.map(c => c.result.p50Ms)),
    p99Ms: p99,
    p999Ms: median(mine.map(c => c.result.p999Ms)),
    maxMs: max,
    within10ms: median(mine.map(c => c.result.within10ms)),
    failures,
    unanswered,
    sendLagP99Ms: median(mine.map(c => c.result.sendLagP99Ms)),
    cpuUsPerRequest: median(mine.map(c => c.result.serverCpuUsPerRequest ?? NaN)),
    mainWaitPercent: median(mine.map(c => c.result.mainWaitPercent ?? NaN)),
    target: judged
      ? `${topology === 'bare' ? 'same bound for bare: ' : ''}p99 <= ${TARGETS.openP99Ms}, max <= ${TARGETS.openMaxMs} ms`
      : '',
    pass:
      judged && p99 !== null && max !== null
        ? p99 <= TARGETS.openP99Ms && max <= TARGETS.openMaxMs && failures === 0 && unanswered === 0
        : null,
  };
}

export const OPEN_HEADER = [
  'topology',
  'load',
  'req/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms (worst run)',
  '<= 10 ms',
  'failed',
  'unanswered',
  'send lag p99',
  'cpu us/req',
  'main waited %',
  'target',
];

export function openRows(summaries: OpenSummary[], label: (k: OpenSubject) => string): string[][] {
  return summaries.map(s => [
    label(s.topology),
    `${Math.round(s.share * 100)}% of peak`,
    fixed(s.rate, 0),
    fixed(s.p50Ms, 2),
    fixed(s.p99Ms, 2),
    fixed(s.p999Ms, 2),
    fixed(s.maxMs, 1),
    s.within10ms === null ? '-' : `${(100 * s.within10ms).toFixed(2)}%`,
    String(s.failures),
    String(s.unanswered),
    fixed(s.sendLagP99Ms, 2),
    usText(s.cpuUsPerRequest),
    fixed(s.mainWaitPercent, 1),
    s.target ? `${s.target} ${s.pass ? 'PASS' : 'FAIL'}` : '',
  ]);
}

export const GROWTH_HEADER = [
  'licenses',
  'stored',
  'cold req/s',
  'cold p50 ms',
  'cold cpu us/req',
  'cold db us/req',
  'cold answers',
  'warm req/s',
  'warm cpu us/req',
  'bare cpu us/req',
  'warm/bare (rounds)',
  'warm over',
  'view loads in batches (per batch)',
  'heap B/view',
  'rss B/view',
  'Zipf(1.0) hit rate',
];

/** The median round's quotient, then every round's: `x1.81 (1.77 / 1.81 / 1.93)`. */
export function quotients(g: GrowthRow): string {
  const each = (g.rounds ?? []).map(roundQuotient);
  const mid = g.bare ? roundQuotient({ warm: g.warm, bare: g.bare }) : null;
  if (mid === null) return '-';
  const all = each.length > 1 ? ` (${each.map(q => (q === null ? '-' : q.toFixed(2))).join(' / ')})` : '';
  return `x${mid.toFixed(2)}${all}`;
}

export function growthRows(rows: GrowthRow[]): string[][] {
  return rows.map(g => [
    g.licenses.toLocaleString('en-US'),
    g.stored.toLocaleString('en-US'),
    fixed(g.cold.rps, 1),
    fixed(g.cold.p50Ms, 0),
    usText(g.cold.serverCpuUsPerRequest),
    usText(g.cold.dbCpuUsPerRequest),
    `${g.cold.statusCodes['200'] ?? 0}/${g.cold.responses}`,
    fixed(g.warm.rps, 0),
    usText(g.warm.serverCpuUsPerRequest),
    usText(g.bare?.serverCpuUsPerRequest),
    quotients(g),
    `${g.warmViews} views`,
    viewLoadsText(g.viewLoads),
    fixed(g.memory?.heapPerViewBytes, 0),
    fixed(g.memory?.rssPerViewBytes, 0),
    g.zipf ? `${(100 * g.zipf.hitRate).toFixed(1)}%` : '-',
  ]);
}

/**
 * The wider hot set of each size that measured one: warm verify over every view its cold run loaded, as
 * a multiple of the judged figure (the same server over the hot set). Information, not a target: it
 * moves with how many licenses are busy, not with how many are stored.
 */
export function wideHotSetLines(rows: GrowthRow[]): string[] {
  return rows.flatMap(g => {
    const w = wideOverHot(g);
    if (!w) return [];
    return [
      `warm verify over all ${g.loadedViews} views loaded, ${g.licenses} licenses: ${usText(w.us)} us per request, ` +
        `x${w.times.toFixed(2)} of the same server over ${g.warmViews} (not judged: the hot set, not the licenses stored); ` +
        `req/s ${w.rps.toFixed(0)}`,
    ];
  });
}

/** The wider hot set's warm CPU per request and its multiple of the judged one; null when not measured. */
export function wideOverHot(g: GrowthRow): { us: number; times: number; rps: number } | null {
  const wide = g.wide?.serverCpuUsPerRequest;
  const hot = g.warm.serverCpuUsPerRequest;
  return g.wide && wide && hot ? { us: wide, times: wide / hot, rps: g.wide.rps } : null;
}

/**
 * The growth targets: warm cost flat within 10%, cold within 2x, from the fewest licenses to the most.
 * The sizes are measured minutes apart, and the machine's speed drifts over minutes (docs/performance.md),
 * so each size's CPU per request is divided by that of the bare server measured right after it, and with
 * several rounds per size the median round's quotient is the one judged. Result files from before the
 * paired bare are judged raw.
 */
export function growthVerdicts(rows: GrowthRow[]): string[] {
  if (rows.length < 2) return [];
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const bareA = first.bare?.serverCpuUsPerRequest;
  const bareB = last.bare?.serverCpuUsPerRequest;
  const paired = Boolean(bareA && bareB);
  const verdict = (scenario: 'warm' | 'cold', a: number, b: number) => {
    const [relA, relB] = paired ? [a / bareA!, b / bareB!] : [a, b];
    const ratio = relB / relA;
    const over = paired ? `; over bare measured beside each, x${relA.toFixed(2)} -> x${relB.toFixed(2)}` : '';
    return {
      ratio,
      text: `${scenario} verify CPU per request, ${first.licenses} -> ${last.licenses} licenses: ${a} -> ${b} us${over}`,
    };
  };
  const out: string[] = [];
  const warmA = first.warm.serverCpuUsPerRequest;
  const warmB = last.warm.serverCpuUsPerRequest;
  if (warmA && warmB) {
    const { ratio, text } = verdict('warm', warmA, warmB);
    const change = ratio - 1;
    out.push(
      `${text} (${(100 * change).toFixed(1)}%; target within ${100 * TARGETS.warmGrowth}%: ` +
        `${Math.abs(change) <= TARGETS.warmGrowth ? 'PASS' : 'FAIL'}); req/s ${first.warm.rps.toFixed(0)} -> ${last.warm.rps.toFixed(0)}`,
    );
  }
  const coldA = first.cold.serverCpuUsPerRequest;
  const coldB = last.cold.serverCpuUsPerRequest;
  if (coldA && coldB) {
    const { ratio, text } = verdict('cold', coldA, coldB);
    out.push(
      `${text} (x${ratio.toFixed(2)}; target within x${TARGETS.coldGrowth}: ${ratio <= TARGETS.coldGrowth ? 'PASS' : 'FAIL'})`,
    );
  }
  return out;
}
