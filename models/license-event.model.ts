/**
 * The history of a license: one record per fact about it (services/monitoring/history.ts), shown on
 * the license's page in the Admin Panel. Only the newest LICENSE_HISTORY_MAX_EVENTS per license are
 * kept: the recorder prunes older ones as it inserts (the embedded server has no TTL index, and a
 * per-license bound is what a page needs anyway).
 *
 * `event_id` is the fact's own id with a unique index, so a fact delivered twice is recorded once.
 */
import mongoose, { Schema } from 'mongoose';
import type { EventName } from '../lib/core/events.ts';

/** The facts a license's history records: everything that names a license. */
export const LICENSE_HISTORY_EVENTS = [
  'license.created',
  'license.updated',
  'license.deleted',
  'license.activated',
  'license.expired',
  'license.deactivated',
  'license.usage_threshold',
  'device.registered',
  'device.deactivated',
  'device.heartbeat.excessive',
  'device.heartbeat.dead',
  'resource.allocated',
  'resource.released',
  'anomaly.detected',
] as const satisfies readonly EventName[];
export type LicenseHistoryEvent = (typeof LICENSE_HISTORY_EVENTS)[number];

export interface LicenseEventDoc {
  _id: number;
  license_id: number;
  event: LicenseHistoryEvent;
  /** When the fact was announced. */
  at: Date;
  event_id: string;
  /** The machine concerned, when the fact names one. */
  activation_id: number | null;
  customer_id: number | null;
  /** The fact's other fields worth showing (small: lists are cut, see history.ts). */
  details: Record<string, unknown>;
}

const licenseEventSchema = new Schema<LicenseEventDoc>(
  {
    _id: { type: Number, required: true },
    license_id: { type: Number, required: true },
    event: { type: String, required: true, enum: LICENSE_HISTORY_EVENTS },
    at: { type: Date, required: true },
    event_id: { type: String, required: true, maxlength: 100 },
    activation_id: { type: Number, default: null },
    customer_id: { type: Number, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, collection: 'license_events', minimize: false },
);
// The page reads a license's newest first; pruning finds the oldest beyond the bound the same way.
licenseEventSchema.index({ license_id: 1, at: -1, _id: -1 });
licenseEventSchema.index({ event_id: 1 }, { unique: true });

export const LicenseEventModel = mongoose.model<LicenseEventDoc>('LicenseEvent', licenseEventSchema);
