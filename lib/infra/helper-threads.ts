/**
 * V8's helper threads (the `V8Worker` pool: concurrent marking and sweeping, the optimizing compiler) run
 * at the main thread's priority by default. Where a node has fewer free cores than runnable threads (a
 * pod under its CPU limit, a busy host), the kernel shares the core between the main thread and a busy
 * helper in turns of a few milliseconds, and every request waiting on the main thread waits for the
 * helper's turn too: on the bench machine, the open loop's worst answers at half the peak
 * (docs/performance.md, "V8's helpers behind the main thread"). With the helpers at a lower priority
 * they take the core when the main thread is idle, and as much of it as before when cores are free.
 *
 * Linux applies setpriority() to one thread when given a thread id; elsewhere this does nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** The thread name Node gives V8's platform workers (Node 20-24). */
const V8_WORKER = 'V8Worker';

/** The highest nice value Linux has: the lowest priority. */
const LOWEST = 19;

/**
 * Puts this process's V8 helper threads `by` nice levels below the main thread (at most to 19; they exist
 * from start-up: the pool is created with the platform). Returns how many threads were changed; 0 where
 * threads cannot be listed, or `by` is 0.
 */
export function lowerV8HelperThreads(by: number): number {
  if (by <= 0) return 0;
  const nice = Math.min(LOWEST, os.getPriority() + by);
  let tids: number[];
  try {
    tids = readdirSync('/proc/self/task').map(Number);
  } catch {
    return 0;
  }
  let changed = 0;
  for (const tid of tids) {
    if (tid === process.pid) continue;
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== V8_WORKER) continue;
      os.setPriority(tid, nice);
      changed++;
    } catch {
      // the thread ended between the listing and the change, or the system refused: nothing to undo
    }
  }
  return changed;
}
