// lib/infra/helper-threads.ts: V8's helper threads run below the main thread, so on a shared core a busy
// helper does not take turns with the requests (docs/performance.md). Each case runs in a child process,
// whose threads it may change without touching the test runner's.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const moduleUrl = new URL('../../lib/infra/helper-threads.ts', import.meta.url).href;

interface Threads {
  changed: number;
  main: number;
  workers: number[];
  others: number[];
}

/** In a fresh Node process: lowerV8HelperThreads(by), then every thread's nice value by kind. */
function lowerInChild(by: number): Threads {
  const script = `
    import { readFileSync, readdirSync } from 'node:fs';
    import { lowerV8HelperThreads } from ${JSON.stringify(moduleUrl)};
    const changed = lowerV8HelperThreads(${by});
    const nice = tid => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
    const name = tid => readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim();
    const tids = readdirSync('/proc/self/task').map(Number).filter(t => t !== process.pid);
    console.log(JSON.stringify({
      changed,
      main: nice(process.pid),
      workers: tids.filter(t => name(t) === 'V8Worker').map(nice),
      others: tids.filter(t => name(t) !== 'V8Worker').map(nice),
    }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  expect(child.status, child.stderr).to.equal(0);
  return JSON.parse(child.stdout) as Threads;
}

describe('V8 helper threads below the main thread', function () {
  before(function () {
    if (!existsSync('/proc/self/task')) this.skip();
  });

  it('lowers every V8 worker thread by the given levels and leaves the main thread and the others', function () {
    const t = lowerInChild(10);
    expect(t.workers.length).to.be.at.least(1);
    expect(t.changed).to.equal(t.workers.length);
    expect(t.main).to.equal(0);
    expect(t.workers.every(n => n === 10)).to.equal(true);
    expect(t.others.every(n => n === 0)).to.equal(true);
  });

  it('stops at nice 19, the lowest priority there is', function () {
    const t = lowerInChild(25);
    expect(t.workers.every(n => n === 19)).to.equal(true);
    expect(t.main).to.equal(0);
  });

  it('changes nothing when told 0 levels', function () {
    const t = lowerInChild(0);
    expect(t.changed).to.equal(0);
    expect([t.main, ...t.workers, ...t.others].every(n => n === 0)).to.equal(true);
  });
});
