/**
 * Resource records as answers, the catalogued errors every resource action may answer, and the
 * grouping the per-license `resource.released` facts need.
 */
import { ConflictError, NotFoundError } from '../../lib/core/errors.ts';
import type { ResourceDoc } from '../../models/resource.model.ts';
import type { ResourceAnswer } from './contract.ts';

export function toResourceAnswer(doc: ResourceDoc): ResourceAnswer {
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

export function resourcesNotFound(ids: number[]): NotFoundError {
  return new NotFoundError(`Resources not found: ${ids.join(', ')}`, 'RESOURCE_NOT_FOUND', {
    field: 'resource_ids',
    reason: 'not_found',
    resource_ids: ids,
  });
}

export function resourcesUnavailable(ids: number[]): ConflictError {
  return new ConflictError(`Resources already allocated: ${ids.join(', ')}`, 'RESOURCE_UNAVAILABLE', {
    field: 'resource_ids',
    reason: 'already_allocated',
    resource_ids: ids,
  });
}

/** Resource ids by the license they are allocated to (free ones left out): one fact per license. */
export function byLicense(docs: Array<Pick<ResourceDoc, '_id' | 'license_id'>>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const doc of docs) {
    if (doc.license_id === null) continue;
    const ids = groups.get(doc.license_id) ?? [];
    ids.push(doc._id);
    groups.set(doc.license_id, ids);
  }
  return groups;
}
