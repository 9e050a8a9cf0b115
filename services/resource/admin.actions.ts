/**
 * The admin API's resource routes (services/api/routes/resource.routes.ts): the pool, and allocating
 * its resources to licenses (allocation.ts says how an allocation stays all-or-nothing).
 *
 * Deleting an allocated resource is refused (409 RESOURCE_ALLOCATED): release it first, so that a
 * license never loses a resource silently. Deletion is one conditional delete `{_id, license_id: null}`,
 * so it cannot race with an allocation.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'moleculer';
import { pagination, counted, escapeRegex } from '../../lib/core/values.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, PAGE_SCHEMA, SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { ConflictError, isDuplicateKeyError } from '../../lib/core/errors.ts';
import {
  RESOURCE_STATUSES,
  RESOURCE_TYPE_PATTERN,
  ResourceModel,
  type ResourceStatus,
} from '../../models/resource.model.ts';
import { nextId } from '../../models/counter.model.ts';
import type { ResourceAnswer } from './contract.ts';
import type { ResourceThis } from './state.ts';
import { byLicense, resourcesNotFound, resourcesUnavailable, toResourceAnswer } from './records.ts';
import { claimAll, releasedFields, sweepAbandoned, undoClaims } from './allocation.ts';

const action = actionFor<ResourceThis>();

const TYPE_SCHEMA = { type: 'string', pattern: RESOURCE_TYPE_PATTERN, example: 'server' } as const satisfies JsonSchema;
// Printable ASCII words separated by single spaces: host names, asset tags, IP addresses.
const IDENTIFIER_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[\\x21-\\x7E]+( [\\x21-\\x7E]+)*$',
  example: 'SRV-001',
} as const satisfies JsonSchema;
const RESOURCE_IDS_SCHEMA = {
  type: 'array',
  items: ID_SCHEMA,
  minItems: 1,
  maxItems: 500,
  uniqueItems: true,
} as const satisfies JsonSchema;

const RESOURCE_PARAMS = objectSchema({ resource_id: ID_SCHEMA }, ['resource_id']);

/** LICENSE_NOT_FOUND unless the license exists. */
function assertLicenseExists(ctx: Context, id: number): Promise<{ id: number }> {
  return ctx.call<{ id: number }, { id: number }>('license.assertExists', { id });
}

export const adminActions = {
  /** POST /api/resources */
  create: action({
    params: objectSchema(
      { type: TYPE_SCHEMA, identifier: IDENTIFIER_SCHEMA, notes: { type: 'string', maxLength: 2000 } },
      ['type', 'identifier'],
    ),
    async handler(ctx): Promise<ResourceAnswer> {
      const now = new Date();
      let answer: ResourceAnswer;
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
        answer = toResourceAnswer(doc.toObject());
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        throw new ConflictError('A resource with this identifier already exists', 'RESOURCE_IDENTIFIER_EXISTS', {
          field: 'identifier',
          reason: 'duplicate',
        });
      }
      ctx.meta.$location = `/api/resource/${answer.id}`;
      await this.announce(ctx, 'resource.created', { resource_id: answer.id });
      return answer;
    },
  }),

  /** GET /api/resources: filter by type, status, license or identifier text; paginated by id. */
  list: action({
    params: objectSchema({
      type: TYPE_SCHEMA,
      status: { type: 'string', enum: [...RESOURCE_STATUSES] },
      license_id: ID_SCHEMA,
      q: SEARCH_TEXT_SCHEMA,
      page: PAGE_SCHEMA,
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    }),
    async handler(ctx) {
      const p = ctx.params;
      await sweepAbandoned(this.logger);
      const filter: Record<string, unknown> = {
        ...(p.type !== undefined ? { type: p.type } : {}),
        ...(p.status !== undefined ? { status: p.status } : {}),
        ...(p.license_id !== undefined ? { license_id: p.license_id } : {}),
        // On the stored lower-case copy, escaped: the text is matched literally, never as a pattern.
        ...(p.q !== undefined ? { identifier_key: { $regex: escapeRegex(p.q.toLowerCase()) } } : {}),
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
        resources: docs.map(toResourceAnswer),
        pagination: pagination(p.page, p.limit, total),
      };
    },
  }),

  /** GET /api/resource/:resource_id */
  read: action({
    params: RESOURCE_PARAMS,
    async handler(ctx): Promise<{ resource: ResourceAnswer }> {
      const doc = await ResourceModel.findById(ctx.params.resource_id).lean();
      if (!doc) throw resourcesNotFound([ctx.params.resource_id]);
      return { resource: toResourceAnswer(doc) };
    },
  }),

  /** DELETE /api/resource/:resource_id: only a free resource (release it first). */
  remove: action({
    params: RESOURCE_PARAMS,
    async handler(ctx) {
      const id = ctx.params.resource_id;
      const { deletedCount } = await ResourceModel.deleteOne({ _id: id, license_id: null });
      if (deletedCount === 0) {
        if (!(await ResourceModel.exists({ _id: id }))) throw resourcesNotFound([id]);
        throw new ConflictError(`Resource ${id} is allocated; release it first`, 'RESOURCE_ALLOCATED', {
          field: 'resource_id',
          reason: 'allocated',
        });
      }
      await this.announce(ctx, 'resource.deleted', { resource_id: id });
      return { success: true, message: 'Resource deleted successfully' };
    },
  }),

  /** POST /api/resources/allocate: all or nothing (allocation.ts). */
  allocate: action({
    params: objectSchema({ license_id: ID_SCHEMA, resource_ids: RESOURCE_IDS_SCHEMA }, ['license_id', 'resource_ids']),
    async handler(ctx) {
      const licenseId = ctx.params.license_id;
      const ids = [...ctx.params.resource_ids].sort((a, b) => a - b);
      await assertLicenseExists(ctx, licenseId);
      await sweepAbandoned(this.logger);
      const docs = await ResourceModel.find({ _id: { $in: ids } }, { license_id: 1 }).lean();
      const found = new Set(docs.map(d => d._id));
      const missing = ids.filter(id => !found.has(id));
      if (missing.length > 0) throw resourcesNotFound(missing);
      const taken = docs.filter(d => d.license_id !== null).map(d => d._id);
      if (taken.length > 0) throw resourcesUnavailable(taken.sort((a, b) => a - b));

      const requestId = randomUUID();
      try {
        await claimAll(licenseId, ids, requestId, () => assertLicenseExists(ctx, licenseId));
      } catch (err) {
        await undoClaims(requestId).catch((undoErr: Error) => {
          // The claims stay pending and are released once abandoned: nothing is lost, only delayed.
          this.logger.warn('Could not undo the claims of a failed allocation', {
            request_id: requestId,
            message: undoErr.message,
          });
        });
        throw err;
      }
      await this.announce(ctx, 'resource.allocated', { license_id: licenseId, resource_ids: ids });
      return {
        success: true,
        allocated: ids.length,
        message: `${counted(ids.length, 'resource')} allocated successfully`,
      };
    },
  }),

  /**
   * POST /api/resources/release. Every id must exist (404 otherwise, nothing released); with
   * `license_id`, every allocated one must belong to that license (409 otherwise). Free resources are
   * left alone and listed in `not_allocated`, so repeating a release is harmless.
   */
  release: action({
    params: objectSchema({ resource_ids: RESOURCE_IDS_SCHEMA, license_id: ID_SCHEMA }, ['resource_ids']),
    async handler(ctx) {
      const ids = ctx.params.resource_ids;
      const docs = await ResourceModel.find({ _id: { $in: ids } }, { license_id: 1, request_id: 1, pending: 1 }).lean();
      const found = new Set(docs.map(d => d._id));
      const missing = ids.filter(id => !found.has(id));
      if (missing.length > 0) throw resourcesNotFound(missing);
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
          ResourceModel.updateOne(
            { _id: d._id, request_id: d.request_id, pending: false },
            { $set: releasedFields(now) },
          ),
        ),
      );
      const done = allocated.filter((_, i) => outcomes[i]!.matchedCount === 1);
      for (const [licenseId, resourceIds] of byLicense(done)) {
        await this.announce(ctx, 'resource.released', { license_id: licenseId, resource_ids: resourceIds });
      }
      const doneIds = new Set(done.map(d => d._id));
      return {
        success: true,
        released: done.length,
        not_allocated: ids.filter(id => !doneIds.has(id)),
        message: `${counted(done.length, 'resource')} released successfully`,
      };
    },
  }),

  /** GET /api/license/:license_id/resources: committed allocations only. */
  forLicense: action({
    params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
    async handler(ctx) {
      await assertLicenseExists(ctx, ctx.params.license_id);
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
  }),

  /**
   * GET /api/resources/check-availability: `count` in the answer is how many resources of the type
   * are free now; `available` says whether that covers the requested count; `resources` lists up to
   * the requested count of them (lowest ids first), the ones an allocation could take.
   */
  checkAvailability: action({
    params: objectSchema({ type: TYPE_SCHEMA, count: { type: 'integer', minimum: 1, maximum: 500, default: 1 } }, [
      'type',
    ]),
    async handler(ctx) {
      const { type, count } = ctx.params;
      await sweepAbandoned(this.logger);
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
  }),

  /** GET /api/resources/stats. A claim in flight counts as allocated: it is not available. */
  stats: action({
    params: objectSchema({}),
    async handler() {
      await sweepAbandoned(this.logger);
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
  }),
};
