// The verify path's in-process cache: shared loads, expiry, invalidation and its size bound.
import { expect } from 'chai';
import { ViewCache } from '../../services/license/view-cache.ts';

describe('ViewCache', function () {
  it('shares one load between concurrent misses of a key', async function () {
    const cache = new ViewCache<string>(60_000, 10);
    let loads = 0;
    const load = () => {
      loads += 1;
      return Promise.resolve('v');
    };
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect([a, b, loads]).to.deep.equal(['v', 'v', 1]);
  });

  it('answers peek only once the value is loaded and fresh', async function () {
    const cache = new ViewCache<string>(1000, 10);
    const pending = cache.get('k', () => Promise.resolve('v'), 0);
    expect(cache.peek('k', 0)).to.equal(undefined);
    await pending;
    expect(cache.peek('k', 999)).to.equal('v');
    expect(cache.peek('k', 1000)).to.equal(undefined);
  });

  it('reloads an expired entry', async function () {
    const cache = new ViewCache<number>(1000, 10);
    let n = 0;
    const load = () => Promise.resolve(++n);
    expect(await cache.get('k', load, 0)).to.equal(1);
    expect(await cache.get('k', load, 500)).to.equal(1);
    expect(await cache.get('k', load, 1000)).to.equal(2);
  });

  it('forgets a failed load, so the next get tries again', async function () {
    const cache = new ViewCache<string>(60_000, 10);
    await cache.get('k', () => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(await cache.get('k', () => Promise.resolve('back'))).to.equal('back');
  });

  it('evicts the oldest entry beyond its size', async function () {
    const cache = new ViewCache<string>(60_000, 2);
    for (const key of ['a', 'b', 'c']) await cache.get(key, () => Promise.resolve(key));
    expect(cache.size).to.equal(2);
    expect(cache.peek('a')).to.equal(undefined);
    expect(cache.peek('c')).to.equal('c');
  });

  it('evicts the least recently used entry, not the oldest loaded one', async function () {
    const cache = new ViewCache<string>(60_000, 2);
    await cache.get('a', () => Promise.resolve('a'), 0);
    await cache.get('b', () => Promise.resolve('b'), 0);
    // 'a' is read (again) later: 'b' is now the least recently used.
    expect(cache.peek('a', 2000)).to.equal('a');
    await cache.get('c', () => Promise.resolve('c'), 2000);
    expect(cache.peek('a', 2001)).to.equal('a');
    expect(cache.peek('b', 2001)).to.equal(undefined);
    expect(cache.peek('c', 2001)).to.equal('c');
  });

  it('keeps misses apart: a flood of keys that name nothing never pushes out the working set', async function () {
    const cache = new ViewCache<string | null>(60_000, 3, { isMiss: v => v === null, maxMisses: 5 });
    for (const key of ['a', 'b', 'c']) await cache.get(key, () => Promise.resolve(key));
    for (let i = 0; i < 1000; i += 1) await cache.get(`random-${i}`, () => Promise.resolve(null));
    expect(['a', 'b', 'c'].map(k => cache.peek(k))).to.deep.equal(['a', 'b', 'c']);
    // The misses are bounded on their own, the newest kept (a repeated miss costs no load).
    expect(cache.size).to.equal(3 + 5);
    expect(cache.peek('random-999')).to.equal(null);
    expect(cache.peek('random-0')).to.equal(undefined);
  });

  it('moves a key from the misses to the found values when it starts to name something', async function () {
    const cache = new ViewCache<string | null>(1000, 3, { isMiss: v => v === null });
    await cache.get('k', () => Promise.resolve(null), 0);
    cache.invalidate('k');
    expect(await cache.get('k', () => Promise.resolve('now there'), 1)).to.equal('now there');
    expect(cache.size).to.equal(1);
  });

  it('does not keep a load that was invalidated while in flight', async function () {
    const cache = new ViewCache<string>(60_000, 10);
    let finish: (v: string) => void = () => undefined;
    const pending = cache.get('k', () => new Promise<string>(resolve => (finish = resolve)));
    cache.invalidate('k');
    finish('stale');
    expect(await pending).to.equal('stale');
    expect(cache.peek('k')).to.equal(undefined);
  });

  it('drops one key, matching entries, or everything', async function () {
    const cache = new ViewCache<{ customer: number }>(60_000, 10);
    for (const [key, customer] of [
      ['a', 1],
      ['b', 2],
      ['c', 1],
    ] as const)
      await cache.get(key, () => Promise.resolve({ customer }));
    cache.invalidate('b');
    expect(cache.peek('b')).to.equal(undefined);
    cache.invalidateWhere(v => v.customer === 1);
    expect(cache.size).to.equal(0);
    await cache.get('d', () => Promise.resolve({ customer: 3 }));
    cache.clear();
    expect(cache.size).to.equal(0);
  });
});

describe('ViewCache: expired values reloaded in the background', function () {
  /** A cache whose background reloads are recorded, answered with `key@<n>`. */
  function cacheWithReloads(maxAgeMs = 1000) {
    const reloaded: string[] = [];
    const cache = new ViewCache<string>(maxAgeMs, 100, {
      maxStaleMs: 10_000,
      refresh: key => {
        reloaded.push(key);
        return Promise.resolve(`${key}@reloaded`);
      },
    });
    return { cache, reloaded };
  }

  const loaded = (key: string) => () => Promise.resolve(`${key}@loaded`);

  it('answers an expired value while it reloads it, then the reloaded one', async function () {
    const { cache, reloaded } = cacheWithReloads();
    await cache.get('a', loaded('a'), 0);
    expect(cache.peek('a', 1500)).to.equal('a@loaded');
    expect(reloaded).to.deep.equal(['a']);
    await new Promise(resolve => setImmediate(resolve));
    expect(cache.peek('a', 1500)).to.equal('a@reloaded');
  });

  it('reloads with it the values loaded in the same second that were read since', async function () {
    const { cache, reloaded } = cacheWithReloads(60_000);
    await Promise.all(['a', 'b', 'c'].map((k, i) => cache.get(k, loaded(k), 10_000 + i * 100)));
    await cache.get('d', loaded('d'), 11_500); // the next second: a cohort of its own
    for (const k of ['a', 'b', 'd']) cache.peek(k, 12_000); // read since; c never is
    expect(cache.peek('a', 70_000)).to.equal('a@loaded');
    expect(reloaded).to.deep.equal(['a', 'b']);
  });

  it('does not reload with the cohort a value dropped or reloaded since', async function () {
    const { cache, reloaded } = cacheWithReloads(60_000);
    await Promise.all(['a', 'b', 'c'].map(k => cache.get(k, loaded(k), 10_000)));
    for (const k of ['a', 'b', 'c']) cache.peek(k, 12_000);
    cache.invalidate('b');
    cache.invalidate('c');
    await cache.get('c', () => Promise.resolve('c@new'), 20_000); // loaded again: another cohort
    expect(cache.peek('a', 70_000)).to.equal('a@loaded');
    expect(reloaded).to.deep.equal(['a']);
  });

  it('reloads a cohort once: the next stale read of it starts nothing more', async function () {
    const { cache, reloaded } = cacheWithReloads(60_000);
    await Promise.all(['a', 'b'].map(k => cache.get(k, loaded(k), 10_000)));
    for (const k of ['a', 'b']) cache.peek(k, 12_000);
    cache.peek('a', 70_000);
    cache.peek('b', 70_000);
    expect(reloaded).to.deep.equal(['a', 'b']);
  });
});
