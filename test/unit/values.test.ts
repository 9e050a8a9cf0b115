import { expect } from 'chai';
import v8 from 'node:v8';
import vm from 'node:vm';
import { headerInt } from '../../lib/core/values.ts';

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find(s => s.space_name === 'old_space')!.space_used_size;

/**
 * Old-generation bytes left per conversion of a new number each "request", with ~17 KB of short-lived
 * garbage between two conversions (a served verify allocates about 11 KB). Measured again (up to 3 times) when a
 * full collection ran meanwhile: it would shrink the old generation and hide what was left.
 */
function oldBytesPerConversion(convert: (n: number) => string): number {
  const count = 100_000;
  for (let attempt = 1; ; attempt += 1) {
    let sink = 0;
    collect();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = oldSpaceUsed();
    for (let i = 0; i < count; i += 1) {
      sink += convert(1_000_000_000 - i).length;
      for (let j = 0; j < 40; j += 1) sink += new Array<number>(50).fill(j).length;
    }
    const after = oldSpaceUsed();
    const full = profiler.stop()?.statistics.some(s => s.gcType !== 'Scavenge') ?? false;
    expect(sink).to.be.above(0);
    if (!full || attempt === 3) return (after - before) / count;
  }
}

describe('headerInt (a changing number as header text)', () => {
  it('writes the same text as String() for the integers headers carry', () => {
    for (const n of [0, 1, 59, 60, 100, 9_999, 1_000_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      expect(headerInt(n)).to.equal(String(n));
    }
  });

  it('leaves no old-generation garbage per new number, where String() does', function () {
    this.timeout(20_000);
    const viaString = oldBytesPerConversion(n => String(n));
    const viaHeaderInt = oldBytesPerConversion(headerInt);
    // The control shows the measurement sees the number-string cache's promoted text at all.
    expect(viaString, 'String(): old-generation bytes per conversion').to.be.above(4);
    expect(viaHeaderInt, 'headerInt: old-generation bytes per conversion').to.be.below(1);
  });
});
