/**
 * A task that runs every `everyMs` once per tick across the whole cluster, however many replicas run
 * the service (lib/infra/jobs.ts: one BullMQ job scheduler per task, a worker in every replica).
 * `this.jobs[name]` can run it at once (tests). With `runOnStop`, a replica that stops runs the task one
 * last time after its worker stopped (e.g. to write out buffered data).
 *
 * Moleculer starts a service's mixins from the last listed to the first and stops them in list order,
 * so list this mixin before the mixins whose connections its task uses (dbMixin, redisMixin).
 */
import type { Service, ServiceSchema } from 'moleculer';
import { startRepeatingJob, type RepeatingJob } from '../lib/infra/jobs.ts';

const LOG_EVERY_MS = 30_000;

export interface JobVars {
  jobs: Record<string, RepeatingJob>;
}

export interface RepeatingJobOptions<TThis> {
  name: string;
  everyMs: number;
  run: (this: TThis) => Promise<unknown>;
  runOnStop?: boolean;
}

export function repeatingJobMixin<TThis extends Service>(options: RepeatingJobOptions<TThis>): Partial<ServiceSchema> {
  const { name, everyMs, run, runOnStop = false } = options;
  return {
    created(this: Service) {
      (this as Service & JobVars).jobs ??= {};
    },
    started(this: Service) {
      const task = () => run.call(this as TThis);
      // During an outage every tick fails the same way: one warning, then one per LOG_EVERY_MS with
      // how many failures it stands for.
      let loggedAt = 0;
      let unlogged = 0;
      const onError = (err: Error) => {
        const now = Date.now();
        if (now - loggedAt < LOG_EVERY_MS) {
          unlogged += 1;
          return;
        }
        this.logger.warn('Repeating job failed', {
          job: name,
          message: err.message,
          ...(unlogged > 0 ? { failures_since_last_warning: unlogged } : {}),
        });
        loggedAt = now;
        unlogged = 0;
      };
      (this as Service & JobVars).jobs[name] = startRepeatingJob(name, everyMs, task, onError);
    },
    async stopped(this: Service) {
      const jobs = (this as Service & JobVars).jobs;
      const job = jobs[name];
      if (!job) return;
      await job.stop();
      delete jobs[name];
      if (runOnStop) {
        await job
          .runNow()
          .catch((err: Error) => this.logger.warn('Final run failed', { job: name, message: err.message }));
      }
    },
  };
}
