/**
 * Actions other services call over the broker (`visibility: 'public'`, never routed over HTTP): the
 * license service claims seats, lists and counts activations, records heartbeats, applies changed
 * seat limits and removes the activations of deleted licenses; the search service searches.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import {
  APP_VERSION_SCHEMA,
  HARDWARE_HASH_SCHEMA,
  ID_SCHEMA,
  LICENSE_KEY_SCHEMA,
  MACHINE_NAME_SCHEMA,
  MAX_ACTIVATIONS_SCHEMA,
  SEARCH_TEXT_SCHEMA,
} from '../../lib/core/schemas.ts';
import { escapeRegex } from '../../lib/core/values.ts';
import { ActivationModel } from '../../models/activation.model.ts';
import type { ActivationAnswer, RegistrationAnswer, SeatsByLicense } from './contract.ts';
import type { DeviceThis } from './state.ts';
import { toActivationAnswer, toActivationAnswers } from './answers.ts';
import { bufferHeartbeat } from './heartbeat-buffer.ts';
import { applySeatLimit, claimSeat, forgetSeatLimits } from './seats.ts';
import { deviceFact, dropViewsAfterSeatChange } from './changes.ts';

const action = actionFor<DeviceThis>();

const REGISTER_PARAMS = objectSchema(
  {
    license_id: ID_SCHEMA,
    license_key: LICENSE_KEY_SCHEMA,
    max_activations: MAX_ACTIVATIONS_SCHEMA,
    hardware_hash: HARDWARE_HASH_SCHEMA,
    machine_name: MACHINE_NAME_SCHEMA,
    app_version: APP_VERSION_SCHEMA,
  },
  ['license_id', 'license_key', 'max_activations', 'hardware_hash'],
);

const LICENSE_PARAMS = objectSchema({ license_id: ID_SCHEMA }, ['license_id']);

/** At most this many licenses per `device.seatsOf` (the license service's view batches are smaller). */
export const SEATS_OF_MAX = 500;

const SEATS_OF_PARAMS = objectSchema(
  { license_ids: { type: 'array', items: ID_SCHEMA, minItems: 1, maxItems: SEATS_OF_MAX } },
  ['license_ids'],
);

const COUNT_ACTIVE_PARAMS = objectSchema({ license_ids: { type: 'array', items: ID_SCHEMA, maxItems: 10_000 } }, [
  'license_ids',
]);

const HEARTBEAT_PARAMS = objectSchema({ license_id: ID_SCHEMA, activation_id: ID_SCHEMA }, [
  'license_id',
  'activation_id',
]);

const COMPACT_PARAMS = objectSchema({ license_id: ID_SCHEMA, max_activations: MAX_ACTIVATIONS_SCHEMA }, [
  'license_id',
  'max_activations',
]);

const REMOVE_PARAMS = objectSchema({ license_ids: { type: 'array', items: ID_SCHEMA, maxItems: 1000 } }, [
  'license_ids',
]);

const SEARCH_PARAMS = objectSchema({ q: SEARCH_TEXT_SCHEMA, limit: { type: 'integer', minimum: 1, maximum: 100 } }, [
  'q',
  'limit',
]);

export const internalActions = {
  /**
   * Claims a seat for a machine, or returns its existing active record (refreshing machine name and
   * app version). license.activate and the admin register-device call it after checking the license.
   */
  register: action({
    visibility: 'public',
    params: REGISTER_PARAMS,
    async handler(ctx): Promise<RegistrationAnswer> {
      const { doc, created } = await claimSeat(ctx.params);
      if (created) {
        await dropViewsAfterSeatChange(this, doc);
        await this.announce(ctx, 'device.registered', deviceFact(doc));
      }
      return { activation: toActivationAnswer(doc), created };
    },
  }),

  /** All activation records of a license (active and not), heartbeats merged. */
  forLicense: action({
    visibility: 'public',
    params: LICENSE_PARAMS,
    async handler(ctx): Promise<ActivationAnswer[]> {
      const docs = await ActivationModel.find({ license_id: ctx.params.license_id }).sort({ _id: 1 }).lean();
      return toActivationAnswers(this.redis, docs);
    },
  }),

  /**
   * The machines of some licenses as their verify views need them: id, hardware hash and whether the
   * seat is active, in one indexed read and without the heartbeat merge (a view does not show it).
   */
  seatsOf: action({
    visibility: 'public',
    params: SEATS_OF_PARAMS,
    async handler(ctx): Promise<SeatsByLicense> {
      const ids = ctx.params.license_ids;
      const docs = await ActivationModel.find(
        ids.length === 1 ? { license_id: ids[0] } : { license_id: { $in: ids } },
        { license_id: 1, hardware_hash: 1, is_active: 1 },
      )
        .sort({ _id: 1 })
        .lean();
      const seats: SeatsByLicense = {};
      for (const id of ids) seats[id] = [];
      for (const d of docs)
        seats[d.license_id]?.push({ id: d._id, hardware_hash: d.hardware_hash, is_active: d.is_active });
      return seats;
    },
  }),

  /** Active activation counts for some licenses: `{ [license_id]: count }`. */
  countActive: action({
    visibility: 'public',
    params: COUNT_ACTIVE_PARAMS,
    async handler(ctx): Promise<Record<string, number>> {
      const rows = await ActivationModel.aggregate<{ _id: number; count: number }>([
        { $match: { license_id: { $in: ctx.params.license_ids }, is_active: true } },
        { $group: { _id: '$license_id', count: { $sum: 1 } } },
      ]);
      const counts: Record<string, number> = {};
      for (const id of ctx.params.license_ids) counts[id] = 0;
      for (const row of rows) counts[row._id] = row.count;
      return counts;
    },
  }),

  /**
   * Records a heartbeat in Redis (flushed to the record later). The license service's heartbeat no
   * longer calls it (its script writes the buffer itself, contract.ts); kept for license nodes of the
   * previous release during a rolling upgrade. Heartbeats are counted (license/sessions.ts), not
   * announced (lib/core/events.ts).
   */
  recordHeartbeat: action({
    visibility: 'public',
    params: HEARTBEAT_PARAMS,
    async handler(ctx): Promise<{ last_heartbeat: string }> {
      const now = Date.now();
      await bufferHeartbeat(this.redis, ctx.params.activation_id, now);
      return { last_heartbeat: new Date(now).toISOString() };
    },
  }),

  /** Active activations (seats in use) across every license: an indexed count (live stats). */
  countAllActive: action({
    visibility: 'public',
    params: objectSchema({}),
    async handler(): Promise<{ count: number }> {
      return { count: await ActivationModel.countDocuments({ is_active: true }) };
    },
  }),

  /**
   * A license's limit changed (license quick-edit): records it, and after a cut moves seats at or above
   * it below it (see seats.ts). Refused with ACTIVATIONS_EXCEED_LIMIT when the active records do not fit.
   */
  applySeatLimit: action({
    visibility: 'public',
    params: COMPACT_PARAMS,
    async handler(ctx): Promise<{ moved: number }> {
      return { moved: await applySeatLimit(ctx.params.license_id, ctx.params.max_activations) };
    },
  }),

  /** Removes every activation of some licenses (license deletion) and ends their sessions. */
  removeForLicenses: action({
    visibility: 'public',
    params: REMOVE_PARAMS,
    async handler(ctx): Promise<{ removed: number }> {
      const docs = await ActivationModel.find(
        { license_id: { $in: ctx.params.license_ids } },
        { _id: 1, license_id: 1, license_key: 1 },
      ).lean();
      const res = await ActivationModel.deleteMany({ license_id: { $in: ctx.params.license_ids } });
      await forgetSeatLimits(ctx.params.license_ids);
      await this.dropLicenseViews({
        keys: [...new Set(docs.map(d => d.license_key))],
        ended: docs.map(d => ({ license_id: d.license_id, activation_id: d._id })),
      });
      return { removed: res.deletedCount };
    },
  }),

  /** Activations whose machine name or hardware hash contains the text (global search). */
  search: action({
    visibility: 'public',
    params: SEARCH_PARAMS,
    async handler(ctx): Promise<ActivationAnswer[]> {
      const pattern = new RegExp(escapeRegex(ctx.params.q), 'i');
      const docs = await ActivationModel.find({ $or: [{ machine_name: pattern }, { hardware_hash: pattern }] })
        .sort({ _id: -1 })
        .limit(ctx.params.limit)
        .lean();
      return toActivationAnswers(this.redis, docs);
    },
  }),
};
