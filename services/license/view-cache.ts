/**
 * In-process cache for the verify hot path: a warm verify must not wait on the database, Redis or
 * another node. Entries are dropped when their source changes (the writer calls license.dropViews on
 * every license node and waits for all of them: mixins/view-invalidation.mixin.ts), and also expire
 * after `maxAgeMs` so a node that missed a drop heals by itself.
 *
 * An expired entry is reloaded in the background (`refresh`) while it keeps answering, up to
 * `maxStaleMs` past its age: a reload needs the database and other nodes, and a client must not fail
 * its start because one of them is away for a while (docs/decisions.md). A dropped entry is gone at
 * once, never answered stale.
 *
 * Bounded two ways, so that no client can push out the working set: found values are evicted least
 * recently used first (a key in use moves to the back at most once a second, which keeps a warm read
 * cheap), and misses (`isMiss`: a key that names no license) live in a small cache of their own, so a
 * flood of random well-formed keys evicts only other misses.
 *
 * Values loaded within the same second expire together, so when one of them is found expired the others
 * of that second still in use (read since they were loaded) are reloaded with it, in the same turn of
 * the event loop: the loader reads them as one batch (view-loader.ts) instead of one by one as their
 * verifies come.
 *
 * Loads are shared: concurrent misses of one key wait on one load. A load that was in flight when its
 * key was invalidated is not kept, so a stale read cannot outlive the event that made it stale.
 */
interface Entry<V> {
  value: Promise<V>;
  at: number;
  /** The loaded value, once the load finished: lets a warm read skip the promise machinery. */
  ready?: V;
  /** When the entry last moved to the back of the LRU order. */
  usedAt: number;
  /** When a background reload of it last failed (reloads are not retried more than once a second). */
  refreshFailedAt?: number;
}

export interface ViewCacheOptions<V> {
  /** A loaded value that stands for "nothing there": kept apart, in at most `maxMisses` entries. */
  isMiss?: (value: V) => boolean;
  maxMisses?: number;
  /** Reloads an expired entry in the background while its old value keeps answering. */
  refresh?: (key: string) => Promise<V>;
  /** How long past its age an entry may answer while its reloads fail (0: never). */
  maxStaleMs?: number;
}

/** How often a key in use is moved to the back of the LRU order (a Map delete + set). */
const TOUCH_EVERY_MS = 1000;
const DEFAULT_MAX_MISSES = 10_000;
const REFRESH_RETRY_MS = 1000;
/** The width of a cohort: values loaded within one such span are reloaded together. */
const COHORT_MS = 1000;

export class ViewCache<V> {
  /** Found values, least recently used first (Maps keep insertion order). */
  private readonly entries = new Map<string, Entry<V>>();
  private readonly misses = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Entry<V>>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly maxMisses: number;
  private readonly isMiss: ((value: V) => boolean) | undefined;
  private readonly refresh: ((key: string) => Promise<V>) | undefined;
  private readonly maxStaleMs: number;
  /** Keys of found values by the second they were loaded in, oldest first (stale reads only). */
  private readonly cohorts = new Map<number, string[]>();

  constructor(maxAgeMs: number, maxEntries: number, options: ViewCacheOptions<V> = {}) {
    this.maxAgeMs = maxAgeMs;
    this.maxEntries = maxEntries;
    this.maxMisses = options.maxMisses ?? DEFAULT_MAX_MISSES;
    this.isMiss = options.isMiss;
    this.refresh = options.refresh;
    this.maxStaleMs = options.refresh ? (options.maxStaleMs ?? 0) : 0;
  }

  get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const cached = this.lookup(key, now) ?? this.stale(key, now);
    if (cached) return cached.value;
    const pending = this.loading.get(key);
    if (pending && now - pending.at < this.maxAgeMs) return pending.value;
    return this.load(key, load, now).value;
  }

  private load(key: string, load: () => Promise<V>, now: number): Entry<V> {
    const fresh: Entry<V> = { value: load(), at: now, usedAt: now };
    this.loading.set(key, fresh);
    fresh.value.then(
      value => {
        fresh.ready = value;
        // Invalidated while loading: the value may predate the change, so it is not kept.
        if (this.loading.get(key) !== fresh) return;
        this.loading.delete(key);
        this.store(key, fresh);
      },
      () => {
        if (this.loading.get(key) !== fresh) return;
        this.loading.delete(key);
        // The old value answers on (within maxStaleMs); the next reload waits a little.
        const old = this.entries.get(key) ?? this.misses.get(key);
        if (old) old.refreshFailedAt = Date.now();
      },
    );
    return fresh;
  }

  /**
   * The value if it is loaded and fresh, or expired but still allowed to answer while it is reloaded
   * in the background; undefined otherwise (then use get). Never waits.
   */
  peek(key: string, now = Date.now()): V | undefined {
    return (this.lookup(key, now) ?? this.stale(key, now))?.ready;
  }

  /**
   * An expired entry still within maxStaleMs, with a background reload started (unless one is under
   * way or the last one failed within a second).
   */
  private stale(key: string, now: number): Entry<V> | undefined {
    if (this.maxStaleMs === 0) return undefined;
    const entry = this.entries.get(key) ?? this.misses.get(key);
    if (!entry || entry.ready === undefined || now - entry.at >= this.maxAgeMs + this.maxStaleMs) return undefined;
    if (
      !this.loading.has(key) &&
      !(entry.refreshFailedAt !== undefined && now - entry.refreshFailedAt < REFRESH_RETRY_MS)
    ) {
      const refresh = this.refresh!;
      this.load(key, () => refresh(key), now);
      this.refreshCohort(entry.at, now);
    }
    return entry;
  }

  /**
   * Reloads the found values loaded in the same second as `at` that are still the ones loaded then,
   * not loading already, and were read since they were loaded (one read after its first second moves
   * `usedAt`); the rest expire on their own.
   */
  private refreshCohort(at: number, now: number): void {
    const cohort = Math.floor(at / COHORT_MS);
    const keys = this.cohorts.get(cohort);
    if (!keys) return;
    this.cohorts.delete(cohort);
    const refresh = this.refresh!;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry || entry.ready === undefined || Math.floor(entry.at / COHORT_MS) !== cohort) continue;
      if (entry.usedAt <= entry.at || this.loading.has(key)) continue;
      this.load(key, () => refresh(key), now);
    }
  }

  /**
   * Remembers a found value's cohort, and forgets cohorts loaded more than two ages ago: a cohort is
   * taken by the first stale read of it, due one age after its load; one nobody read by then reloads
   * key by key, as they come.
   */
  private joinCohort(key: string, at: number): void {
    const cohort = Math.floor(at / COHORT_MS);
    const keys = this.cohorts.get(cohort);
    if (keys) keys.push(key);
    else this.cohorts.set(cohort, [key]);
    const oldest = Math.floor((at - 2 * this.maxAgeMs) / COHORT_MS);
    for (const c of this.cohorts.keys()) {
      if (c >= oldest) break;
      this.cohorts.delete(c);
    }
  }

  invalidate(key: string): void {
    // Its cohort entry goes stale with it (refreshCohort skips keys without a matching entry).
    this.entries.delete(key);
    this.misses.delete(key);
    this.loading.delete(key);
  }

  /** Drops the entries whose value matches, and every entry still loading (its value is unknown). */
  invalidateWhere(matches: (value: V) => boolean): void {
    for (const map of [this.entries, this.misses]) {
      for (const [key, entry] of map) {
        if (entry.ready === undefined || matches(entry.ready)) map.delete(key);
      }
    }
    this.loading.clear();
  }

  clear(): void {
    this.cohorts.clear();
    this.entries.clear();
    this.misses.clear();
    this.loading.clear();
  }

  get size(): number {
    return this.entries.size + this.misses.size + this.loading.size;
  }

  /** Loaded and fresh: a found value (moved to the back of the LRU order now and then) or a miss. */
  private lookup(key: string, now: number): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      if (now - entry.at >= this.maxAgeMs) return undefined;
      if (now - entry.usedAt >= TOUCH_EVERY_MS) {
        entry.usedAt = now;
        this.entries.delete(key);
        this.entries.set(key, entry);
      }
      return entry;
    }
    const miss = this.misses.get(key);
    return miss && now - miss.at < this.maxAgeMs ? miss : undefined;
  }

  private store(key: string, entry: Entry<V>): void {
    const miss = entry.ready !== undefined && this.isMiss !== undefined && this.isMiss(entry.ready);
    const [target, other, max] = miss
      ? [this.misses, this.entries, this.maxMisses]
      : [this.entries, this.misses, this.maxEntries];
    other.delete(key);
    target.delete(key);
    target.set(key, entry);
    if (!miss && this.maxStaleMs > 0) this.joinCohort(key, entry.at);
    while (target.size > max) {
      const oldest = target.keys().next().value;
      if (oldest === undefined) break;
      target.delete(oldest);
    }
  }
}
