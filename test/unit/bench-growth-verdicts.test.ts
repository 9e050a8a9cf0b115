// bench/report.ts: each growth size keeps the round whose warm-over-bare quotient is the median, and the
// growth targets judge those medians, so one slow round does not decide a verdict.
import { expect } from 'chai';
import type { ClosedResult } from '../../bench/load-generator.ts';
import {
  growthVerdicts,
  medianRound,
  quotients,
  viewLoadsFrom,
  viewLoadsText,
  usText,
  wideHotSetLines,
  type GrowthRound,
  type GrowthRow,
} from '../../bench/report.ts';
import { usPerRequest } from '../../bench/load-generator.ts';
import { HotMetrics } from '../../lib/observability/hot-metrics.ts';

function closed(cpuUs: number | null, rps = 20_000): ClosedResult {
  return { rps, serverCpuUsPerRequest: cpuUs, statusCodes: { 200: rps } } as unknown as ClosedResult;
}

function round(warmUs: number, bareUs: number): GrowthRound {
  return { warm: closed(warmUs), bare: closed(bareUs) };
}

function row(licenses: number, rounds: GrowthRound[], coldUs = 2000): GrowthRow {
  const mid = medianRound(rounds);
  return {
    licenses,
    stored: licenses + 1,
    cold: closed(coldUs, 250),
    warm: mid.warm,
    bare: mid.bare,
    rounds,
    warmViews: 1000,
    memory: null,
    zipf: null,
  };
}

describe('bench growth: median rounds', () => {
  it('keeps the round whose warm/bare quotient is the median', () => {
    const rounds = [round(60, 30), round(45, 30), round(50, 30)];
    expect(medianRound(rounds)).to.equal(rounds[2]);
  });

  it('takes the lower middle of an even number of rounds', () => {
    const rounds = [round(60, 30), round(45, 30), round(50, 30), round(66, 30)];
    expect(medianRound(rounds)).to.equal(rounds[2]);
  });

  it('ranks a round without CPU figures last', () => {
    const rounds = [{ warm: closed(null), bare: closed(30) }, round(45, 30), round(50, 30)];
    expect(medianRound(rounds)).to.equal(rounds[2]);
  });

  it('refuses a size without rounds', () => {
    expect(() => medianRound([])).to.throw('at least one round');
  });

  it('prints the median quotient, then every round', () => {
    expect(quotients(row(1000, [round(60, 30), round(45, 30), round(50, 30)]))).to.equal('x1.67 (2.00 / 1.50 / 1.67)');
    expect(quotients(row(1000, [round(54, 30)]))).to.equal('x1.80');
  });

  it('passes warm growth on medians where one slow round alone would fail it', () => {
    const first = row(1000, [round(75, 30), round(51, 30), round(52, 30)]);
    const last = row(1_000_000, [round(53, 30), round(54, 30), round(52, 30)]);
    const [warm] = growthVerdicts([first, last]);
    expect(warm).to.include('x1.73 -> x1.77').and.include('PASS');
    const [firstRoundsOnly] = growthVerdicts([row(1000, [first.rounds![0]!]), row(1_000_000, [last.rounds![0]!])]);
    expect(firstRoundsOnly).to.include('x2.50 -> x1.77').and.include('FAIL');
  });

  it('fails warm growth when the medians differ by more than 10%', () => {
    const first = row(1000, [round(50, 30), round(51, 30), round(52, 30)]);
    const last = row(1_000_000, [round(60, 30), round(61, 30), round(59, 30)]);
    const [warm] = growthVerdicts([first, last]);
    expect(warm).to.include('x1.70 -> x2.00').and.include('FAIL');
  });
});

describe('bench growth: view loads from /metrics', () => {
  function metricsText(views: number, batches: number): string {
    const metrics = new HotMetrics();
    metrics.counter('license_view_loads_total', 'views').child({}).inc(views);
    metrics.counter('license_view_load_batches_total', 'batches').child({}).inc(batches);
    metrics.counter('verifications_total', 'verifies').child({ code: 'VALID' }).inc(99);
    return metrics.render({ node: 'bench-node' });
  }

  it('reads both counters from the text a server renders', () => {
    expect(viewLoadsFrom(metricsText(1200, 150))).to.deep.equal({ views: 1200, batches: 150 });
  });

  it('answers null when a server does not count view loads', () => {
    const metrics = new HotMetrics();
    metrics.counter('verifications_total', 'verifies').child({}).inc(5);
    expect(viewLoadsFrom(metrics.render({}))).to.equal(null);
  });

  it('prints the views, the batches and the views per batch', () => {
    expect(viewLoadsText({ views: 12_000, batches: 1500 })).to.equal('12,000 in 1,500 (8.0)');
    expect(viewLoadsText(null)).to.equal('-');
    expect(viewLoadsText({ views: 0, batches: 0 })).to.equal('-');
  });
});

describe('bench growth: the wider hot set, beside the judged one', () => {
  it('prints the wider run as a multiple of the same server over the hot set', () => {
    const g = {
      ...row(100_000, [round(19, 14), round(19.5, 14), round(20, 14)]),
      loadedViews: 7565,
      wide: closed(22.6, 43_000),
    };
    expect(wideHotSetLines([g])).to.deep.equal([
      'warm verify over all 7565 views loaded, 100000 licenses: 22.6 us per request, x1.16 of the same server over 1000 ' +
        '(not judged: the hot set, not the licenses stored); req/s 43000',
    ]);
  });

  it('prints nothing for a size whose cold run loaded no more than the hot set', () => {
    expect(wideHotSetLines([{ ...row(1000, [round(19, 14)]), loadedViews: 996, wide: null }])).to.deep.equal([]);
  });

  it('leaves the verdict to the hot-set rounds, whatever the wider run measured', () => {
    const first = row(1000, [round(19, 14)]);
    const last = { ...row(100_000, [round(19.8, 14)]), loadedViews: 7565, wide: closed(30, 40_000) };
    const [warm] = growthVerdicts([first, last]);
    expect(warm).to.include('19 -> 19.8 us').and.include('PASS');
  });
});

describe('bench: CPU per request to a tenth of a microsecond', () => {
  it('keeps a tenth, so two figures near 20 us compare within a percent', () => {
    expect(usPerRequest(10_450, 500_000)).to.equal(20.9);
    expect(usPerRequest(7_000, 500_000)).to.equal(14);
  });

  it('answers null when nothing was answered', () => {
    expect(usPerRequest(1000, 0)).to.equal(null);
  });

  it('prints a tenth below 100 us and whole microseconds above', () => {
    expect(usText(20.94)).to.equal('20.9');
    expect(usText(14)).to.equal('14.0');
    expect(usText(676.4)).to.equal('676');
    expect(usText(null)).to.equal('-');
  });
});
