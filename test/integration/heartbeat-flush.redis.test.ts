// Two heartbeat flushes at once (a replica's final flush at shutdown beside the job's run on another)
// while heartbeats keep arriving: no heartbeat time is lost. The flushes run against the real Redis and
// database; a thin wrapper around the Redis client holds them at the points where, with a check on one
// round trip and the rename on the next, the second rename overwrote the first batch before it was read.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { ActivationModel } from '../../models/activation.model.ts';
import { bufferHeartbeat, flushHeartbeats } from '../../services/device/heartbeat-buffer.ts';
import { resetStores } from '../helpers/system.ts';

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>(resolve => (open = resolve));
  return { opened, open };
}

describe('heartbeat flush', function () {
  this.timeout(30_000);
  let redis: Redis;

  before(async function () {
    await resetStores();
    await mongoose.connect(process.env.MONGO_URL!);
    redis = new Redis(process.env.REDIS_URL!, { keyPrefix: `hbflush-${randomBytes(4).toString('hex')}:` });
  });

  after(async function () {
    const keys = await redis.keys(`${redis.options.keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys.map(k => k.slice(redis.options.keyPrefix!.length)));
    redis.disconnect();
    await mongoose.disconnect();
  });

  async function activations(ids: number[]): Promise<void> {
    await ActivationModel.insertMany(
      ids.map(id => ({
        _id: id,
        license_id: 1,
        license_key: 'ACEF-ACEF-ACEF-ACEF',
        hardware_hash: `hb-${id}`,
        machine_name: '',
        app_version: '',
        slot: -id,
        is_active: false,
        activated_at: new Date(),
        deactivated_at: null,
        last_heartbeat: null,
      })),
    );
  }

  it('loses no heartbeat when two flushes overlap while new heartbeats arrive', async function () {
    const first = [101, 102, 103];
    const later = [201, 202, 203];
    await activations([...first, ...later]);
    const at = Date.now() - 5000;
    for (const id of first) await bufferHeartbeat(redis, id, at);

    // Holds the flushes where they are most vulnerable, and lets heartbeats arrive in between.
    const bothLooked = gate();
    const secondMayTake = gate();
    let looked = 0;
    let took = 0;
    const arrive = async () => {
      for (const id of later) await bufferHeartbeat(redis, id, at + 1000);
    };
    const wrapped = new Proxy(redis, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const fn = value as (...args: unknown[]) => Promise<unknown>;
        if (prop === 'exists') {
          // A separate check first: both flushes look before either takes the batch.
          return async (...args: unknown[]) => {
            const answer = await fn.apply(target, args);
            if ((looked += 1) === 2) bothLooked.open();
            await bothLooked.opened;
            return answer;
          };
        }
        if (prop === 'rename' || prop === 'eval') {
          return async (...args: unknown[]) => {
            const taking = prop === 'rename' || String(args[0]).includes('RENAME');
            if (!taking) return fn.apply(target, args);
            const mine = (took += 1);
            if (mine === 2) await secondMayTake.opened;
            const answer = await fn.apply(target, args);
            if (mine === 1) {
              // New heartbeats arrive right after the first flush took its batch.
              await arrive();
              secondMayTake.open();
            }
            return answer;
          };
        }
        return fn.bind(target);
      },
    });
    await Promise.all([
      flushHeartbeats(wrapped).catch(() => 0),
      flushHeartbeats(wrapped).catch(() => 0),
      // A flush that never calls exists (the atomic one) must not wait for a second look.
      new Promise<void>(resolve => setTimeout(resolve, 200)).then(() => bothLooked.open()),
    ]);
    // Whatever is still pending goes in the next run.
    await flushHeartbeats(redis);
    await flushHeartbeats(redis);

    const stored = await ActivationModel.find({ _id: { $in: [...first, ...later] } }, { last_heartbeat: 1 }).lean();
    const times = Object.fromEntries(stored.map(d => [d._id, d.last_heartbeat?.getTime() ?? null]));
    for (const id of first) expect(times[id], `activation ${id}`).to.equal(at);
    for (const id of later) expect(times[id], `activation ${id}`).to.equal(at + 1000);
    expect(await redis.exists('heartbeats:pending', 'heartbeats:flushing')).to.equal(0);
  });

  it('writes a batch of more than 100 heartbeats to the records (the embedded server never answered one update of 100)', async function () {
    const ids = Array.from({ length: 120 }, (_, i) => 1001 + i);
    await activations(ids);
    const at = Date.now() - 3000;
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hset('heartbeats:pending', String(id), String(at + id));
    await pipeline.exec();
    expect(await flushHeartbeats(redis)).to.equal(ids.length);
    const stored = await ActivationModel.find({ _id: { $in: ids } }, { last_heartbeat: 1 }).lean();
    expect(stored.map(d => [d._id, d.last_heartbeat?.getTime()]).sort((a, b) => a[0]! - b[0]!)).to.deep.equal(
      ids.map(id => [id, at + id]),
    );
    expect(await redis.exists('heartbeats:pending', 'heartbeats:flushing')).to.equal(0);
  });

  it('takes, writes and clears a batch of 70,000 heartbeats (a quarter of a million machines)', async function () {
    // Only the Redis side is under test here: the records' writes are recorded, not sent (the embedded
    // database would take minutes for 70,000 of them; bench/heartbeat-scale.ts measures that).
    const count = 70_000;
    const at = Date.now();
    const pipeline = redis.pipeline();
    for (let id = 1; id <= count; id += 1) pipeline.hset('heartbeats:pending', String(id), String(at + id));
    await pipeline.exec();
    const written: Array<{ updateOne: { filter: { _id: number }; update: { $max: { last_heartbeat: Date } } } }> = [];
    const bulkWrite = ActivationModel.bulkWrite; // eslint-disable-line @typescript-eslint/unbound-method
    ActivationModel.bulkWrite = ((ops: typeof written) => {
      for (const op of ops) written.push(op);
      return Promise.resolve({});
    }) as never;
    try {
      expect(await flushHeartbeats(redis)).to.equal(count);
    } finally {
      ActivationModel.bulkWrite = bulkWrite;
    }
    expect(written).to.have.lengthOf(count);
    expect(written.find(op => op.updateOne.filter._id === 42)).to.deep.equal({
      updateOne: { filter: { _id: 42 }, update: { $max: { last_heartbeat: new Date(at + 42) } } },
    });
    expect(await redis.exists('heartbeats:pending', 'heartbeats:flushing')).to.equal(0);
  });
});
