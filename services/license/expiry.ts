/**
 * `license.expired` fires once per license whose validity ended: a repeating job (once per minute,
 * cluster-wide) finds candidates, and a flag flipped atomically per license decides which run
 * announces it, so two replicas or a repeated run never announce one expiry twice. A new end date set
 * by quick-edit re-arms the flag.
 *
 * End dates are calendar days (midnight UTC), so each minute's run looks up the end days of the last
 * week by equality, which both MongoDB and the embedded server answer from the
 * `(valid_until, expired_notified)` index; a range over all end dates made the embedded server read
 * every license once a minute (0.9-2.5 s of its CPU at 10,000 licenses). The run in the first minute
 * of each hour sweeps the whole range instead, for what the week misses: an end date set further in
 * the past, runs missed for more than a week, a date written by hand that is not a midnight.
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

/**
 * The filter of one run: the end days of the last week, or, in the run of an hour's first minute, every
 * end date that has passed. A license is valid through its end day, so the last day that has passed
 * began a day before today.
 */
export function expiryCandidates(now: number): Record<string, unknown> {
  if (new Date(now).getUTCMinutes() === 0) {
    return { valid_until: { $ne: null, $lte: new Date(now - DAY_MS) }, expired_notified: false };
  }
  const lastPassed = startOfDay(now).getTime() - DAY_MS;
  const days = Array.from({ length: RECENT_DAYS }, (_, i) => new Date(lastPassed - i * DAY_MS));
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
