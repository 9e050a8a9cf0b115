/**
 * Allocation of a list of resources to a license, all-or-nothing without transactions:
 *   1. validate: the license exists, every resource exists (else 404 RESOURCE_NOT_FOUND with the
 *      missing ids) and is free (else 409 RESOURCE_UNAVAILABLE with the taken ids); nothing written;
 *   2. claim the resources one by one, in id order, each with ONE conditional update
 *      `{_id, license_id: null}` -> `{license_id, request_id, pending: true}`; of concurrent claims of a
 *      resource exactly one matches. Claiming in id order means two requests for overlapping lists
 *      meet at their lowest common resource, so one of them wins instead of both failing half-way;
 *   3. check the license once more, then commit: one update of every claim of this request
 *      (`request_id`) to `pending: false`. Only committed allocations are listed for the license.
 * A failed claim (someone else won), an error, or a license deleted meanwhile undoes this request's
 * claims by `request_id` (compensation) and answers the error. A crash between 2 and 3 leaves pending
 * claims: they keep the resources unavailable but are never shown as allocated, and any later
 * allocate, check-availability, list or stats call releases pending claims older than
 * abandonedAfterMs() (longer than any request may run), so a crash leaks nothing and no job is needed.
 * A commit that finds fewer claims than it made (one was released behind its back) undoes and fails.
 */
import type { Logger } from 'moleculer';
import { config } from '../../config/index.ts';
import { AppError } from '../../lib/core/errors.ts';
import { ResourceModel, type ResourceDoc } from '../../models/resource.model.ts';
import { resourcesNotFound, resourcesUnavailable } from './records.ts';

/** A pending claim older than this belongs to a request that died (requests time out much sooner). */
function abandonedAfterMs(): number {
  return Math.max(60_000, 2 * config().requestTimeoutMs);
}

/** The fields of a free resource: what releasing (or undoing a claim) writes. */
export function releasedFields(now: Date): Partial<ResourceDoc> {
  return {
    status: 'available',
    license_id: null,
    allocated_at: null,
    request_id: null,
    pending: false,
    claimed_at: null,
    updated_at: now,
  };
}

/**
 * Steps 2 and 3: claims every resource (in the given, ascending, order) for the request, checks that
 * the license still exists (`assertLicenseExists` throws when it is gone), then commits. Throws on the
 * first failure, leaving the claims made so far for `undoClaims`.
 */
export async function claimAll(
  licenseId: number,
  ids: number[],
  requestId: string,
  assertLicenseExists: () => Promise<unknown>,
): Promise<void> {
  const now = new Date();
  const claim = {
    status: 'allocated',
    license_id: licenseId,
    allocated_at: now,
    request_id: requestId,
    pending: true,
    claimed_at: now,
    updated_at: now,
  };
  for (const id of ids) {
    const { matchedCount } = await ResourceModel.updateOne({ _id: id, license_id: null }, { $set: claim });
    if (matchedCount === 0) {
      throw (await ResourceModel.exists({ _id: id })) ? resourcesUnavailable([id]) : resourcesNotFound([id]);
    }
  }
  // The license may have been deleted while claiming: never commit to a license that is gone.
  await assertLicenseExists();
  const { modifiedCount } = await ResourceModel.updateMany(
    { request_id: requestId, pending: true },
    { $set: { pending: false, updated_at: new Date() } },
  );
  if (modifiedCount !== ids.length) {
    throw new AppError(
      'ALLOCATION_ABORTED',
      'The allocation was interrupted by a concurrent release; nothing was allocated, retry',
    );
  }
}

/** Compensation: frees every resource this request claimed (committed or not). */
export async function undoClaims(requestId: string): Promise<void> {
  await ResourceModel.updateMany({ request_id: requestId }, { $set: releasedFields(new Date()) });
}

/** Frees the pending claims of requests that died; returns how many. */
export async function sweepAbandoned(logger: Logger): Promise<number> {
  const cutoff = new Date(Date.now() - abandonedAfterMs());
  const { modifiedCount } = await ResourceModel.updateMany(
    { pending: true, claimed_at: { $lt: cutoff } },
    { $set: releasedFields(new Date()) },
  );
  if (modifiedCount > 0) logger.warn('Released claims of abandoned allocations', { count: modifiedCount });
  return modifiedCount;
}
