/**
 * What the bench reads from /proc: how busy each core was, how much CPU a process used, its memory,
 * and the machine's CPU model. Everything degrades to "unknown" off Linux.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Per-core [busy, total] jiffies from /proc/stat (busy: all but idle and iowait); empty where it does not exist. */
export function coreTimes(): Map<number, [number, number]> {
  const times = new Map<number, [number, number]>();
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return times;
  }
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    // Interrupt time counts as busy: the kernel charges part of it to the process that was running
    // (the loopback traffic of the benchmark itself), so leaving it out would under-count.
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    times.set(Number(m[1]), [total - idle, total]);
  }
  return times;
}

/** Busy percentage of each of `cores` between two coreTimes() readings. */
export function coreBusy(
  before: Map<number, [number, number]>,
  after: Map<number, [number, number]>,
  cores: number[],
): Record<string, number> {
  const busy: Record<string, number> = {};
  for (const core of cores) {
    const a = before.get(core);
    const b = after.get(core);
    if (a && b && b[1] > a[1]) busy[core] = Math.round((1000 * (b[0] - a[0])) / (b[1] - a[1])) / 10;
  }
  return busy;
}

/** utime + stime of a process and all its threads, in clock ticks; null where unreadable. */
export function processTicks(pid: number): number | null {
  try {
    const { fields } = readStat(pid);
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat: the command name, and the fields after it (index 0 is the state); throws where unreadable. */
function readStat(pid: number): { name: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields are counted from the last ')'.
  const close = stat.lastIndexOf(')');
  return { name: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/** Summed CPU ticks of several processes; null when one of them is unreadable. */
export function ticksOf(pids: number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const ticks = processTicks(pid);
    if (ticks === null) return null;
    sum += ticks;
  }
  return sum;
}

/**
 * From the scheduler's own accounts (/proc/<pid>/task/<tid>/schedstat, nanoseconds): how long the main
 * threads of `pids` waited runnable for a CPU, and how long their other threads (V8's GC and compiler
 * workers, libuv's pool) ran. Null where unreadable. A main thread waiting while nothing else of the
 * machine is busy is waiting for its own helper threads: the tell of a process confined to one core.
 */
export function threadTimes(pids: number[]): { mainWaitNs: number; helpersRunNs: number } | null {
  let mainWaitNs = 0;
  let helpersRunNs = 0;
  try {
    for (const pid of pids) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        if (Number(tid) === pid) mainWaitNs += wait ?? 0;
        else helpersRunNs += run ?? 0;
      }
    }
  } catch {
    return null;
  }
  return { mainWaitNs, helpersRunNs };
}

/** /proc/<pid>/stat counts in USER_HZ ticks, 100 per second on every Linux that matters. */
export const MS_PER_TICK = 10;

/** Resident set size of a process in bytes; null where unreadable. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: fall through to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

/** The p-quantile (0..1) of an ascending array, nearest rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** A growable list of latencies, sorted once at the end. */
export class Samples {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
  }

  sorted(): Float64Array {
    return this.values.subarray(0, this.count).sort();
  }
}

/** One process's name and CPU ticks, its reaped children's included (so a short-lived child counts). */
export interface ProcessTicks {
  name: string;
  ticks: number;
}

/** Every process of the machine by pid (utime + stime + cutime + cstime); empty off Linux. */
export function machineTicks(): Map<number, ProcessTicks> {
  const all = new Map<number, ProcessTicks>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return all;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const { name, fields } = readStat(pid);
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      all.set(pid, { name, ticks });
    } catch {
      // gone between the listing and the read: it started and ended, its parent's count has it
    }
  }
  return all;
}

/** What the rest of the machine ran between two machineTicks() readings. */
export interface OthersUsage {
  /** CPU time of every process outside `excluded`, in ms. */
  cpuMs: number;
  /** The busiest of them by name, most first (at most three, each at least one tick). */
  busiest: { name: string; ms: number }[];
  /** Processes that appeared between the readings (short-lived ones included only if still running). */
  started: number;
}

/**
 * The CPU the machine's other processes (not the bench's own) used between two readings: the tell of
 * a machine that was not quiet. A process that ended in between is counted in its parent's reaped
 * children's time once the parent has waited for it.
 */
export function othersBetween(
  before: Map<number, ProcessTicks>,
  after: Map<number, ProcessTicks>,
  excluded: ReadonlySet<number>,
): OthersUsage {
  const byName = new Map<string, number>();
  let ticks = 0;
  let started = 0;
  for (const [pid, now] of after) {
    if (excluded.has(pid)) continue;
    const then = before.get(pid);
    if (!then) started++;
    const used = now.ticks - (then?.ticks ?? 0);
    if (used <= 0) continue;
    ticks += used;
    byName.set(now.name, (byName.get(now.name) ?? 0) + used);
  }
  const busiest = [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, t]) => ({ name, ms: t * MS_PER_TICK }));
  return { cpuMs: ticks * MS_PER_TICK, busiest, started };
}
