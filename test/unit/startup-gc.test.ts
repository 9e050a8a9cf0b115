// lib/infra/startup-gc.ts: a node collects start-up's garbage once it has started, so the load's first
// full collection does not mark it (docs/performance.md). Each case runs in a fresh Node process, whose
// flags and heap it may change without touching the test runner's.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const moduleUrl = new URL('../../lib/infra/startup-gc.ts', import.meta.url).href;

interface Outcome {
  collected: { heapBeforeBytes: number; heapAfterBytes: number; ms: number } | null;
  gcGlobal: string;
  gcInNewContext: string;
}

/** In a fresh Node process (with `flags`): garbage of `garbageMb`, then collectStartupGarbage(). */
function collectInChild(garbageMb: number, flags: string[] = []): Outcome {
  const script = `
    import vm from 'node:vm';
    import { collectStartupGarbage } from ${JSON.stringify(moduleUrl)};
    // Old-generation garbage, as loading modules leaves: objects that outlive two scavenges, then dropped.
    let kept = [];
    for (let i = 0; i < ${garbageMb} * 1024; i++) kept.push({ i, text: 'x'.repeat(1000) + i });
    for (let i = 0; i < 3; i++) new Array(1e6).fill(i);
    kept = null;
    const collected = collectStartupGarbage();
    console.log(JSON.stringify({
      collected,
      gcGlobal: typeof globalThis.gc,
      gcInNewContext: vm.runInNewContext('typeof gc'),
    }));`;
  const child = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  expect(child.status, child.stderr).to.equal(0);
  return JSON.parse(child.stdout) as Outcome;
}

describe('start-up garbage collected once the node has started', function () {
  this.timeout(20_000);

  it('frees what start-up left behind and says how much', function () {
    const { collected } = collectInChild(40);
    expect(collected).to.not.equal(null);
    const { heapBeforeBytes, heapAfterBytes, ms } = collected!;
    // 40 MB of objects dropped (some of them already taken by scavenges before): at least 15 MB gone.
    expect(heapBeforeBytes - heapAfterBytes).to.be.above(15 * 1024 * 1024);
    expect(ms).to.be.a('number').and.to.be.at.least(0);
  });

  it('leaves no gc function behind for the process or its new contexts', function () {
    const outcome = collectInChild(1);
    expect(outcome.collected).to.not.equal(null);
    expect(outcome.gcGlobal).to.equal('undefined');
    expect(outcome.gcInNewContext).to.equal('undefined');
  });

  it('uses the gc a process was started with, and leaves it in place', function () {
    const outcome = collectInChild(1, ['--expose-gc']);
    expect(outcome.collected).to.not.equal(null);
    expect(outcome.gcGlobal).to.equal('function');
  });
});
