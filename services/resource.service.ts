/**
 * The resource pool and its allocation to licenses.
 *
 * Allocation of a list is all-or-nothing without transactions:
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
 * ABANDONED_AFTER (longer than any request may run), so a crash leaks nothing and no job is needed.
 * A commit that finds fewer claims than it made (one was released behind its back) undoes and fails.
 *
 * Deleting an allocated resource is refused (409 RESOURCE_ALLOCATED): release it first, so that a
 * license never loses a resource silently. Deletion is one conditional delete `{_id, license_id: null}`,
 * so it cannot race with an allocation.
 *
 * Facts: `resource.allocated` and `resource.released` {license_id, resource_ids}, once per license and
 * request; `resource.created` and `resource.deleted` {resource_id}.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Service, ServiceSchema } from 'moleculer';
import { config } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import {
  RESOURCE_STATUSES,
  RESOURCE_TYPE_PATTERN,
  ResourceModel,
  type ResourceDoc,
  type ResourceStatus,
} from '../models/resource.model.ts';
import { nextId } from '../models/counter.model.ts';
import { AppError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/core/errors.ts';
import { objectSchema, type JsonSchema } from '../lib/core/validation.ts';
import { ID_SCHEMA } from '../lib/core/schemas.ts';

interface ResourceThis extends Service {
  sweepAbandoned(): Promise<number>;
  undoClaims(requestId: string): Promise<void>;
  claimAll(ctx: Context, licenseId: number, ids: number[], requestId: string): Promise<void>;
}

export interface ResourceOut {
  id: number;
  type: string;
  identifier: string;
  status: ResourceStatus;
  license_id: number | null;
  allocated_at: string | null;
  notes: string;
  created_at: string;
  updated_at: string;
}

const TYPE_SCHEMA: JsonSchema = { type: 'string', pattern: RESOURCE_TYPE_PATTERN, example: 'server' };
// Printable ASCII words separated by single spaces: host names, asset tags, IP addresses.
const IDENTIFIER_SCHEMA: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\x21-\\x7E]+( [\\x21-\\x7E]+)*$',
  example: 'SRV-001',
};
const RESOURCE_IDS_SCHEMA: JsonSchema = {
  type: 'array',
  items: ID_SCHEMA,
  minItems: 1,
  maxItems: 500,
  uniqueItems: true,
};
const LICENSE_IDS_SCHEMA: JsonSchema = { type: 'array', items: ID_SCHEMA, maxItems: 1000 };

/** A pending claim older than this belongs to a request that died (requests time out much sooner). */
function abandonedAfterMs(): number {
  return Math.max(60_000, 2 * config().requestTimeoutMs);
}

function released(now: Date): Partial<ResourceDoc> {
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

function toOut(doc: ResourceDoc): ResourceOut {
  return {
    id: doc._id,
    type: doc.type,
    identifier: doc.identifier,
    status: doc.status,
    license_id: doc.license_id,
    allocated_at: doc.allocated_at ? doc.allocated_at.toISOString() : null,
    notes: doc.notes ?? '',
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

function notFound(ids: number[]): NotFoundError {
  return new NotFoundError(`Resources not found: ${ids.join(', ')}`, 'RESOURCE_NOT_FOUND', {
    field: 'resource_ids',
    reason: 'not_found',
    resource_ids: ids,
  });
}

function unavailable(ids: number[]): ConflictError {
  return new ConflictError(`Resources already allocated: ${ids.join(', ')}`, 'RESOURCE_UNAVAILABLE', {
    field: 'resource_ids',
    reason: 'already_allocated',
    resource_ids: ids,
  });
}

function byLicense(docs: Array<Pick<ResourceDoc, '_id' | 'license_id'>>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const doc of docs) {
    if (doc.license_id === null) continue;
    const ids = groups.get(doc.license_id) ?? [];
    ids.push(doc._id);
    groups.set(doc.license_id, ids);
  }
  return groups;
}

const ResourceService: ServiceSchema<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  ResourceThis
> = {
  name: 'resource',
  mixins: [dbMixin([ResourceModel])],

  actions: {
    /** POST /api/resources */
    create: {
      params: objectSchema(
        { type: TYPE_SCHEMA, identifier: IDENTIFIER_SCHEMA, notes: { type: 'string', maxLength: 2000 } },
        ['type', 'identifier'],
      ),
      async handler(ctx: Context<{ type: string; identifier: string; notes?: string }>) {
        const now = new Date();
        try {
          const doc = await ResourceModel.create({
            _id: await nextId('resource'),
            type: ctx.params.type,
            identifier: ctx.params.identifier,
            identifier_key: ctx.params.identifier.toLowerCase(),
            notes: ctx.params.notes ?? '',
            created_at: now,
            updated_at: now,
          });
          (ctx.meta as { $location?: string }).$location = `/api/resource/${doc._id}`;
          await ctx.emit('resource.created', { resource_id: doc._id });
          return toOut(doc.toObject());
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          throw new ConflictError('A resource with this identifier already exists', 'RESOURCE_IDENTIFIER_EXISTS', {
            field: 'identifier',
            reason: 'duplicate',
          });
        }
      },
    },

    /** GET /api/resources: filter by type, status or license; paginated by id. */
    list: {
      params: objectSchema({
        type: TYPE_SCHEMA,
        status: { type: 'string', enum: [...RESOURCE_STATUSES] },
        license_id: ID_SCHEMA,
        page: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      }),
      async handler(
        this: ResourceThis,
        ctx: Context<{ type?: string; status?: ResourceStatus; license_id?: number; page: number; limit: number }>,
      ) {
        const p = ctx.params;
        await this.sweepAbandoned();
        const filter: Record<string, unknown> = {
          ...(p.type !== undefined ? { type: p.type } : {}),
          ...(p.status !== undefined ? { status: p.status } : {}),
          ...(p.license_id !== undefined ? { license_id: p.license_id } : {}),
        };
        const [total, docs] = await Promise.all([
          ResourceModel.countDocuments(filter),
          ResourceModel.find(filter)
            .sort({ _id: 1 })
            .skip((p.page - 1) * p.limit)
            .limit(p.limit)
            .lean(),
        ]);
        return {
          resources: docs.map(toOut),
          pagination: {
            page: p.page,
            limit: p.limit,
            total,
            pages: Math.ceil(total / p.limit),
            more: p.page * p.limit < total,
          },
        };
      },
    },

    /** GET /api/resource/:resource_id */
    read: {
      params: objectSchema({ resource_id: ID_SCHEMA }, ['resource_id']),
      async handler(ctx: Context<{ resource_id: number }>) {
        const doc = await ResourceModel.findById(ctx.params.resource_id).lean();
        if (!doc) throw notFound([ctx.params.resource_id]);
        return { resource: toOut(doc) };
      },
    },

    /** DELETE /api/resource/:resource_id: only a free resource (release it first). */
    remove: {
      params: objectSchema({ resource_id: ID_SCHEMA }, ['resource_id']),
      async handler(ctx: Context<{ resource_id: number }>) {
        const id = ctx.params.resource_id;
        const { deletedCount } = await ResourceModel.deleteOne({ _id: id, license_id: null });
        if (deletedCount === 0) {
          if (!(await ResourceModel.exists({ _id: id }))) throw notFound([id]);
          throw new ConflictError(`Resource ${id} is allocated; release it first`, 'RESOURCE_ALLOCATED', {
            field: 'resource_id',
            reason: 'allocated',
          });
        }
        await ctx.emit('resource.deleted', { resource_id: id });
        return { success: true, message: 'Resource deleted successfully' };
      },
    },

    /** POST /api/resources/allocate: all or nothing (see the header). */
    allocate: {
      params: objectSchema({ license_id: ID_SCHEMA, resource_ids: RESOURCE_IDS_SCHEMA }, [
        'license_id',
        'resource_ids',
      ]),
      async handler(this: ResourceThis, ctx: Context<{ license_id: number; resource_ids: number[] }>) {
        const licenseId = ctx.params.license_id;
        const ids = [...ctx.params.resource_ids].sort((a, b) => a - b);
        await ctx.call('license.get', { id: licenseId });
        await this.sweepAbandoned();
        const docs = await ResourceModel.find({ _id: { $in: ids } }, { license_id: 1 }).lean();
        const found = new Set(docs.map(d => d._id));
        const missing = ids.filter(id => !found.has(id));
        if (missing.length > 0) throw notFound(missing);
        const taken = docs.filter(d => d.license_id !== null).map(d => d._id);
        if (taken.length > 0) throw unavailable(taken.sort((a, b) => a - b));

        const requestId = randomUUID();
        try {
          await this.claimAll(ctx, licenseId, ids, requestId);
        } catch (err) {
          await this.undoClaims(requestId).catch((undoErr: Error) => {
            // The claims stay pending and are released once abandoned: nothing is lost, only delayed.
            this.logger.warn('Could not undo the claims of a failed allocation', {
              request_id: requestId,
              message: undoErr.message,
            });
          });
          throw err;
        }
        await ctx.emit('resource.allocated', { license_id: licenseId, resource_ids: ids });
        return { success: true, allocated: ids.length, message: `${ids.length} resources allocated successfully` };
      },
    },

    /**
     * POST /api/resources/release. Every id must exist (404 otherwise, nothing released); with
     * `license_id`, every allocated one must belong to that license (409 otherwise). Free resources are
     * left alone and listed in `not_allocated`, so repeating a release is harmless.
     */
    release: {
      params: objectSchema({ resource_ids: RESOURCE_IDS_SCHEMA, license_id: ID_SCHEMA }, ['resource_ids']),
      async handler(ctx: Context<{ resource_ids: number[]; license_id?: number }>) {
        const ids = ctx.params.resource_ids;
        const docs = await ResourceModel.find(
          { _id: { $in: ids } },
          { license_id: 1, request_id: 1, pending: 1 },
        ).lean();
        const found = new Set(docs.map(d => d._id));
        const missing = ids.filter(id => !found.has(id));
        if (missing.length > 0) throw notFound(missing);
        const { license_id } = ctx.params;
        if (license_id !== undefined) {
          const foreign = docs.filter(d => d.license_id !== null && d.license_id !== license_id).map(d => d._id);
          if (foreign.length > 0) {
            throw new ConflictError(
              `Resources not allocated to license ${license_id}: ${foreign.join(', ')}`,
              'RESOURCE_NOT_ALLOCATED_TO_LICENSE',
              {
                field: 'resource_ids',
                reason: 'other_license',
                resource_ids: foreign,
              },
            );
          }
        }
        const now = new Date();
        // A claim still pending belongs to an allocation in flight; it is not an allocation yet.
        const allocated = docs.filter(d => d.license_id !== null && !d.pending);
        // Matching on the allocation's request id releases exactly the allocation that was read, never
        // a newer allocation of the same resource made in between.
        const outcomes = await Promise.all(
          allocated.map(d =>
            ResourceModel.updateOne({ _id: d._id, request_id: d.request_id, pending: false }, { $set: released(now) }),
          ),
        );
        const done = allocated.filter((_, i) => outcomes[i]!.matchedCount === 1);
        for (const [licenseId, resourceIds] of byLicense(done)) {
          await ctx.emit('resource.released', { license_id: licenseId, resource_ids: resourceIds });
        }
        const doneIds = new Set(done.map(d => d._id));
        return {
          success: true,
          released: done.length,
          not_allocated: ids.filter(id => !doneIds.has(id)),
          message: `${done.length} resources released successfully`,
        };
      },
    },

    /** Releases everything allocated (or being allocated) to some licenses. Idempotent. Internal: license deletion. */
    releaseForLicenses: {
      visibility: 'public',
      params: objectSchema({ license_ids: LICENSE_IDS_SCHEMA }, ['license_ids']),
      async handler(ctx: Context<{ license_ids: number[] }>) {
        if (ctx.params.license_ids.length === 0) return { released: 0 };
        const filter = { license_id: { $in: ctx.params.license_ids } };
        const committed = await ResourceModel.find({ ...filter, pending: false }, { license_id: 1 }).lean();
        const { modifiedCount } = await ResourceModel.updateMany(filter, { $set: released(new Date()) });
        for (const [licenseId, resourceIds] of byLicense(committed)) {
          await ctx.emit('resource.released', { license_id: licenseId, resource_ids: resourceIds });
        }
        return { released: modifiedCount };
      },
    },

    /** GET /api/license/:license_id/resources */
    forLicense: {
      params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
      async handler(ctx: Context<{ license_id: number }>) {
        await ctx.call('license.get', { id: ctx.params.license_id });
        const docs = await ResourceModel.find({ license_id: ctx.params.license_id, pending: false })
          .sort({ _id: 1 })
          .limit(10_000)
          .lean();
        return {
          resources: docs.map(d => ({
            id: d._id,
            type: d.type,
            identifier: d.identifier,
            status: d.status,
            allocated_at: d.allocated_at ? d.allocated_at.toISOString() : null,
          })),
        };
      },
    },

    /**
     * GET /api/resources/check-availability: `count` in the answer is how many resources of the type
     * are free now; `available` says whether that covers the requested count; `resources` lists up to
     * the requested count of them (lowest ids first), the ones an allocation could take.
     */
    checkAvailability: {
      params: objectSchema({ type: TYPE_SCHEMA, count: { type: 'integer', minimum: 1, maximum: 500, default: 1 } }, [
        'type',
      ]),
      async handler(this: ResourceThis, ctx: Context<{ type: string; count: number }>) {
        const { type, count } = ctx.params;
        await this.sweepAbandoned();
        const filter = { type, license_id: null };
        const [free, docs] = await Promise.all([
          ResourceModel.countDocuments(filter),
          ResourceModel.find(filter, { type: 1, identifier: 1 }).sort({ _id: 1 }).limit(count).lean(),
        ]);
        return {
          available: free >= count,
          count: free,
          resources: docs.map(d => ({ id: d._id, type: d.type, identifier: d.identifier })),
        };
      },
    },

    /** GET /api/resources/stats. A claim in flight counts as allocated: it is not available. */
    stats: {
      params: objectSchema({}),
      async handler(this: ResourceThis) {
        await this.sweepAbandoned();
        const rows = await ResourceModel.aggregate<{ _id: { type: string; status: ResourceStatus }; n: number }>([
          { $group: { _id: { type: '$type', status: '$status' }, n: { $sum: 1 } } },
        ]);
        const totals = { total: 0, allocated: 0, available: 0 };
        const byType: Record<string, { total: number; allocated: number; available: number }> = {};
        for (const row of rows.sort((a, b) => a._id.type.localeCompare(b._id.type))) {
          const entry = (byType[row._id.type] ??= { total: 0, allocated: 0, available: 0 });
          for (const bucket of [entry, totals]) {
            bucket.total += row.n;
            bucket[row._id.status] += row.n;
          }
        }
        return { ...totals, by_type: byType };
      },
    },
  },

  methods: {
    async claimAll(this: ResourceThis, ctx: Context, licenseId: number, ids: number[], requestId: string) {
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
        if (matchedCount === 0) throw (await ResourceModel.exists({ _id: id })) ? unavailable([id]) : notFound([id]);
      }
      // The license may have been deleted while claiming: never commit to a license that is gone.
      await ctx.call('license.get', { id: licenseId });
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
    },

    async undoClaims(requestId: string) {
      await ResourceModel.updateMany({ request_id: requestId }, { $set: released(new Date()) });
    },

    async sweepAbandoned() {
      const cutoff = new Date(Date.now() - abandonedAfterMs());
      const { modifiedCount } = await ResourceModel.updateMany(
        { pending: true, claimed_at: { $lt: cutoff } },
        { $set: released(new Date()) },
      );
      if (modifiedCount > 0) this.logger.warn('Released claims of abandoned allocations', { count: modifiedCount });
      return modifiedCount;
    },
  },
};

export default ResourceService as unknown as ServiceSchema;
