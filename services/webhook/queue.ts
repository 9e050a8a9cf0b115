/**
 * The BullMQ queue of delivery attempts (`webhook-delivery`, prefixed with the namespace like the
 * repeating jobs of lib/infra/jobs.ts) and this node's worker. A job stands for one attempt of one
 * delivery in one round; its id is derived from those (`d<delivery>-r<round>-a<attempt>`), so queueing
 * the same attempt twice (a sweep racing a late add) makes one job.
 *
 * Adding a job must fail fast when Redis is away (the caller leaves the delivery un-queued for the
 * sweeper), so the adding connection has no offline queue and a command deadline; the worker's
 * blocking connection waits for Redis forever, as BullMQ requires.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { config } from '../../config/index.ts';

export const QUEUE_NAME = 'webhook-delivery';
const ADD_DEADLINE_MS = 2000;

export interface AttemptJob {
  delivery_id: number;
  round: number;
  attempt: number;
}

export function attemptJobId(job: AttemptJob): string {
  return `d${job.delivery_id}-r${job.round}-a${job.attempt}`;
}

export class DeliveryQueue {
  private readonly queueConnection: Redis;
  private readonly workerConnection: Redis;
  private readonly queue: Queue<AttemptJob>;
  private worker: Worker<AttemptJob> | null = null;

  constructor() {
    const url = config().redisUrl;
    this.queueConnection = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      commandTimeout: ADD_DEADLINE_MS,
      retryStrategy: attempt => Math.min(attempt * 200, 2000),
    });
    this.workerConnection = new Redis(url, { maxRetriesPerRequest: null });
    for (const c of [this.queueConnection, this.workerConnection]) c.on('error', () => undefined);
    const prefix = `bull:${config().namespace || 'default'}`;
    this.queue = new Queue<AttemptJob>(QUEUE_NAME, { connection: this.queueConnection, prefix });
    this.queue.on('error', () => undefined);
  }

  /** Runs `process` for each job on this node, `concurrency` at a time. */
  startWorker(process: (job: AttemptJob) => Promise<void>, onError: (err: Error) => void, concurrency = 8): void {
    const prefix = `bull:${config().namespace || 'default'}`;
    this.worker = new Worker<AttemptJob>(QUEUE_NAME, (job: Job<AttemptJob>) => process(job.data), {
      connection: this.workerConnection,
      prefix,
      concurrency,
    });
    this.worker.on('failed', (_job, err) => onError(err));
    this.worker.on('error', err => onError(err));
  }

  /** Queues one attempt after `delayMs`; rejects (within about 2 s) when Redis does not take it. */
  async add(job: AttemptJob, delayMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not take the job in time')), ADD_DEADLINE_MS);
    });
    try {
      await Promise.race([
        this.queue.add('attempt', job, {
          jobId: attemptJobId(job),
          delay: Math.max(0, Math.round(delayMs)),
          // A handler that throws (the database away) is tried again; after that the sweeper takes over.
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: true,
        }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Jobs waiting or delayed: the queue depth across the cluster. */
  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  /** Calls `listener` each time the adding connection (re)connects to Redis. */
  onReconnect(listener: () => void): void {
    let first = true;
    this.queueConnection.on('ready', () => {
      if (first) first = false;
      else listener();
    });
  }

  /** Stops the worker (letting running attempts finish) and the queue; gives up waiting after 5 s. */
  async close(): Promise<void> {
    const closing = (async () => {
      await this.worker?.close();
      await this.queue.close();
    })().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    // With Redis away BullMQ's close would wait for it forever; a stopping node must not.
    const gaveUp = new Promise<void>(resolve => {
      timer = setTimeout(resolve, 5000);
    });
    await Promise.race([closing, gaveUp]);
    clearTimeout(timer);
    for (const c of [this.queueConnection, this.workerConnection]) c.disconnect();
  }
}
