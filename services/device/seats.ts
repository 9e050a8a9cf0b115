/**
 * Seats: the numbered places 0..max_activations-1 of a license (models/activation.model.ts). Every
 * claim, move and return of a seat is one insert or one conditional update guarded by the unique
 * (license, seat) index, so the limit holds however many requests race; a request that loses a race
 * looks again, a bounded number of times.
 *
 * A changed limit (quick-edit) races with claims made under the old one. The two sides are ordered so
 * that no claim survives above a lowered limit:
 *   - `applySeatLimit` records the new limit (models/seat-limit.model.ts), then moves seats at or above
 *     it below it; if they do not fit it records the old limit again and refuses. The license service
 *     writes the license only after it succeeded (license/admin.actions.ts);
 *   - a claim, once made, reads the recorded limit and gives its seat back if it is at or above it,
 *     then tries again under that limit.
 * A claim that reads the record after it was written sees the new limit; one that read it before was
 * made before the compaction read the seats, so the compaction sees it and moves it.
 */
import { randomInt } from 'node:crypto';
import { ActivationModel, type ActivationDoc } from '../../models/activation.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { SeatLimitModel } from '../../models/seat-limit.model.ts';
import { ConflictError, ServiceUnavailableError, isDuplicateKeyError } from '../../lib/core/errors.ts';

/** What claiming a seat needs to know: the machine, and the license with its limit. */
export type SeatClaim = Pick<ActivationDoc, 'license_id' | 'license_key' | 'hardware_hash'> & {
  max_activations: number;
  machine_name?: string;
  app_version?: string;
};

/** How often, and after how long, a compaction that finds no free seat looks again. */
const COMPACT_FULL_RETRIES = 3;
const COMPACT_FULL_PAUSE_MS = 50;

/** A random free seat: concurrent claimers spread over the free seats instead of all racing for seat 0. */
export function pickFreeSeat(used: Set<number>, max: number): number | null {
  const free: number[] = [];
  for (let seat = 0; seat < max; seat += 1) if (!used.has(seat)) free.push(seat);
  return free.length === 0 ? null : free[randomInt(free.length)]!;
}

async function seatsInUse(licenseId: number): Promise<Array<Pick<ActivationDoc, '_id' | 'slot'>>> {
  return ActivationModel.find({ license_id: licenseId, slot: { $gte: 0 } }, { slot: 1 }).lean();
}

function tooMuchContention(): ServiceUnavailableError {
  return new ServiceUnavailableError('Too much contention on this license, retry');
}

/**
 * Claims a seat for a machine, or returns its existing active record (refreshing machine name and app
 * version); `created` says whether a seat was claimed.
 */
export async function claimSeat(p: SeatClaim): Promise<{ doc: ActivationDoc; created: boolean }> {
  let maxActivations = p.max_activations;
  for (let attempt = 0; attempt < p.max_activations + 20; attempt += 1) {
    const claimed = await claimOnce({ ...p, max_activations: maxActivations });
    if (!claimed) continue;
    if (!claimed.created) return { doc: claimed.doc, created: false };
    let limit: number;
    try {
      limit =
        (await SeatLimitModel.findById(p.license_id, { max_activations: 1 }).lean())?.max_activations ?? maxActivations;
    } catch (err) {
      // Unchecked claims are not kept: a retry claims again (and announces it as new).
      await undoClaim(claimed).catch(() => undefined);
      throw err;
    }
    const kept = await keepIfWithin(claimed, limit);
    if (kept) return { doc: kept, created: true };
    // The limit was lowered while this claim was made: the seat went back; try under the new limit.
    maxActivations = limit;
  }
  throw tooMuchContention();
}

interface Claimed {
  doc: ActivationDoc;
  created: boolean;
  /** A new record (rather than a deactivated machine's record revived). */
  inserted: boolean;
}

/**
 * The claimed record if its seat is within the recorded limit (a compaction may have moved it
 * there); otherwise the claim is undone (a new record removed, a revived one deactivated again), and null.
 */
async function keepIfWithin(claimed: Claimed, limit: number): Promise<ActivationDoc | null> {
  const { doc } = claimed;
  if (doc.slot < limit) return doc;
  if (await undoClaim(claimed)) return null;
  // Not at that seat any more: a compaction moved it below the new limit, or someone deactivated it.
  const now = await ActivationModel.findById(doc._id).lean();
  return now?.is_active && now.slot < limit ? now : null;
}

/**
 * Undoes a claim that is still at its seat: a new record is removed, a revived one deactivated again.
 * False when the record moved on meanwhile (a compaction moved it, or it was deactivated).
 */
async function undoClaim({ doc, inserted }: Claimed): Promise<boolean> {
  const claim = { _id: doc._id, slot: doc.slot, is_active: true };
  const undone = inserted
    ? (await ActivationModel.deleteOne(claim)).deletedCount
    : (
        await ActivationModel.updateOne(claim, {
          $set: { is_active: false, slot: -doc._id, deactivated_at: new Date() },
        })
      ).modifiedCount;
  return undone === 1;
}

/** One look at the seats: the claim, the machine's existing record, a refusal, or null to look again. */
async function claimOnce(p: SeatClaim): Promise<Claimed | null> {
  const now = new Date();
  const details = { machine_name: p.machine_name ?? '', app_version: p.app_version ?? '' };
  const existing = await ActivationModel.findOne({
    license_id: p.license_id,
    hardware_hash: p.hardware_hash,
  }).lean();
  if (existing?.is_active) {
    const refreshed = await ActivationModel.findOneAndUpdate(
      { _id: existing._id },
      {
        $set: {
          machine_name: p.machine_name ?? existing.machine_name,
          app_version: p.app_version ?? existing.app_version,
        },
      },
      { returnDocument: 'after', lean: true },
    );
    return { doc: refreshed ?? existing, created: false, inserted: false };
  }
  const used = new Set((await seatsInUse(p.license_id)).map(a => a.slot));
  // Seats bound the count; the size check also holds while a lowered limit is being compacted.
  const seat = used.size >= p.max_activations ? null : pickFreeSeat(used, p.max_activations);
  if (seat === null) {
    throw new ConflictError('The license has reached its maximum number of activations', 'ACTIVATION_LIMIT_REACHED', {
      max_activations: p.max_activations,
      current_activations: used.size,
    });
  }
  try {
    if (existing) {
      // A machine that was deactivated comes back: same record, new seat.
      const revived = await ActivationModel.findOneAndUpdate(
        { _id: existing._id, is_active: false },
        { $set: { ...details, slot: seat, is_active: true, activated_at: now, deactivated_at: null } },
        { returnDocument: 'after', lean: true },
      );
      if (revived) return { doc: revived, created: true, inserted: false };
      return null;
    }
    const doc = await ActivationModel.create({
      _id: await nextId('activation'),
      license_id: p.license_id,
      license_key: p.license_key,
      hardware_hash: p.hardware_hash,
      ...details,
      slot: seat,
      is_active: true,
      activated_at: now,
      deactivated_at: null,
      last_heartbeat: null,
    });
    return { doc: doc.toObject(), created: true, inserted: true };
  } catch (err) {
    // Another request took this seat or registered this machine first: look again.
    if (!isDuplicateKeyError(err)) throw err;
    return null;
  }
}

/**
 * Records a license's new seat limit, then moves seats numbered at or above it into free seats below
 * it, one record at a time, each move guarded by the unique seat index. Returns how many records moved.
 * When the active records do not fit, the previous limit is recorded again and the change is refused.
 */
export async function applySeatLimit(licenseId: number, maxActivations: number): Promise<number> {
  const previous = await SeatLimitModel.findOneAndUpdate(
    { _id: licenseId },
    { $set: { max_activations: maxActivations, updated_at: new Date() } },
    { upsert: true, returnDocument: 'before', lean: true },
  );
  try {
    return await compactSeats(licenseId, maxActivations);
  } catch (err) {
    if (previous) {
      await SeatLimitModel.updateOne(
        { _id: licenseId, max_activations: maxActivations },
        { $set: { max_activations: previous.max_activations, updated_at: new Date() } },
      );
    } else {
      await SeatLimitModel.deleteOne({ _id: licenseId, max_activations: maxActivations });
    }
    throw err;
  }
}

async function compactSeats(licenseId: number, maxActivations: number): Promise<number> {
  let moved = 0;
  let full = 0;
  for (let attempt = 0; attempt < maxActivations + 20; attempt += 1) {
    const active = await seatsInUse(licenseId);
    const high = active.find(a => a.slot >= maxActivations);
    if (!high) return moved;
    const seat = pickFreeSeat(new Set(active.map(a => a.slot)), maxActivations);
    if (seat === null) {
      // A claim made under the old limit may be about to give its seat back (claimSeat); look again
      // a few times before refusing.
      if ((full += 1) <= COMPACT_FULL_RETRIES) {
        await new Promise(resolve => setTimeout(resolve, COMPACT_FULL_PAUSE_MS));
        continue;
      }
      throw new ConflictError('More active devices than the new limit', 'ACTIVATIONS_EXCEED_LIMIT', {
        current_activations: active.length,
      });
    }
    try {
      const res = await ActivationModel.updateOne({ _id: high._id, slot: high.slot }, { $set: { slot: seat } });
      moved += res.modifiedCount;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
  throw tooMuchContention();
}

/** Forgets the seat limits of deleted licenses. */
export async function forgetSeatLimits(licenseIds: number[]): Promise<void> {
  await SeatLimitModel.deleteMany({ _id: { $in: licenseIds } });
}

/**
 * Gives an active activation's seat back: the stored seat becomes the record's own negative id (unique,
 * outside the seat range). Null when the license has no active activation with this id.
 */
export async function giveBackSeat(licenseId: number, activationId: number): Promise<ActivationDoc | null> {
  return ActivationModel.findOneAndUpdate(
    { _id: activationId, license_id: licenseId, is_active: true },
    { $set: { is_active: false, slot: -activationId, deactivated_at: new Date() } },
    { returnDocument: 'after', lean: true },
  );
}
