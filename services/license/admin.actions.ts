/**
 * The license admin API (Bearer token): create, list, read, toggle, bulk changes, quick edit, key
 * generation. Every change drops the changed licenses' views on every node before it answers and is
 * announced once (records.ts).
 */
import { LICENSE_TYPES, LicenseModel, type LicenseDoc } from '../../models/license.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { AppError, ConflictError, NotFoundError, ValidationError, isDuplicateKeyError } from '../../lib/core/errors.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import {
  DATE_SCHEMA,
  ID_SCHEMA,
  LICENSE_KEY_SCHEMA,
  MAX_ACTIVATIONS_SCHEMA,
  SEARCH_TEXT_SCHEMA,
} from '../../lib/core/schemas.ts';
import { escapeRegex, fromDay, startOfDay, pagination, counted } from '../../lib/core/values.ts';
import { LICENSE_STATUSES, statusFilter, toLicenseAnswer, type LicenseListEntry } from './contract.ts';
import { generateLicenseKey } from './license-keys.ts';
import { announceLicenseChange, bulkSetActive, findLicense, licenseNotFound, withActivationCounts } from './records.ts';
import type { LicenseThis } from './state.ts';
import { trackActivationUsage } from './usage.ts';
import { customerStatus } from './views.ts';

const action = actionFor<LicenseThis>();

/** Bulk operations take 1 to 1000 distinct ids: a clear 400 beyond that, never a table-wide update. */
const BULK_IDS_SCHEMA = {
  type: 'array',
  items: ID_SCHEMA,
  minItems: 1,
  maxItems: 1000,
  uniqueItems: true,
} as const satisfies JsonSchema;
const MAX_USERS_SCHEMA = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const satisfies JsonSchema;
const VALID_UNTIL_SCHEMA = { anyOf: [DATE_SCHEMA, { type: 'null' }] } as const satisfies JsonSchema;
const SORT_FIELDS = ['id', 'key', 'valid_until', 'created_at', 'type'] as const;
const EXPIRES_WITHIN_SCHEMA = {
  type: 'integer',
  minimum: 0,
  maximum: 3660,
  description: 'Only licenses whose valid_until is today or within this many days (not yet expired)',
} as const satisfies JsonSchema;
const MIN_USAGE_LEVEL_SCHEMA = {
  type: 'integer',
  enum: [80, 100],
  description: 'Only licenses using at least this share (%) of max_activations',
} as const satisfies JsonSchema;

/** valid_until from today through `days` days ahead (stored as midnight UTC, valid through that day). */
function expiringFilter(days: number, now = Date.now()): Record<string, unknown> {
  const today = startOfDay(now);
  return { valid_until: { $gte: today, $lte: new Date(today.getTime() + days * 86_400_000) } };
}

/** A fresh key no license uses yet; a collision (astronomically unlikely) is drawn again. */
async function unusedKey(): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const key = generateLicenseKey();
    if (!(await LicenseModel.exists({ key }))) return key;
  }
  throw new AppError('KEY_GENERATION_FAILED', 'Could not generate a unique license key');
}

export const adminActions = {
  /** POST /api/licenses: the customer must exist; the key is generated unless given. */
  create: action({
    params: objectSchema(
      {
        key: LICENSE_KEY_SCHEMA,
        customer_id: ID_SCHEMA,
        type: { type: 'string', enum: [...LICENSE_TYPES] },
        valid_from: DATE_SCHEMA,
        valid_until: VALID_UNTIL_SCHEMA,
        max_activations: MAX_ACTIVATIONS_SCHEMA,
        max_users: MAX_USERS_SCHEMA,
        is_active: { type: 'boolean' },
        notes: { type: 'string', maxLength: 2000 },
      },
      ['type', 'max_activations', 'max_users'],
    ),
    async handler(ctx): Promise<LicenseListEntry> {
      const p = ctx.params;
      if (p.customer_id !== undefined && !(await customerStatus(this.broker, p.customer_id))) {
        throw new NotFoundError(`Customer ${p.customer_id} not found`, 'CUSTOMER_NOT_FOUND', {
          field: 'customer_id',
          reason: 'not_found',
        });
      }
      const validFrom = p.valid_from === undefined ? startOfDay() : fromDay(p.valid_from);
      const validUntil = p.valid_until == null ? null : fromDay(p.valid_until);
      if (validUntil && validUntil < validFrom) {
        throw new ValidationError('valid_until must not be before valid_from', {
          field: 'valid_until',
          reason: 'out_of_range',
        });
      }
      // A generated key that collides (astronomically unlikely) is simply drawn again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        let doc;
        try {
          doc = await LicenseModel.create({
            _id: await nextId('license'),
            key: p.key ?? generateLicenseKey(),
            customer_id: p.customer_id ?? null,
            type: p.type,
            valid_from: validFrom,
            valid_until: validUntil,
            max_activations: p.max_activations,
            max_users: p.max_users,
            is_active: p.is_active ?? true,
            notes: p.notes ?? '',
          });
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          if (p.key !== undefined) {
            throw new ConflictError('A license with this key already exists', 'LICENSE_KEY_EXISTS', {
              field: 'key',
              reason: 'duplicate',
            });
          }
          continue;
        }
        await this.dropLicenseViews({ keys: [doc.key] });
        await this.announce(ctx, 'license.created', { license_id: doc._id, customer_id: doc.customer_id });
        Object.assign(ctx.meta, { $statusCode: 201, $location: `/api/license/${doc._id}` });
        // The same shape as in the license list: a new license has no activations yet.
        return { ...toLicenseAnswer(doc.toObject()), current_activations: 0 };
      }
      throw new AppError('KEY_GENERATION_FAILED', 'Could not generate a unique license key');
    },
  }),

  /** GET /api/licenses */
  list: action({
    params: objectSchema({
      page: { type: 'integer', minimum: 1, maximum: 100_000, default: 1 },
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      customer_id: ID_SCHEMA,
      status: { type: 'string', enum: [...LICENSE_STATUSES] },
      type: { type: 'string', enum: [...LICENSE_TYPES] },
      q: SEARCH_TEXT_SCHEMA,
      sort: { type: 'string', enum: [...SORT_FIELDS], default: 'id' },
      order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
      expires_within_days: EXPIRES_WITHIN_SCHEMA,
      min_usage_level: MIN_USAGE_LEVEL_SCHEMA,
    }),
    async handler(ctx) {
      const p = ctx.params;
      const filter: Record<string, unknown> = {
        ...(p.customer_id !== undefined ? { customer_id: p.customer_id } : {}),
        ...(p.type !== undefined ? { type: p.type } : {}),
        ...(p.q !== undefined ? { key: new RegExp(escapeRegex(p.q.toUpperCase())) } : {}),
        ...(p.min_usage_level !== undefined ? { activation_level: { $gte: p.min_usage_level } } : {}),
      };
      // In $and: the status and the expiry window may both constrain valid_until.
      const and = [
        ...(p.status !== undefined ? [statusFilter(p.status)] : []),
        ...(p.expires_within_days !== undefined ? [expiringFilter(p.expires_within_days)] : []),
      ];
      if (and.length > 0) filter.$and = and;
      const sortField = p.sort === 'id' ? '_id' : p.sort;
      const direction = p.order === 'asc' ? 1 : -1;
      // _id breaks ties, in the same direction, so pages never overlap or skip.
      const sort: Record<string, 1 | -1> =
        sortField === '_id' ? { _id: direction } : { [sortField]: direction, _id: direction };
      const [total, docs] = await Promise.all([
        LicenseModel.countDocuments(filter),
        LicenseModel.find(filter)
          .sort(sort)
          .skip((p.page - 1) * p.limit)
          .limit(p.limit)
          .lean(),
      ]);
      return {
        licenses: await withActivationCounts(ctx, docs),
        pagination: pagination(p.page, p.limit, total),
      };
    },
  }),

  /** GET /api/license/:license_id */
  read: action({
    params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
    async handler(ctx) {
      const doc = await findLicense(ctx.params.license_id);
      const [withCounts] = await withActivationCounts(ctx, [doc]);
      const customer = await customerStatus(this.broker, doc.customer_id);
      return { license: { ...withCounts!, customer_name: customer?.name ?? null } };
    },
  }),

  /** POST /api/license/:license_id/toggle */
  toggle: action({
    params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
    async handler(ctx) {
      // Compare-and-set on the current value: two concurrent toggles flip twice, never lose one.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const current = await findLicense(ctx.params.license_id);
        const updated = await LicenseModel.findOneAndUpdate(
          { _id: current._id, is_active: current.is_active },
          { $set: { is_active: !current.is_active, updated_at: new Date() } },
          { returnDocument: 'after', lean: true },
        );
        if (!updated) continue;
        await announceLicenseChange(this, ctx, [updated]);
        return {
          success: true,
          is_active: updated.is_active,
          message: updated.is_active ? 'License activated successfully' : 'License deactivated successfully',
        };
      }
      throw new ConflictError('The license is being changed concurrently, retry', 'CONCURRENT_UPDATE');
    },
  }),

  /** POST /api/licenses/bulk-activate */
  bulkActivate: action({
    params: objectSchema({ license_ids: BULK_IDS_SCHEMA }, ['license_ids']),
    handler(ctx) {
      return bulkSetActive(this, ctx, ctx.params.license_ids, true);
    },
  }),

  /** POST /api/licenses/bulk-deactivate */
  bulkDeactivate: action({
    params: objectSchema({ license_ids: BULK_IDS_SCHEMA }, ['license_ids']),
    handler(ctx) {
      return bulkSetActive(this, ctx, ctx.params.license_ids, false);
    },
  }),

  /**
   * POST /api/licenses/bulk-delete. Order matters for crash safety: resources are released and
   * devices removed first, the licenses last; every step is idempotent, so repeating a request that
   * failed half-way finishes the job and nothing stays allocated to a license that no longer exists.
   */
  bulkDelete: action({
    params: objectSchema({ license_ids: BULK_IDS_SCHEMA }, ['license_ids']),
    async handler(ctx) {
      const docs = await LicenseModel.find({ _id: { $in: ctx.params.license_ids } }, { _id: 1, key: 1 }).lean();
      const ids = docs.map(d => d._id);
      if (ids.length > 0) {
        await ctx.call('resource.releaseForLicenses', { license_ids: ids });
        await ctx.call('device.removeForLicenses', { license_ids: ids });
        await LicenseModel.deleteMany({ _id: { $in: ids } });
        // Again, now that the licenses are gone: an allocation that passed its license check in
        // between must not stay attached to a deleted license.
        await ctx.call('resource.releaseForLicenses', { license_ids: ids });
        await this.dropLicenseViews({ keys: docs.map(d => d.key) });
        for (const doc of docs) await this.announce(ctx, 'license.deleted', { license_id: doc._id });
      }
      const found = new Set(ids);
      return {
        success: true,
        deleted: ids.length,
        not_found: ctx.params.license_ids.filter(id => !found.has(id)),
        message: `${counted(ids.length, 'license')} deleted successfully`,
      };
    },
  }),

  /** POST /api/license/:license_id/quick-edit: only valid_until, max_activations, max_users. */
  quickEdit: action({
    params: objectSchema(
      {
        license_id: ID_SCHEMA,
        valid_until: VALID_UNTIL_SCHEMA,
        max_activations: MAX_ACTIVATIONS_SCHEMA,
        max_users: MAX_USERS_SCHEMA,
      },
      ['license_id'],
      { minProperties: 2 },
    ),
    async handler(ctx) {
      const p = ctx.params;
      const current = await findLicense(p.license_id);
      const set: Record<string, unknown> = { updated_at: new Date() };
      if (p.valid_until !== undefined) {
        const until = p.valid_until === null ? null : fromDay(p.valid_until);
        if (until && until < current.valid_from) {
          throw new ValidationError('valid_until must not be before valid_from', {
            field: 'valid_until',
            reason: 'out_of_range',
          });
        }
        set.valid_until = until;
        // A new end date re-arms the one-time expiry notification.
        set.expired_notified = false;
      }
      if (p.max_users !== undefined) set.max_users = p.max_users;
      if (p.max_activations !== undefined) {
        const counts = await ctx.call<Record<string, number>, { license_ids: number[] }>('device.countActive', {
          license_ids: [current._id],
        });
        const active = counts[current._id] ?? 0;
        if (p.max_activations < active) {
          throw new ConflictError(
            `The license has ${active} active devices; deactivate some before lowering max_activations to ${p.max_activations}`,
            'ACTIVATIONS_EXCEED_LIMIT',
            { field: 'max_activations', reason: 'below_current_activations', current_activations: active },
          );
        }
        set.max_activations = p.max_activations;
      }
      const limitChanged = p.max_activations !== undefined && p.max_activations !== current.max_activations;
      if (limitChanged) {
        // The device service records the new limit first: from then on a claim made under the old one
        // gives its seat back (device/seats.ts orders the two sides), and after a cut the seats numbered
        // above it move down, so the unique seat index bounds the count again. If they do not fit, it
        // refuses and keeps the old limit, and the license is not touched.
        await ctx.call('device.applySeatLimit', { license_id: current._id, max_activations: p.max_activations });
      }
      let updated: LicenseDoc | null;
      try {
        updated = await LicenseModel.findOneAndUpdate(
          { _id: current._id },
          { $set: set },
          { returnDocument: 'after', lean: true },
        );
      } catch (err) {
        // The license keeps its old limit: so does the device service's record.
        if (limitChanged) {
          await ctx
            .call('device.applySeatLimit', { license_id: current._id, max_activations: current.max_activations })
            .catch(() => undefined);
        }
        throw err;
      }
      if (!updated) throw licenseNotFound(current._id);
      await announceLicenseChange(this, ctx, [updated]);
      // A new seat limit moves the usage level (a raise re-arms it, a cut may cross 80% or 100%).
      if (p.max_activations !== undefined) await trackActivationUsage(this, ctx, current._id);
      return { success: true, message: 'License updated successfully' };
    },
  }),

  /** POST /api/generate-license-key: a fresh key no license uses yet. */
  generateKey: action({
    params: objectSchema({}),
    async handler() {
      return { license_key: await unusedKey() };
    },
  }),
};
