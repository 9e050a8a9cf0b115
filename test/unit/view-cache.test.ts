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
