/**
 * Devices (activations): claiming and giving back seats, listing, heartbeat bookkeeping.
 *
 * Seats: see models/activation.model.ts. Heartbeats are frequent and volatile, so they land in a Redis
 * hash first and a BullMQ job writes them to the activation records every HEARTBEAT_FLUSH_SECONDS; a
 * crash loses at most that much heartbeat freshness, never an activation.
 *
 * Every change of a license's devices drops the license's verify view on every license node before the
 * answer goes out (lib/invalidation.ts), and is announced once as a fact (`device.registered`,
 * `device.deactivated`).
 */
import { randomInt } from 'node:crypto';
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { Redis } from 'ioredis';
import type { ActivationAnswer } from './device/contract.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { ActivationModel, type ActivationDoc } from '../models/activation.model.ts';
import { nextId } from '../models/counter.model.ts';
import { ConflictError, NotFoundError, ServiceUnavailableError, isDuplicateKeyError } from '../lib/core/errors.ts';
import { objectSchema } from '../lib/core/validation.ts';
import {
  APP_VERSION_SCHEMA,
  HARDWARE_HASH_SCHEMA,
  ID_SCHEMA,
  LICENSE_KEY_SCHEMA,
  MACHINE_NAME_SCHEMA,
} from '../lib/core/schemas.ts';
import { acquireRedis, releaseRedis } from '../lib/infra/redis.ts';
import { startRepeatingJob, type RepeatingJob } from '../lib/infra/jobs.ts';
import { escapeRegex } from '../lib/core/values.ts';
import { dropLicenseViews } from '../mixins/view-invalidation.mixin.ts';

interface RegisterParams {
  license_id: number;
  license_key: string;
  max_activations: number;
  hardware_hash: string;
  machine_name?: string;
  app_version?: string;
}

interface DeviceThis extends Service {
  redis: Redis;
  flushJob: RepeatingJob | null;
  claimSeat(p: RegisterParams): Promise<{ doc: ActivationDoc; created: boolean }>;
  withPendingHeartbeats(docs: ActivationDoc[]): Promise<ActivationAnswer[]>;
  flushHeartbeats(): Promise<number>;
  announceChange(ctx: Context, doc: ActivationDoc, fact: string): Promise<void>;
}

const PENDING = 'heartbeats:pending';
const FLUSHING = 'heartbeats:flushing';
const FLUSH_EVERY_MS = 15_000;

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function toOut(doc: ActivationDoc, pendingHeartbeat?: number): ActivationAnswer {
  const stored = doc.last_heartbeat?.getTime() ?? 0;
  const latest = Math.max(stored, pendingHeartbeat ?? 0);
  return {
    id: doc._id,
    license_id: doc.license_id,
    license_key: doc.license_key,
    hardware_hash: doc.hardware_hash,
    machine_name: doc.machine_name,
    app_version: doc.app_version,
    activated_at: doc.activated_at.toISOString(),
    last_heartbeat: latest > 0 ? new Date(latest).toISOString() : iso(doc.activated_at),
    is_active: doc.is_active,
  };
}

/** A random free seat: concurrent claimers spread over the free seats instead of all racing for seat 0. */
function pickFreeSlot(used: Set<number>, max: number): number | null {
  const free: number[] = [];
  for (let slot = 0; slot < max; slot += 1) if (!used.has(slot)) free.push(slot);
  return free.length === 0 ? null : free[randomInt(free.length)]!;
}

const DeviceService: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, DeviceThis> = {
  name: 'device',
  mixins: [dbMixin([ActivationModel])],

  actions: {
    /**
     * Claims a seat for a machine, or returns its existing active record (refreshing machine name and
     * app version). Internal: license.activate and the admin register-device call it after checking
     * the license.
     */
    register: {
      visibility: 'public',
      params: objectSchema(
        {
          license_id: ID_SCHEMA,
          license_key: LICENSE_KEY_SCHEMA,
          max_activations: { type: 'integer', minimum: 1, maximum: 100_000 },
          hardware_hash: HARDWARE_HASH_SCHEMA,
          machine_name: MACHINE_NAME_SCHEMA,
          app_version: APP_VERSION_SCHEMA,
        },
        ['license_id', 'license_key', 'max_activations', 'hardware_hash'],
      ),
      async handler(this: DeviceThis, ctx: Context<RegisterParams>) {
        const { doc, created } = await this.claimSeat(ctx.params);
        if (created) await this.announceChange(ctx, doc, 'device.registered');
        return { activation: toOut(doc), created };
      },
    },

    /** All activation records of a license (active and not), heartbeats merged. Internal. */
    forLicense: {
      visibility: 'public',
      params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
      async handler(this: DeviceThis, ctx: Context<{ license_id: number }>) {
        const docs = await ActivationModel.find({ license_id: ctx.params.license_id }).sort({ _id: 1 }).lean();
        return this.withPendingHeartbeats(docs);
      },
    },

    /** Active activation counts for some licenses: `{ [license_id]: count }`. Internal. */
    countActive: {
      visibility: 'public',
      params: objectSchema({ license_ids: { type: 'array', items: ID_SCHEMA, maxItems: 10_000 } }, ['license_ids']),
      async handler(ctx: Context<{ license_ids: number[] }>) {
        const rows = await ActivationModel.aggregate<{ _id: number; count: number }>([
          { $match: { license_id: { $in: ctx.params.license_ids }, is_active: true } },
          { $group: { _id: '$license_id', count: { $sum: 1 } } },
        ]);
        const counts: Record<string, number> = {};
        for (const id of ctx.params.license_ids) counts[id] = 0;
        for (const row of rows) counts[row._id] = row.count;
        return counts;
      },
    },

    /** Records a heartbeat in Redis (flushed to the record later). Internal: license.heartbeat. */
    recordHeartbeat: {
      visibility: 'public',
      params: objectSchema({ license_id: ID_SCHEMA, activation_id: ID_SCHEMA }, ['license_id', 'activation_id']),
      async handler(this: DeviceThis, ctx: Context<{ license_id: number; activation_id: number }>) {
        const now = Date.now();
        try {
          await this.redis.hset(PENDING, String(ctx.params.activation_id), String(now));
        } catch {
          throw new ServiceUnavailableError('Heartbeat store unavailable');
        }
        await ctx.emit('device.heartbeat', {
          license_id: ctx.params.license_id,
          activation_id: ctx.params.activation_id,
          at: now,
        });
        return { last_heartbeat: new Date(now).toISOString() };
      },
    },

    /**
     * Moves seats numbered at or above a (lowered) limit into free seats below it, one record at a
     * time, each move guarded by the unique seat index. Internal: license quick-edit.
     */
    compactSeats: {
      visibility: 'public',
      params: objectSchema(
        { license_id: ID_SCHEMA, max_activations: { type: 'integer', minimum: 1, maximum: 100_000 } },
        ['license_id', 'max_activations'],
      ),
      async handler(this: DeviceThis, ctx: Context<{ license_id: number; max_activations: number }>) {
        const { license_id, max_activations } = ctx.params;
        let moved = 0;
        for (let attempt = 0; attempt < max_activations + 20; attempt += 1) {
          const active = await ActivationModel.find({ license_id, slot: { $gte: 0 } }, { slot: 1 }).lean();
          const high = active.find(a => a.slot >= max_activations);
          if (!high) return { moved };
          const slot = pickFreeSlot(new Set(active.map(a => a.slot)), max_activations);
          if (slot === null) {
            throw new ConflictError('More active devices than the new limit', 'ACTIVATIONS_EXCEED_LIMIT', {
              current_activations: active.length,
            });
          }
          try {
            const res = await ActivationModel.updateOne({ _id: high._id, slot: high.slot }, { $set: { slot } });
            moved += res.modifiedCount;
          } catch (err) {
            if (!isDuplicateKeyError(err)) throw err;
          }
        }
        throw new ServiceUnavailableError('Too much contention on this license, retry');
      },
    },

    /** Removes every device of some licenses (license deletion) and ends their sessions. Internal. */
    removeForLicenses: {
      visibility: 'public',
      params: objectSchema({ license_ids: { type: 'array', items: ID_SCHEMA, maxItems: 1000 } }, ['license_ids']),
      async handler(this: DeviceThis, ctx: Context<{ license_ids: number[] }>) {
        const docs = await ActivationModel.find(
          { license_id: { $in: ctx.params.license_ids } },
          { _id: 1, license_id: 1, license_key: 1 },
        ).lean();
        const res = await ActivationModel.deleteMany({ license_id: { $in: ctx.params.license_ids } });
        await dropLicenseViews(this.broker, {
          keys: [...new Set(docs.map(d => d.license_key))],
          ended: docs.map(d => ({ license_id: d.license_id, activation_id: d._id })),
        });
        return { removed: res.deletedCount };
      },
    },

    /** Devices whose machine name or hardware hash contains the text (global search). Internal. */
    search: {
      visibility: 'public',
      params: objectSchema(
        { q: { type: 'string', minLength: 1, maxLength: 100 }, limit: { type: 'integer', minimum: 1, maximum: 100 } },
        ['q', 'limit'],
      ),
      async handler(this: DeviceThis, ctx: Context<{ q: string; limit: number }>) {
        const pattern = new RegExp(escapeRegex(ctx.params.q), 'i');
        const docs = await ActivationModel.find({ $or: [{ machine_name: pattern }, { hardware_hash: pattern }] })
          .sort({ _id: -1 })
          .limit(ctx.params.limit)
          .lean();
        return this.withPendingHeartbeats(docs);
      },
    },

    /** Gives a seat back. A device of another license is a 404, not a silent success. */
    deactivate: {
      params: objectSchema({ license_id: ID_SCHEMA, device_id: ID_SCHEMA }, ['license_id', 'device_id']),
      async handler(this: DeviceThis, ctx: Context<{ license_id: number; device_id: number }>) {
        const { license_id, device_id } = ctx.params;
        const doc = await ActivationModel.findOneAndUpdate(
          { _id: device_id, license_id, is_active: true },
          { $set: { is_active: false, slot: -device_id, deactivated_at: new Date() } },
          { returnDocument: 'after', lean: true },
        );
        if (doc) {
          await this.announceChange(ctx, doc, 'device.deactivated');
          return { success: true, message: 'Device deactivated successfully' };
        }
        const existing = await ActivationModel.exists({ _id: device_id, license_id });
        if (!existing) {
          throw new NotFoundError(`Device ${device_id} not found on license ${license_id}`, 'DEVICE_NOT_FOUND', {
            field: 'device_id',
            reason: 'not_found',
          });
        }
        return { success: true, message: 'Device was already deactivated' };
      },
    },
  },

  methods: {
    async claimSeat(this: DeviceThis, p: RegisterParams) {
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
        const used = new Set(
          (await ActivationModel.find({ license_id: p.license_id, slot: { $gte: 0 } }, { slot: 1 }).lean()).map(
            a => a.slot,
          ),
        );
        // Seats bound the count; the size check also holds while a lowered limit is being compacted.
        const slot = used.size >= p.max_activations ? null : pickFreeSlot(used, p.max_activations);
        if (slot === null) {
          throw new ConflictError(
            'The license has reached its maximum number of activations',
            'ACTIVATION_LIMIT_REACHED',
            {
              max_activations: p.max_activations,
              current_activations: used.size,
            },
          );
        }
        try {
          if (existing) {
            // A machine that was deactivated comes back: same record, new seat.
            const revived = await ActivationModel.findOneAndUpdate(
              { _id: existing._id, is_active: false },
              { $set: { ...details, slot, is_active: true, activated_at: now, deactivated_at: null } },
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
            slot,
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
      throw new ServiceUnavailableError('Too much contention on this license, retry');
    },

    async withPendingHeartbeats(this: DeviceThis, docs: ActivationDoc[]) {
      if (docs.length === 0) return [];
      const ids = docs.map(d => String(d._id));
      let pending: Array<string | null> = [];
      try {
        pending = await this.redis.hmget(PENDING, ...ids);
      } catch {
        // Redis away: the stored heartbeat is slightly older, the answer still right otherwise.
      }
      return docs.map((d, i) => toOut(d, pending[i] ? Number(pending[i]) : undefined));
    },

    /** Moves pending heartbeats to the activation records; returns how many were written. */
    async flushHeartbeats(this: DeviceThis) {
      // A batch left by a crashed flush is written first; otherwise take the pending hash atomically.
      if (!(await this.redis.exists(FLUSHING))) {
        try {
          await this.redis.rename(PENDING, FLUSHING);
        } catch {
          return 0; // nothing pending
        }
      }
      const batch = await this.redis.hgetall(FLUSHING);
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
      await this.redis.del(FLUSHING);
      return ops.length;
    },

    async announceChange(this: DeviceThis, ctx: Context, doc: ActivationDoc, fact: string) {
      await dropLicenseViews(this.broker, {
        keys: [doc.license_key],
        ...(doc.is_active ? {} : { ended: [{ license_id: doc.license_id, activation_id: doc._id }] }),
      });
      await ctx.emit(fact, {
        license_id: doc.license_id,
        license_key: doc.license_key,
        activation_id: doc._id,
        hardware_hash: doc.hardware_hash,
      });
    },
  },

  created(this: DeviceThis) {
    this.flushJob = null;
  },

  async started(this: DeviceThis) {
    this.redis = acquireRedis();
    this.flushJob = await startRepeatingJob(
      'heartbeat-flush',
      FLUSH_EVERY_MS,
      () => this.flushHeartbeats(),
      err => this.logger.warn('Heartbeat flush failed', { message: err.message }),
    );
  },

  async stopped(this: DeviceThis) {
    await this.flushJob?.stop();
    // Write what is pending now, so a clean shutdown loses no heartbeat.
    await this.flushHeartbeats().catch(() => undefined);
    await releaseRedis();
  },
};

export default DeviceService as unknown as ServiceSchema;
