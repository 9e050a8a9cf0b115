/**
 * The view cache's hit rate for a realistic key distribution: Zipf(s) over all N licenses (the license
 * of rank k asked with probability proportional to 1/k^s), replayed through the real ViewCache class
 * with the limits services/license/verify-path.ts gives it (read from that file, so they cannot drift),
 * on a simulated clock at a fixed request rate. A hit is a verify whose view was in memory (fresh, or
 * expired and still answering while it is reloaded in the background); a miss reads the database.
 *
 *   node bench/zipf.ts [N ...]      prints one JSON line per N
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ViewCache } from '../services/license/view-cache.ts';

export interface CacheLimits {
  maxAgeMs: number;
  maxEntries: number;
  maxStaleMs: number;
}

/** The view cache's limits as verify-path.ts sets them. */
export function viewCacheLimits(): CacheLimits {
  const source = readFileSync(fileURLToPath(new URL('../services/license/verify-path.ts', import.meta.url)), 'utf8');
  const patterns = {
    VIEW_MAX_AGE_MS: /const VIEW_MAX_AGE_MS = ([0-9_ *]+);/,
    VIEW_MAX_ENTRIES: /const VIEW_MAX_ENTRIES = ([0-9_ *]+);/,
    MAX_STALE_MS: /const MAX_STALE_MS = ([0-9_ *]+);/,
  };
  const constant = (name: keyof typeof patterns): number => {
    const m = patterns[name].exec(source);
    if (!m) throw new Error(`${name} not found in services/license/verify-path.ts`);
    return m[1]!
      .split('*')
      .map(part => Number(part.trim().replaceAll('_', '')))
      .reduce((a, b) => a * b, 1);
  };
  return {
    maxAgeMs: constant('VIEW_MAX_AGE_MS'),
    maxEntries: constant('VIEW_MAX_ENTRIES'),
    maxStaleMs: constant('MAX_STALE_MS'),
  };
}

export interface ZipfResult {
  licenses: number;
  s: number;
  requestsPerSecond: number;
  /** Requests replayed before counting (the cache fills), then counted. */
  warmupRequests: number;
  countedRequests: number;
  hitRate: number;
  limits: CacheLimits;
}

/** Cumulative Zipf distribution over ranks 1..n. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k += 1) {
    sum += 1 / Math.pow(k, s);
    cdf[k - 1] = sum;
  }
  for (let i = 0; i < n; i += 1) cdf[i]! /= sum;
  return cdf;
}

/** A seeded generator (mulberry32), so every run replays the same stream. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function zipfHitRate(
  licenses: number,
  opts: { s?: number; requestsPerSecond?: number; warmupRequests?: number; countedRequests?: number } = {},
): Promise<ZipfResult> {
  const s = opts.s ?? 1.0;
  const rps = opts.requestsPerSecond ?? 10_000;
  const warmup = opts.warmupRequests ?? 1_000_000;
  const counted = opts.countedRequests ?? 2_000_000;
  const limits = viewCacheLimits();
  const cdf = zipfCdf(licenses, s);
  const rand = random(14);
  const value = Promise.resolve(1);
  const cache = new ViewCache<number>(limits.maxAgeMs, limits.maxEntries, {
    refresh: () => value,
    maxStaleMs: limits.maxStaleMs,
  });
  let hits = 0;
  for (let i = 0; i < warmup + counted; i += 1) {
    const u = rand();
    let lo = 0;
    let hi = licenses - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    const key = String(lo);
    const now = Math.floor((i * 1000) / rps);
    if (cache.peek(key, now) !== undefined) {
      if (i >= warmup) hits += 1;
    } else {
      await cache.get(key, () => value, now);
    }
  }
  return {
    licenses,
    s,
    requestsPerSecond: rps,
    warmupRequests: warmup,
    countedRequests: counted,
    hitRate: hits / counted,
    limits,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number);
  for (const n of sizes.length ? sizes : [1000, 100_000, 1_000_000]) {
    process.stdout.write(`${JSON.stringify(await zipfHitRate(n))}\n`);
  }
}
