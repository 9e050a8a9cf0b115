/**
 * `license.expired` fires once per license whose validity ended: a repeating job (once per minute,
 * cluster-wide) finds candidates, and a flag flipped atomically per license decides which run
 * announces it, so two replicas or a repeated run never announce one expiry twice. A new end date set
 * by quick-edit re-arms the flag.
 */
import { LicenseModel } from '../../models/license.model.ts';
import { dateOnly } from '../../lib/core/values.ts';
import type { LicenseThis } from './state.ts';
import { isExpired } from './verdict.ts';

export const EXPIRY_JOB = { name: 'license-expiry', everyMs: 60_000 } as const;

/** Candidates handled per run; the rest wait for the next minute. */
const BATCH = 500;

/** Announces the expiries not announced yet; answers how many it announced. */
export async function announceExpiries(svc: LicenseThis, now = Date.now()): Promise<number> {
  const candidates = await LicenseModel.find(
    { valid_until: { $ne: null, $lt: new Date(now) }, expired_notified: false },
    { _id: 1, key: 1, valid_until: 1, customer_id: 1 },
  )
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
