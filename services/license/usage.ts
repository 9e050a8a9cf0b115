/**
 * `license.usage_threshold`: a license reached 80% or 100% of max_activations (seats) or of max_users
 * (live sessions). Each level is announced once per upward crossing (a jump from below 80% to 100%
 * announces 80 then 100) and re-armed when usage drops below it.
 *
 * Seats: after every change of a license's activations or of its limit, the used count is read from the
 * device service and the level stored on the license moves with one compare-and-set; of two replicas
 * racing, only the one whose update lands announces, and a loser counts again before it decides.
 * Sessions: the admission script (sessions.ts) moves a level kept in Redis and reports the move.
 */
import type { Context } from 'moleculer';
import type { UsageThresholdFact } from '../../lib/core/events.ts';
import { LicenseModel } from '../../models/license.model.ts';
import type { UsersLevelMove } from './sessions.ts';
import type { LicenseThis } from './state.ts';

export const USAGE_LEVELS = [80, 100] as const;
export type UsageLevel = 0 | (typeof USAGE_LEVELS)[number];

export function usageLevel(used: number, limit: number): UsageLevel {
  if (used >= limit) return 100;
  return used * 100 >= limit * 80 ? 80 : 0;
}

/** The levels passed on the way up from `previous` to `level` (none on the way down). */
export function crossedLevels(previous: number, level: number): Array<80 | 100> {
  return USAGE_LEVELS.filter(l => l > previous && l <= level);
}

async function announceCrossings(
  svc: LicenseThis,
  ctx: Context | null,
  fact: Omit<UsageThresholdFact, 'threshold'>,
  previous: number,
  level: number,
): Promise<void> {
  for (const threshold of crossedLevels(previous, level)) {
    await svc.announce(ctx, 'license.usage_threshold', { ...fact, threshold });
  }
}

const CAS_ATTEMPTS = 5;

/**
 * Moves the stored seat-usage level of a license to what its active activations say now, announcing
 * upward crossings. Never fails the caller's request: the change it follows has happened.
 */
export async function trackActivationUsage(svc: LicenseThis, ctx: Context, licenseId: number): Promise<void> {
  try {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const doc = await LicenseModel.findById(licenseId, {
        max_activations: 1,
        activation_level: 1,
        customer_id: 1,
      }).lean();
      if (!doc) return;
      const counts = await ctx.call<Record<string, number>, { license_ids: number[] }>('device.countActive', {
        license_ids: [licenseId],
      });
      const used = counts[licenseId] ?? 0;
      const previous = doc.activation_level ?? 0;
      const level = usageLevel(used, doc.max_activations);
      if (level === previous) return;
      const res = await LicenseModel.updateOne(
        // A license stored before levels existed has no field: it counts as 0.
        { _id: licenseId, activation_level: previous === 0 ? { $in: [0, null] } : previous },
        { $set: { activation_level: level } },
      );
      if (res.modifiedCount === 0) continue;
      await announceCrossings(
        svc,
        ctx,
        {
          license_id: licenseId,
          customer_id: doc.customer_id,
          metric: 'activations',
          used,
          limit: doc.max_activations,
        },
        previous,
        level,
      );
      return;
    }
  } catch (err) {
    svc.logger.warn('Could not track the seat usage of a license', {
      license_id: licenseId,
      message: (err as Error).message,
    });
  }
}

/** Announces what a session admission's level move crossed (sessions.ts decided it atomically). */
export function announceUsersLevel(
  svc: LicenseThis,
  license: { id: number; customer_id: number | null; max_users: number },
  moved: UsersLevelMove,
): void {
  if (moved.level <= moved.previous) return;
  void announceCrossings(
    svc,
    null,
    {
      license_id: license.id,
      customer_id: license.customer_id,
      metric: 'users',
      used: moved.used,
      limit: license.max_users,
    },
    moved.previous,
    moved.level,
  );
}
