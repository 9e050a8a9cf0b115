/**
 * Heartbeats are frequent and volatile, so they land in a Redis hash first (activation id -> time) and
 * a repeating job (HEARTBEAT_FLUSH_JOB) writes them to the activation records every FLUSH_EVERY_MS; a
 * crash loses at most that much heartbeat freshness, never an activation. Answers merge what is still
 * pending, so a heartbeat shows at once.
 *
 * The hash's layout is a contract (contract.ts, HEARTBEAT_BUFFER_KEY): the license service's heartbeat
 * script writes it directly, in the round trip that also counts the heartbeat's rate limit and refreshes
 * its session. This job stays its only reader.
 */
import type { Redis } from 'ioredis';
import { ActivationModel } from '../../models/activation.model.ts';
import { ServiceUnavailableError } from '../../lib/core/errors.ts';
import { HEARTBEAT_BUFFER_KEY } from './contract.ts';

export const HEARTBEAT_FLUSH_JOB = 'heartbeat-flush';
export const FLUSH_EVERY_MS = 15_000;

const PENDING = HEARTBEAT_BUFFER_KEY;
const FLUSHING = 'heartbeats:flushing';

/**
 * Buffers one heartbeat (what BUFFER_HEARTBEAT_LUA does inside a script); Redis away is a 503 (the
 * heartbeat was not recorded).
 */
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

/**
 * Takes the batch to write, atomically: a batch left by a crashed (or concurrent) flush if there is
 * one, otherwise the pending hash, renamed. As one script, two flushes can never both rename (the
 * second rename would overwrite the first batch before it was read, and its heartbeats were lost).
 */
const TAKE_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
  redis.call('RENAME', KEYS[1], KEYS[2])
end
return redis.call('HGETALL', KEYS[2])`;

/**
 * Removes what was written from the batch: only the entries whose value is still the one written, so a
 * flush never deletes heartbeats it did not write itself.
 */
const DONE_SCRIPT = `
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed`;

/** Arguments (activation id, time) of one DONE_SCRIPT call: 10,000 heartbeats. */
const DONE_SLICE = 20_000;
/**
 * Updates per bulkWrite: the embedded server (FerretDB 1.24 on SQLite) never answers an update command
 * of 100 statements or more (it held the write lock until the 2-minute timeout, and the flush failed the
 * same way every 15 s from then on); MongoDB takes any number.
 */
const WRITE_SLICE = 50;
/** Slices written at once (MongoDB runs them side by side; the embedded server one after another). */
const WRITES_IN_FLIGHT = 4;

type HeartbeatWrite = {
  updateOne: { filter: { _id: number }; update: { $max: { last_heartbeat: Date } } };
};

/** Writes every slice, WRITES_IN_FLIGHT at a time; fails (after all were tried) if any slice failed. */
async function writeInSlices(ops: HeartbeatWrite[]): Promise<void> {
  let next = 0;
  let failure: Error | undefined;
  const writer = async () => {
    while (next < ops.length) {
      const slice = ops.slice(next, next + WRITE_SLICE);
      next += WRITE_SLICE;
      try {
        await ActivationModel.bulkWrite(slice, { ordered: false });
      } catch (err) {
        failure ??= err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, writer));
  if (failure !== undefined) throw failure;
}

/** Moves pending heartbeats to the activation records; returns how many were written. */
export async function flushHeartbeats(redis: Redis): Promise<number> {
  const flat = (await redis.eval(TAKE_SCRIPT, 2, PENDING, FLUSHING)) as string[];
  if (flat.length === 0) return 0;
  const ops: HeartbeatWrite[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const at = new Date(Number(flat[i + 1]));
    ops.push({
      updateOne: {
        // `$max` keeps a newer time already stored. The filter is the bare id: the embedded server looks
        // a record up by id only when the filter holds nothing else, and scans the collection otherwise.
        filter: { _id: Number(flat[i]) },
        update: { $max: { last_heartbeat: at } },
      },
    });
  }
  await writeInSlices(ops);
  // In slices: a call's arguments go on the stack, and one call for a batch of some 60,000 heartbeats
  // or more (a quarter of a million machines) overflowed it, leaving the batch to be taken again forever.
  for (let i = 0; i < flat.length; i += DONE_SLICE) {
    await redis.eval(DONE_SCRIPT, 1, FLUSHING, ...flat.slice(i, i + DONE_SLICE));
  }
  return ops.length;
}
