/**
 * `license.expired` fires once per license whose validity ended: a repeating job (once per minute,
 * cluster-wide) finds candidates, and a flag flipped atomically per license decides which run
 * announces it, so two replicas or a repeated run never announce one expiry twice. A new end date set
 * by quick-edit re-arms the flag.
 *
 * End dates are calendar days (midnight UTC), so runs look end days up by equality, which both MongoDB
 * and the embedded server answer from the `(valid_until, expired_notified)` index: each minute's run the
 * last week's, the run in the first minute of each hour the last year's (an end date set in the past by
 * an edit, runs missed for more than a week). A range over every passed end date, which the embedded
 * server answers by reading every license (0.4-1.7 s of its CPU at 10,000 licenses, minutes at a
 * million), runs once a day, in the first minute of the day, for what the lookups miss: an end date more
 * than a year past, a date written by hand that is not a midnight.
 */
import { LicenseModel } from '../../models/license.model.ts';
import { dateOnly, startOfDay } from '../../lib/core/values.ts';
import type { LicenseThis } from './state.ts';
import { DAY_MS, isExpired } from './verdict.ts';

export const EXPIRY_JOB = { name: 'license-expiry', everyMs: 60_000 } as const;

/** Candidates handled per run; the rest wait for the next minute. */
const BATCH = 500;
/** End days each minute's run looks up. */
const RECENT_DAYS = 7;
/** End days the run of each hour's first minute looks up (fewer than the embedded server's `$in` bound). */
const HOURLY_DAYS = 366;

/**
 * The filter of one run: the end days of the last week, of the last year in an hour's first minute, or,
 * in the day's first minute, every end date that has passed. A license is valid through its end day, so
 * the last day that has passed began a day before today.
 */
export function expiryCandidates(now: number): Record<string, unknown> {
  const at = new Date(now);
  const hourly = at.getUTCMinutes() === 0;
  if (hourly && at.getUTCHours() === 0) {
    return { valid_until: { $ne: null, $lte: new Date(now - DAY_MS) }, expired_notified: false };
  }
  const lastPassed = startOfDay(now).getTime() - DAY_MS;
  const days = Array.from({ length: hourly ? HOURLY_DAYS : RECENT_DAYS }, (_, i) => new Date(lastPassed - i * DAY_MS));
  return { valid_until: { $in: days }, expired_notified: false };
}

/** Announces the expiries not announced yet; answers how many it announced. */
export async function announceExpiries(svc: LicenseThis, now = Date.now()): Promise<number> {
  const candidates = await LicenseModel.find(expiryCandidates(now), { _id: 1, key: 1, valid_until: 1, customer_id: 1 })
    .limit(BATCH)
    .lean();
  let fired = 0;
  for (const c of candidates) {
    if (!isExpired(c.valid_until, now)) continue;
    const claimed = await LicenseModel.findOneAndUpdate(
      { _id: c._id, expired_notified: false },
      { $set: { expired_notified: true } },
      { lean: true },
    );
    if (!claimed) continue;
    fired += 1;
    await svc.dropLicenseViews({ keys: [c.key] });
    await svc.announce(null, 'license.expired', {
      license_id: c._id,
      customer_id: c.customer_id,
      valid_until: dateOnly(c.valid_until),
    });
  }
  return fired;
}
