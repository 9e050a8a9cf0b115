/**
 * Alerts: a repeating job (ALERT_EVALUATION_SECONDS, once per tick cluster-wide) runs every check of
 * conditions.ts and brings the stored alerts in line: a condition that holds opens its alert (one open
 * per key: models/alert.model.ts), an open alert whose condition no longer holds ends, and one whose
 * message or level changed is updated. Alerts of a check that could not run are left as they are.
 *
 * Live stats read the open alerts. Conditions that stop the job itself (Redis, which schedules it, or
 * the database, which stores alerts) are also checked live when live stats are read (live-stats.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import { AlertModel, closedAlertKey, type AlertDoc } from '../../models/alert.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { CHECKS, DISCOVERY_GRACE_MS, type Check, type Condition } from './conditions.ts';
import { refreshSessionsGauge } from './figures.ts';
import type { MonitoringThis } from './state.ts';

export const ALERT_JOB = 'monitoring-alerts';

/** Open alerts read at once; far more than a deployment should ever have. */
const OPEN_ALERTS_MAX = 1000;
/**
 * Pause between two checks. All at once, an evaluation's replies (its own queries and the license
 * service's answers) came back as one burst of 20-50 ms of CPU; where a gateway shares the core, as in
 * the bench's production topology, its answers waited for that burst (docs/performance.md, "The alert
 * tick"). In slices with pauses between, the burst is spread over ~100 ms, and the evaluation, once every
 * ALERT_EVALUATION_SECONDS, ends that much later.
 */
const CHECK_SPACING_MS = 20;

/** Runs the checks; answers the conditions that hold and the groups whose check ran. */
export async function currentConditions(
  svc: MonitoringThis,
  now: number,
  checks: Check[] = CHECKS,
): Promise<{ conditions: Condition[]; checked: Set<string> }> {
  // Right after a start the other nodes may not be discovered yet: a check failing then is expected.
  const level = now - svc.startedAt < DISCOVERY_GRACE_MS ? 'debug' : 'warn';
  const conditions: Condition[] = [];
  const checked = new Set<string>();
  for (const [i, check] of checks.entries()) {
    if (i > 0) await sleep(CHECK_SPACING_MS);
    try {
      conditions.push(...(await check.run(svc, now)));
      checked.add(check.group);
    } catch (err) {
      svc.logger[level]('An alert check could not run', { check: check.group, message: (err as Error).message });
    }
  }
  return { conditions, checked };
}

function groupOf(key: string): string {
  return key.split(':', 1)[0]!;
}

export function openAlerts(): Promise<AlertDoc[]> {
  return AlertModel.find({ ended_at: null }).sort({ started_at: -1 }).limit(OPEN_ALERTS_MAX).lean();
}

async function open(condition: Condition, now: Date): Promise<void> {
  try {
    await AlertModel.create({
      _id: await nextId('alert'),
      key: condition.key,
      type: condition.type,
      message: condition.message,
      started_at: condition.since ?? now,
      ended_at: null,
      updated_at: now,
      open_key: condition.key,
    });
  } catch (err) {
    // Another evaluation opened it at the same moment: one open alert per key.
    if (!isDuplicateKeyError(err)) throw err;
  }
}

/** One evaluation: stored alerts follow the conditions. Answers how many alerts it opened and ended. */
export async function evaluateAlerts(
  svc: MonitoringThis,
  now = Date.now(),
  checks: Check[] = CHECKS,
): Promise<{ opened: number; ended: number }> {
  svc.metrics.evaluations.inc();
  const { conditions, checked } = await currentConditions(svc, now, checks);
  const at = new Date(now);
  const stored = await openAlerts();
  const byKey = new Map(stored.map(a => [a.key, a]));
  const holding = new Set(conditions.map(c => c.key));
  let opened = 0;
  let ended = 0;
  for (const condition of conditions) {
    const existing = byKey.get(condition.key);
    if (!existing) {
      await open(condition, at);
      opened += 1;
    } else if (existing.message !== condition.message || existing.type !== condition.type) {
      await AlertModel.updateOne(
        { _id: existing._id, ended_at: null },
        { $set: { message: condition.message, type: condition.type, updated_at: at } },
      );
    }
  }
  for (const alert of stored) {
    if (holding.has(alert.key) || !checked.has(groupOf(alert.key))) continue;
    const res = await AlertModel.updateOne(
      { _id: alert._id, ended_at: null },
      { $set: { ended_at: at, updated_at: at, open_key: closedAlertKey(alert._id) } },
    );
    ended += res.modifiedCount;
  }
  await refreshSessionsGauge(svc);
  return { opened, ended };
}
