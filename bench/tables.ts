/**
 * The Markdown tables of docs/performance.md, from a bench result file, so that the document shows
 * exactly what a run measured:
 *
 *   node bench/tables.ts [bench/results/latest.json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  quotients,
  type ClosedCell,
  type ClosedSummary,
  type GrowthRow,
  viewLoadsText,
  type OpenCell,
  type OpenSubject,
  type OpenSummary,
  usText,
  wideOverHot,
} from './report.ts';
import { SCENARIO_LABELS } from './scenarios.ts';
import { TOPOLOGIES } from './topologies.ts';

interface Results {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  bare: { median: { rps: number | null; cpu: number | null }; runs: { rps: number }[] };
  closed: { summary: ClosedSummary[]; runs: ClosedCell[] };
  open: { summary: OpenSummary[]; runs: OpenCell[] };
  growth: GrowthRow[];
}

const int = (n: number | null | undefined) =>
  n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en');
const dec = (n: number | null | undefined, digits: number) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
/** CPU µs per request, thousands grouped above 100 (report.ts `usText`). */
const us = (n: number | null | undefined) => usText(n, int);
const label = (k: OpenSubject) =>
  (k === 'bare' ? 'bare node:http' : TOPOLOGIES.find(t => t.key === k)!.label).replace('|', '\\|');

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function closedTable(r: Results): string {
  const rows = r.closed.summary.map(s => {
    const runs = s.ratios.map(x => dec(x, 2)).join(' / ');
    const ratio =
      s.ratio === null
        ? '-'
        : `${s.scenario === 'warm' || s.scenario === 'heartbeat' ? `**${dec(s.ratio, 3)}**` : dec(s.ratio, 3)}`;
    const target =
      s.target === null
        ? ''
        : `>= ${s.target.toFixed(2)}: ${s.pass ? 'PASS' : 'FAIL'}${s.ratios.some(x => x < s.target!) ? ', a run below' : ''}`;
    return [
      label(s.topology),
      SCENARIO_LABELS[s.scenario],
      int(s.rps),
      s.scenario === 'warm' || s.scenario === 'heartbeat' ? `${ratio}; ${runs}` : ratio,
      us(s.cpuUsPerRequest),
      us(s.dbCpuUsPerRequest),
      dec(s.p99Ms, 1),
      String(s.failures),
      target,
    ];
  });
  return table(
    [
      'topology',
      'scenario',
      'req/s',
      'ratio to bare (median; per run)',
      'CPU µs/req (servers)',
      'CPU µs/req (database)',
      'p99 ms',
      'failed',
      'issue 14 target',
    ],
    rows,
  );
}

function openTable(r: Results): string {
  const rows = r.open.summary.map(s => {
    const runs = r.open.runs
      .filter(c => c.topology === s.topology && c.share === s.share)
      .map(c => dec(c.result.p99Ms, 1))
      .join(' / ');
    return [
      label(s.topology),
      `${Math.round(s.share * 100)}%`,
      int(s.rate),
      dec(s.p50Ms, 2),
      `${dec(s.p99Ms, 2)} (runs ${runs})`,
      dec(s.p999Ms, 2),
      dec(s.maxMs, 1),
      s.within10ms === null ? '-' : `${(100 * s.within10ms).toFixed(2)}%`,
      dec(s.sendLagP99Ms, 2),
      us(s.cpuUsPerRequest),
      s.pass === null ? '' : s.pass ? 'PASS' : '**FAIL**',
    ];
  });
  return table(
    [
      'topology',
      'load',
      'req/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'worst ms (any run)',
      'answered within 10 ms',
      'send lag p99 ms',
      'CPU µs/req',
      'bound (50%: p99 <= 10 ms, none over 100 ms)',
    ],
    rows,
  );
}

function wideText(g: GrowthRow): string {
  const w = wideOverHot(g);
  return w ? `${int(g.loadedViews)} views: ${us(w.us)} µs (x${w.times.toFixed(2)})` : '-';
}

function growthTable(r: Results): string {
  const rows = r.growth.map(g => [
    `${int(g.licenses)} (${int(g.stored)})`,
    dec(g.cold.rps, 1),
    int(g.cold.p50Ms),
    `${us(g.cold.serverCpuUsPerRequest)} / ${us(g.cold.dbCpuUsPerRequest)}`,
    int(g.warm.rps),
    us(g.warm.serverCpuUsPerRequest),
    us(g.bare?.serverCpuUsPerRequest),
    quotients(g),
    `${int(g.warmViews)} views`,
    wideText(g),
    viewLoadsText(g.viewLoads),
    `${int(g.memory?.heapPerViewBytes)} B / ${int(g.memory?.rssPerViewBytes)} B`,
    g.zipf ? `${(100 * g.zipf.hitRate).toFixed(1)}%` : '-',
  ]);
  return table(
    [
      'licenses (stored)',
      'cold req/s',
      'cold p50 ms',
      'cold CPU µs/req servers / database',
      'warm req/s',
      'warm CPU µs/req',
      'bare CPU µs/req beside it',
      'warm over bare (each round)',
      'warm spread over',
      'warm over every view loaded (not judged)',
      'view loads in batches (per batch)',
      'heap / RSS per cached license',
      'Zipf(1.0) hit rate',
    ],
    rows,
  );
}

const file = process.argv[2] ?? path.join(import.meta.dirname, 'results/latest.json');
const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
const bare = r.bare.median;
process.stdout.write(
  `${r.date}, Node ${r.node}, ${r.cpu}, ${r.cores} cores\n\n` +
    `bare node:http: **${int(bare.rps)} req/s** (runs: ${r.bare.runs.map(b => int(b.rps)).join(' / ')}), ${us(bare.cpu)} µs CPU per request.\n\n` +
    `${closedTable(r)}\n\n${openTable(r)}\n` +
    (r.growth.length ? `\n${growthTable(r)}\n` : ''),
);
