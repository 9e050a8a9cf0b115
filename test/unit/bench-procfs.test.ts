// bench/lib/procfs.ts: what the rest of the machine ran during a measured window, so a late answer can be
// told apart from a busy machine (the open loop prints it under each run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { othersText } from '../../bench/report.ts';
import { machineTicks, othersBetween, type ProcessTicks } from '../../bench/lib/procfs.ts';

const ticks = (entries: [number, string, number][]) =>
  new Map<number, ProcessTicks>(entries.map(([pid, name, t]) => [pid, { name, ticks: t }]));

describe('bench: the rest of the machine during a window', () => {
  it('sums the CPU of processes outside the bench, busiest names first', () => {
    const before = ticks([
      [1, 'init', 100],
      [10, 'server', 500],
      [20, 'redis-server', 40],
      [21, 'beam.smp', 7],
    ]);
    const after = ticks([
      [1, 'init', 101],
      [10, 'server', 900],
      [20, 'redis-server', 43],
      [21, 'beam.smp', 19],
      [30, 'epmd', 2],
    ]);
    const o = othersBetween(before, after, new Set([10]));
    expect(o.cpuMs).to.equal((1 + 3 + 12 + 2) * 10);
    expect(o.busiest).to.deep.equal([
      { name: 'beam.smp', ms: 120 },
      { name: 'redis-server', ms: 30 },
      { name: 'epmd', ms: 20 },
    ]);
    expect(o.started).to.equal(1);
  });

  it('adds processes of one name together and ignores a pid whose count went down (reused)', () => {
    const before = ticks([
      [5, 'sh', 10],
      [6, 'sh', 0],
      [7, 'x', 50],
    ]);
    const after = ticks([
      [5, 'sh', 14],
      [6, 'sh', 3],
      [7, 'x', 1],
    ]);
    const o = othersBetween(before, after, new Set());
    expect(o.busiest).to.deep.equal([{ name: 'sh', ms: 70 }]);
    expect(o.cpuMs).to.equal(70);
  });

  it('says what it saw, and "not sampled" for result files written before it existed', () => {
    expect(othersText({ cpuMs: 130, busiest: [{ name: 'beam.smp', ms: 120 }], started: 9 })).to.equal(
      'the rest of the machine ran 130 ms of CPU (beam.smp 120 ms); 9 processes started',
    );
    expect(othersText({ cpuMs: 0, busiest: [], started: 1 })).to.equal(
      'the rest of the machine ran 0 ms of CPU; 1 process started',
    );
    expect(othersText(undefined)).to.equal('the rest of the machine: not sampled');
  });

  it('counts a short-lived child in its parent once the parent has waited for it', function () {
    if (!existsSync('/proc/self/stat')) this.skip();
    const before = machineTicks();
    // A child that burns about 300 ms of CPU and exits; spawnSync waits for it, as a daemon reaps its helpers.
    const child = spawnSync(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 300);']);
    expect(child.status).to.equal(0);
    const after = machineTicks();
    expect(before.get(child.pid)).to.equal(undefined);
    expect(after.get(child.pid)).to.equal(undefined);
    const o = othersBetween(before, after, new Set());
    expect(o.cpuMs).to.be.at.least(250);
    const mine = (after.get(process.pid)?.ticks ?? 0) - (before.get(process.pid)?.ticks ?? 0);
    expect(mine * 10).to.be.at.least(250);
  });
});
