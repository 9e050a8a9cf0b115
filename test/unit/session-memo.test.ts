// The session store's memo of recent admissions (services/license/sessions.ts), driven through
// failedOpen, which remembers an admission without Redis: it stays bounded, and a process that admits
// more activations within the refresh interval than the bound does not walk the whole memo on every
// admission (it did: about 1 ms each past 100,000).
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { SessionStore } from '../../services/license/sessions.ts';

const UNUSED_REDIS = new Proxy(
  {},
  {
    get() {
      throw new Error('the memo must not talk to Redis');
    },
  },
) as unknown as Redis;

describe('SessionStore memo of recent admissions', function () {
  it('remembers an admission for the refresh interval, then forgets it', function () {
    const store = new SessionStore(UNUSED_REDIS, 300);
    const t0 = 1_000_000_000_000;
    store.failedOpen(7, t0);
    expect(store.admittedRecently(7, t0 + 29_999)).to.equal(true);
    expect(store.admittedRecently(7, t0 + 30_000)).to.equal(false);
  });

  it('stays bounded and cheap when 300,000 activations are admitted within the interval', function () {
    const store = new SessionStore(UNUSED_REDIS, 300);
    const t0 = 1_000_000_000_000;
    const started = performance.now();
    for (let id = 1; id <= 300_000; id += 1) store.failedOpen(id, t0 + Math.floor(id / 100));
    const ms = performance.now() - started;
    // Walking a full memo per admission took minutes here; a prune every 10,000 admissions, well under one.
    expect(ms).to.be.below(5000);
    expect((store as unknown as { recent: Map<number, number> }).recent.size).to.be.at.most(100_000);
    // The latest admissions are the ones kept.
    expect(store.admittedRecently(300_000, t0 + 3000)).to.equal(true);
    expect(store.admittedRecently(1, t0 + 3000)).to.equal(false);
  });
});
