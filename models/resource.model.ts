/**
 * The resource pool: servers, workstations, ... that admins allocate to licenses.
 *
 * A resource is allocated to at most one license because every allocation is one conditional update
 * of the resource's own document (`license_id: null` -> the license); nothing else holds allocation
 * state, so there is no counter to drift.
 *
 * `identifier` is unique case-insensitively through its normalised copy `identifier_key` (the embedded
 * server has no collation): "SRV-001" and "srv-001" name the same machine, so only one may exist.
 *
 * `status` always agrees with `license_id` (`allocated` exactly when it is set; both change in the same
 * update). `pending` marks a claim of an allocation request that has not finished yet (see
 * services/resource/allocation.ts): such a resource is unavailable, but not yet listed for its license.
 */
import mongoose, { Schema } from 'mongoose';

export const RESOURCE_STATUSES = ['available', 'allocated'] as const;
export type ResourceStatus = (typeof RESOURCE_STATUSES)[number];

/** Types are lower-case slugs chosen by the vendor (server, workstation, ip_address, ...). */
export const RESOURCE_TYPE_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';

export interface ResourceDoc {
  _id: number;
  type: string;
  identifier: string;
  identifier_key: string;
  status: ResourceStatus;
  license_id: number | null;
  allocated_at: Date | null;
  /** The allocation request that claimed it (a random id), kept while allocated. */
  request_id: string | null;
  /** True between a request's claim and its commit; a stale pending claim is released. */
  pending: boolean;
  /** When the current claim was made (pending claims older than a deadline are abandoned). */
  claimed_at: Date | null;
  notes: string;
  created_at: Date;
  updated_at: Date;
}

const resourceSchema = new Schema<ResourceDoc>(
  {
    _id: { type: Number, required: true },
    type: { type: String, required: true, match: new RegExp(RESOURCE_TYPE_PATTERN) },
    identifier: { type: String, required: true, maxlength: 128 },
    identifier_key: { type: String, required: true, maxlength: 128 },
    status: { type: String, required: true, enum: RESOURCE_STATUSES, default: 'available' },
    license_id: { type: Number, default: null },
    allocated_at: { type: Date, default: null },
    request_id: { type: String, default: null },
    pending: { type: Boolean, required: true, default: false },
    claimed_at: { type: Date, default: null },
    notes: { type: String, default: '', maxlength: 2000 },
    created_at: { type: Date, required: true, default: () => new Date() },
    updated_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'resources' },
);
resourceSchema.index({ identifier_key: 1 }, { unique: true });
resourceSchema.index({ license_id: 1 });
resourceSchema.index({ type: 1, license_id: 1, _id: 1 });
resourceSchema.index({ status: 1, type: 1 });
resourceSchema.index({ pending: 1, claimed_at: 1 });

export const ResourceModel = mongoose.model<ResourceDoc>('Resource', resourceSchema);
