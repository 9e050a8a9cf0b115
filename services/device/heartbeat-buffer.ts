/**
 * Heartbeats are frequent and volatile, so they land in a Redis hash first (activation id -> time) and
 * a repeating job (HEARTBEAT_FLUSH_JOB) writes them to the activation records every FLUSH_EVERY_MS; a
 * crash loses at most that much heartbeat freshness, never an activation. Answers merge what is still
 * pending, so a heartbeat shows at once.
 */
import type { Redis } from 'ioredis';
import { ActivationModel } from '../../models/activation.model.ts';
import { ServiceUnavailableError } from '../../lib/core/errors.ts';

export const HEARTBEAT_FLUSH_JOB = 'heartbeat-flush';
export const FLUSH_EVERY_MS = 15_000;

const PENDING = 'heartbeats:pending';
const FLUSHING = 'heartbeats:flushing';

/** Buffers one heartbeat; Redis away is a 503 (the heartbeat was not recorded). */
export async function bufferHeartbeat(redis: Redis, activationId: number, at: number): Promise<void> {
  try {
    await redis.hset(PENDING, String(activationId), String(at));
  } catch {
    throw new ServiceUnavailableError('Heartbeat store unavailable');
  }
}

/** The pending heartbeat time (ms) of each activation, in the order asked; undefined when none. */
export async function pendingHeartbeats(redis: Redis, activationIds: number[]): Promise<Array<number | undefined>> {
  if (activationIds.length === 0) return [];
  let pending: Array<string | null> = [];
  try {
    pending = await redis.hmget(PENDING, ...activationIds.map(String));
  } catch {
    // Redis away: the stored heartbeat is slightly older, the answer still right otherwise.
  }
  return activationIds.map((_, i) => (pending[i] ? Number(pending[i]) : undefined));
}

/** Moves pending heartbeats to the activation records; returns how many were written. */
export async function flushHeartbeats(redis: Redis): Promise<number> {
  // A batch left by a crashed flush is written first; otherwise take the pending hash atomically.
  if (!(await redis.exists(FLUSHING))) {
    try {
      await redis.rename(PENDING, FLUSHING);
    } catch {
      return 0; // nothing pending
    }
  }
  const batch = await redis.hgetall(FLUSHING);
  const ops = Object.entries(batch).map(([id, ms]) => {
    const at = new Date(Number(ms));
    return {
      updateOne: {
        filter: { _id: Number(id), $or: [{ last_heartbeat: null }, { last_heartbeat: { $lt: at } }] },
        update: { $set: { last_heartbeat: at } },
      },
    };
  });
  if (ops.length > 0) await ActivationModel.bulkWrite(ops, { ordered: false });
  await redis.del(FLUSHING);
  return ops.length;
}
