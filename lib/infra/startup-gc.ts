/**
 * One full garbage collection once a node has started, before the load comes. V8 sets when the next
 * full collection runs from the live size the last one found, and the last one before the load ran a
 * third of a second into start-up, at about 21 MB: loading the services then filled the old generation
 * to just under that allowance (about 63 MB in the one-process node), so the first ~3 MB the load left
 * there started a full collection, about 30 s into serving. That collection marked a heap three times
 * the size the allowance was meant for: 40-60 ms of the main thread within ~150 ms, the worst answers of
 * the bench's open loop (docs/performance.md, "The first full collection"). Collected at start-up, the
 * allowance follows the real live size and the next full collection waits for the load's own garbage.
 *
 * V8 runs a full collection on request only with `--expose-gc`; the flag is turned on just long enough
 * to take the function from a fresh context, so nothing else of the process sees a `gc` global.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export interface StartupCollection {
  heapBeforeBytes: number;
  heapAfterBytes: number;
  ms: number;
}

function fullCollector(): (() => void) | undefined {
  const own = (globalThis as { gc?: () => void }).gc;
  if (typeof own === 'function') return own;
  v8.setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/** Runs one full collection now; null where the runtime offers none. */
export function collectStartupGarbage(): StartupCollection | null {
  const gc = fullCollector();
  if (!gc) return null;
  const heapBeforeBytes = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  gc();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { heapBeforeBytes, heapAfterBytes: process.memoryUsage().heapUsed, ms };
}
