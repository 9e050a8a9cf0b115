/**
 * Memory per cached license, measured with the server's own code: N views built by verify-path.ts's
 * `viewOf` from documents shaped as the database returns them (one customer status and one activation
 * each, as a typical license), stored in a ViewCache with verify-path.ts's limits, plus the session
 * memo's entry per admitted activation (sessions.ts keeps a Map<activation id, time>). Heap (after two
 * garbage collections) and RSS before and after, divided by the views kept (at most the cache's size).
 *
 * Why not fill the running server's cache instead: every view is loaded by a cold verify, and on the
 * embedded database each cold verify scans whole collections (docs/performance.md), so loading
 * 100,000 views takes hours there. On MongoDB, `growth.ts` could do it over HTTP.
 *
 *   node --expose-gc bench/view-memory.ts <N>      prints one JSON line
 */
import type { LicenseDoc } from '../models/license.model.ts';
import { ViewCache } from '../services/license/view-cache.ts';
import type { LicenseView } from '../services/license/verdict.ts';
import { viewOf } from '../services/license/views.ts';
import { poolKey } from './seed.ts';
import { BENCH_HARDWARE, POOLS } from './scenarios.ts';
import { viewCacheLimits } from './zipf.ts';

export interface ViewMemory {
  licenses: number;
  views: number;
  heapPerViewBytes: number;
  rssPerViewBytes: number;
}

async function measure(n: number): Promise<ViewMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const limits = viewCacheLimits();
  const cache = new ViewCache<LicenseView>(limits.maxAgeMs, limits.maxEntries, {
    isMiss: v => v.license === null,
  });
  const memo = new Map<number, number>();
  const settle = () => {
    gc();
    gc();
    return process.memoryUsage();
  };
  const before = settle();
  const now = new Date();
  for (let i = 0; i < n; i += 1) {
    const key = poolKey(POOLS.verify, i);
    const doc: LicenseDoc = {
      _id: 1000 + i,
      key,
      customer_id: 7,
      type: 'perpetual',
      valid_from: new Date(Date.UTC(2025, 0, 1)),
      valid_until: null,
      max_activations: 10,
      max_users: 10,
      is_active: true,
      expired_notified: false,
      activation_level: 0,
      notes: '',
      created_at: now,
      updated_at: now,
    };
    // As customer.statuses and device.forLicense answer over the broker: fresh objects per load.
    const customer = { id: 7, name: 'Bench customer', email: 'bench@bench.invalid', is_active: true };
    const activation = {
      id: 5000 + i,
      license_id: doc._id,
      license_key: key,
      hardware_hash: `${BENCH_HARDWARE}-${i}`,
      machine_name: 'bench',
      app_version: '1.0.0',
      activated_at: now.toISOString(),
      last_heartbeat: null,
      is_active: true,
    };
    const view = viewOf(doc, customer, [activation]);
    await cache.get(key, () => Promise.resolve(view));
    // The memo holds the activations admitted within its interval: here, those of the cached views.
    if (i >= n - limits.maxEntries) memo.set(activation.id, Date.now());
  }
  const after = settle();
  const views = Math.min(n, limits.maxEntries);
  // Keep both alive until measured.
  if (cache.size < 0 || memo.size < 0) process.stdout.write('');
  return {
    licenses: n,
    views,
    heapPerViewBytes: Math.round((after.heapUsed - before.heapUsed) / views),
    rssPerViewBytes: Math.round((after.rss - before.rss) / views),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await measure(Number(process.argv[2] ?? 100_000)))}\n`);
}
