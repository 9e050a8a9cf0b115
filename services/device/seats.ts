/**
 * Seats: the numbered places 0..max_activations-1 of a license (models/activation.model.ts). Every
 * claim, move and return of a seat is one insert or one conditional update guarded by the unique
 * (license, seat) index, so the limit holds however many requests race; a request that loses a race
 * looks again, a bounded number of times.
 */
import { randomInt } from 'node:crypto';
import { ActivationModel, type ActivationDoc } from '../../models/activation.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { ConflictError, ServiceUnavailableError, isDuplicateKeyError } from '../../lib/core/errors.ts';

/** What claiming a seat needs to know: the machine, and the license with its limit. */
export type SeatClaim = Pick<ActivationDoc, 'license_id' | 'license_key' | 'hardware_hash'> & {
  max_activations: number;
  machine_name?: string;
  app_version?: string;
};

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
  const now = new Date();
  const details = { machine_name: p.machine_name ?? '', app_version: p.app_version ?? '' };
  // Bounded: each failed attempt means another request took a seat, and seats are finite.
  for (let attempt = 0; attempt < p.max_activations + 20; attempt += 1) {
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
      return { doc: refreshed ?? existing, created: false };
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
        if (revived) return { doc: revived, created: true };
        continue;
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
      return { doc: doc.toObject(), created: true };
    } catch (err) {
      // Another request took this seat or registered this machine first: look again.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
  throw tooMuchContention();
}

/**
 * Moves seats numbered at or above a (lowered) limit into free seats below it, one record at a time,
 * each move guarded by the unique seat index. Returns how many records moved.
 */
export async function compactSeats(licenseId: number, maxActivations: number): Promise<number> {
  let moved = 0;
  for (let attempt = 0; attempt < maxActivations + 20; attempt += 1) {
    const active = await seatsInUse(licenseId);
    const high = active.find(a => a.slot >= maxActivations);
    if (!high) return moved;
    const seat = pickFreeSeat(new Set(active.map(a => a.slot)), maxActivations);
    if (seat === null) {
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
