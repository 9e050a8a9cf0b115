/**
 * Periodic background work through BullMQ: one job scheduler per task in Redis, a worker in every
 * replica that runs the service. Each tick produces one job, so exactly one replica does the work.
 *
 * The scheduler lives in Redis: a Redis that restarts without its data forgets it, so every replica
 * declares it again whenever its queue connection (re)connects (upserting is idempotent). Starting does
 * not wait for Redis.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { config } from '../../config/index.ts';

/** How long a stopping job may wait for its worker and connections to close. */
const STOP_WITHIN_MS = 5000;

/**
 * Where in its period a task runs, the same on every replica. BullMQ runs each schedule from the moment
 * it was first declared, and every service declares its schedules at start-up, so without an offset all
 * tasks of one period run at the same instant and their database queries arrive as one burst: measured
 * on the bench machine as a stall of the verify path every 15 s (docs/performance.md). A fixed offset
 * per task name (FNV-1a of the name) spreads them over the period; it is a place in wall-clock time, so
 * replicas and restarts agree on it.
 */
export function offsetInPeriod(name: string, everyMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % everyMs;
}

export interface RepeatingJob {
  /** Runs the task once now, in this process (tests, shutdown flushes). */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/** The first moment after `now` whose place in the period is `offset`. */
function nextAtOffset(now: number, everyMs: number, offset: number): number {
  const at = now - (now % everyMs) + offset;
  return at > now ? at : at + everyMs;
}

export function startRepeatingJob(
  name: string,
  everyMs: number,
  task: () => Promise<unknown>,
  onError: (err: Error) => void,
): RepeatingJob {
  const url = config().redisUrl;
  // BullMQ's blocking worker needs its own connection that retries forever.
  const queueConnection = new Redis(url, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null });
  for (const c of [queueConnection, workerConnection]) c.on('error', () => undefined);
  const prefix = `bull:${config().namespace || 'default'}`;
  const queue = new Queue(name, { connection: queueConnection, prefix });
  // Without a listener BullMQ prints every connection error of a Redis outage to the console.
  queue.on('error', () => undefined);
  const id = `${name}:every`;
  const offset = offsetInPeriod(name, everyMs);
  const declare = async () => {
    // A schedule declared already keeps its times when declared again; one declared at another place of
    // the period (by a version before offsets) is declared afresh, which may skip one run.
    const current = await queue.getJobScheduler(id);
    if (current?.every && current.offset !== offset) await queue.removeJobScheduler(id);
    // BullMQ 5 ignores `offset` when declaring a schedule, but starts it at `startDate`: the first moment
    // at this task's offset of the period.
    await queue.upsertJobScheduler(
      id,
      { every: everyMs, startDate: nextAtOffset(Date.now(), everyMs, offset) },
      { name, opts: { removeOnComplete: 50, removeOnFail: 200 } },
    );
  };
  // Declared whenever the queue connection becomes ready: at start once Redis answers, and after every
  // reconnect. Never awaited here: a node starts, and serves what needs no Redis, while Redis is away.
  queueConnection.on('ready', () => {
    declare().catch((err: Error) => onError(err));
  });
  const worker = new Worker(name, async (_job: Job) => task(), {
    connection: workerConnection,
    prefix,
    concurrency: 1,
  });
  worker.on('failed', (_job, err) => onError(err));
  worker.on('error', err => onError(err));
  return {
    runNow: async () => {
      await task();
    },
    async stop() {
      // A worker finishes its current run first; with Redis away, closing would wait for Redis
      // forever, so a stop gives it a bounded time and then drops the connections.
      const closed = (async () => {
        await worker.close();
        await queue.close();
        await Promise.all([queueConnection.quit(), workerConnection.quit()]);
      })().catch(() => undefined);
      const stopped = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>(resolve => setTimeout(() => resolve(false), STOP_WITHIN_MS).unref()),
      ]);
      if (!stopped) {
        queueConnection.disconnect();
        workerConnection.disconnect();
      }
    },
  };
}
