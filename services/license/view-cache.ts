/**
 * In-process cache for the verify hot path: a warm verify must not wait on the database, Redis or
 * another node. Entries are dropped when their source changes (the writer calls license.dropViews on
 * every license node and waits for all of them: mixins/view-invalidation.mixin.ts), and also expire
 * after `maxAgeMs` so a node that missed a drop heals by itself.
 *
 * Loads are shared: concurrent misses of one key wait on one load. A load that was in flight when its
 * key was invalidated is not kept, so a stale read cannot outlive the event that made it stale.
 */
interface Entry<V> {
  value: Promise<V>;
  at: number;
  /** The loaded value, once the load finished: lets a warm read skip the promise machinery. */
  ready?: V;
}

export class ViewCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;

  constructor(maxAgeMs: number, maxEntries: number) {
    this.maxAgeMs = maxAgeMs;
    this.maxEntries = maxEntries;
  }

  get(key: string, load: () => Promise<V>, now = Date.now()): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && now - entry.at < this.maxAgeMs) return entry.value;
    const fresh: Entry<V> = { value: load(), at: now };
    this.entries.set(key, fresh);
    fresh.value.then(
      value => {
        fresh.ready = value;
      },
      () => {
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      },
    );
    if (this.entries.size > this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return fresh.value;
  }

  /** The value if it is loaded and fresh, without waiting; undefined otherwise (then use get). */
  peek(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    return entry && now - entry.at < this.maxAgeMs ? entry.ready : undefined;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }

  /** Drops the entries whose value matches, and every entry still loading (its value is unknown). */
  invalidateWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (entry.ready === undefined || matches(entry.ready)) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
