/**
 * One answer shared for a while: computed on first use, then reused until it is older than the
 * allowed age; readers arriving while it is computed share that computation. A failed computation is
 * not kept, so the next reader tries again.
 */
export class SharedAnswer<T> {
  private cache: { at: number; answer: Promise<T> } | null = null;
  private readonly compute: (now: number) => Promise<T>;
  private readonly maxAgeMs: () => number;

  constructor(compute: (now: number) => Promise<T>, maxAgeMs: () => number) {
    this.compute = compute;
    this.maxAgeMs = maxAgeMs;
  }

  get(now = Date.now()): Promise<T> {
    if (this.cache && now - this.cache.at < this.maxAgeMs()) return this.cache.answer;
    const entry = { at: now, answer: this.compute(now) };
    this.cache = entry;
    entry.answer.catch(() => {
      if (this.cache === entry) this.cache = null;
    });
    return entry.answer;
  }
}
