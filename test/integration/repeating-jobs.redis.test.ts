// Repeating jobs (lib/infra/jobs.ts) each run at their own point of the period, so that the tasks one
// start-up declares do not all query the database at the same instant. Against the real Redis.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { reloadConfig } from '../../config/index.ts';
import { offsetInPeriod, startRepeatingJob, type RepeatingJob } from '../../lib/infra/jobs.ts';
import { EXPIRY_JOB } from '../../services/license/expiry.ts';
import { LAPSE_JOB } from '../../services/license/lapses.ts';
import { ALERT_JOB } from '../../services/monitoring/alerts.ts';
import { HEARTBEAT_FLUSH_JOB } from '../../services/device/heartbeat-buffer.ts';
import { SWEEP_JOB } from '../../services/webhook/outbox.ts';

describe('Repeating jobs', function () {
  this.timeout(20_000);

  describe('offsetInPeriod', function () {
    it('is the same for the same name and period, and inside the period', function () {
      expect(offsetInPeriod('monitoring-alerts', 15_000)).to.equal(offsetInPeriod('monitoring-alerts', 15_000));
      for (const every of [1000, 15_000, 60_000]) {
        const offset = offsetInPeriod('any-task', every);
        expect(offset).to.be.at.least(0).and.below(every);
      }
    });

    // A task's burst of queries lasts tens of milliseconds: half a second apart, they never overlap.
    it('puts the 15-second tasks of the services at least half a second apart', function () {
      const offsets = [HEARTBEAT_FLUSH_JOB, SWEEP_JOB, LAPSE_JOB.name, ALERT_JOB]
        .map(name => offsetInPeriod(name, 15_000))
        .sort((a, b) => a - b);
      const gaps = offsets.slice(1).map((o, i) => o - offsets[i]!);
      // The period wraps: the last task and the first of the next period are apart too.
      gaps.push(offsets[0]! + 15_000 - offsets.at(-1)!);
      expect(Math.min(...gaps), `offsets ${offsets.join(', ')}`).to.be.at.least(500);
      expect(offsetInPeriod(EXPIRY_JOB.name, EXPIRY_JOB.everyMs)).to.be.below(EXPIRY_JOB.everyMs);
    });
  });

  describe('startRepeatingJob', function () {
    const namespace = `jobs${randomBytes(4).toString('hex')}`;
    const name = 'offset-check';
    let job: RepeatingJob | undefined;
    let queue: Queue;

    before(function () {
      reloadConfig({ NODE_ENV: 'test', NAMESPACE: namespace, REDIS_URL: process.env.REDIS_URL! });
      queue = new Queue(name, { connection: new Redis(process.env.REDIS_URL!), prefix: `bull:${namespace}` });
    });

    after(async function () {
      await job?.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    });

    /** The schedule as Redis holds it, once declared (until then BullMQ answers a shell without fields). */
    async function declared(offset?: number) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const scheduler = await queue.getJobScheduler(`${name}:every`);
        if (scheduler?.every && (offset === undefined || scheduler.offset === offset)) return scheduler;
        if (Date.now() > deadline)
          throw new Error(`the schedule was not declared within 10 s: ${JSON.stringify(scheduler)}`);
        await new Promise(resolve => setTimeout(resolve, 50));
      }
    }

    it("declares its schedule in Redis with the name's offset", async function () {
      job = startRepeatingJob(
        name,
        60_000,
        () => Promise.resolve(),
        () => undefined,
      );
      const scheduler = await declared();
      expect(Number(scheduler.every)).to.equal(60_000);
      expect(scheduler.offset).to.equal(offsetInPeriod(name, 60_000));
    });

    it('moves a schedule declared at another place of the period (an earlier version) to its offset', async function () {
      await job?.stop();
      await queue.removeJobScheduler(`${name}:every`);
      // As versions before offsets declared it: from the moment of declaration.
      await queue.upsertJobScheduler(`${name}:every`, { every: 60_000, startDate: Date.now() + 1 }, { name });
      const old = await declared();
      expect(old.offset).to.not.equal(offsetInPeriod(name, 60_000));
      job = startRepeatingJob(
        name,
        60_000,
        () => Promise.resolve(),
        () => undefined,
      );
      const moved = await declared(offsetInPeriod(name, 60_000));
      expect(Number(moved.every)).to.equal(60_000);
    });
  });
});
