/**
 * Anomalies: suspicious use a detector saw in the traffic (services/monitoring/detectors.ts), kept until
 * an admin resolves them.
 *
 * One OPEN anomaly per (type, license): `open_key` is `<type>:<license_id>` while it is open and a unique
 * index on it makes a second detector run (another replica, a repeat) bump the open record instead of
 * opening another. Resolving moves the key to `resolved:<id>`, a value no other record has, so the next
 * detection opens a new anomaly. (A partial index would say the same, but the embedded server has none.)
 */
import mongoose, { Schema } from 'mongoose';
import type { AnomalyFact } from '../lib/core/events.ts';

export const ANOMALY_TYPES = [
  'unusual_activation_pattern',
  'excessive_heartbeats',
  'license_hopping',
] as const satisfies ReadonlyArray<AnomalyFact['type']>;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export interface AnomalyResolver {
  id: number | null;
  username: string;
}

export interface AnomalyDoc {
  _id: number;
  type: AnomalyType;
  license_id: number;
  /** The machine concerned, when the detector knows one. */
  activation_id: number | null;
  customer_id: number | null;
  /** What the detector counted: counts, window, thresholds, ids (latest detection). */
  evidence: Record<string, unknown>;
  detected_at: Date;
  /** The latest detection while it stayed open. */
  last_seen_at: Date;
  /** Detections while open (1 when first opened). */
  occurrences: number;
  resolved: boolean;
  resolved_at: Date | null;
  resolved_by: AnomalyResolver | null;
  resolution_note: string;
  open_key: string;
}

export function openAnomalyKey(type: AnomalyType, licenseId: number): string {
  return `${type}:${licenseId}`;
}

export function resolvedAnomalyKey(id: number): string {
  return `resolved:${id}`;
}

const anomalySchema = new Schema<AnomalyDoc>(
  {
    _id: { type: Number, required: true },
    type: { type: String, required: true, enum: ANOMALY_TYPES },
    license_id: { type: Number, required: true },
    activation_id: { type: Number, default: null },
    customer_id: { type: Number, default: null },
    evidence: { type: Schema.Types.Mixed, default: {} },
    detected_at: { type: Date, required: true },
    last_seen_at: { type: Date, required: true },
    occurrences: { type: Number, required: true, default: 1 },
    resolved: { type: Boolean, required: true, default: false },
    resolved_at: { type: Date, default: null },
    resolved_by: {
      type: new Schema<AnomalyResolver>({ id: { type: Number, default: null }, username: String }, { _id: false }),
      default: null,
    },
    resolution_note: { type: String, default: '', maxlength: 500 },
    open_key: { type: String, required: true },
  },
  { versionKey: false, collection: 'anomalies', minimize: false },
);
anomalySchema.index({ open_key: 1 }, { unique: true });
anomalySchema.index({ type: 1, resolved: 1, _id: -1 });
anomalySchema.index({ resolved: 1, _id: -1 });
anomalySchema.index({ license_id: 1, _id: -1 });
anomalySchema.index({ detected_at: 1 });

export const AnomalyModel = mongoose.model<AnomalyDoc>('Anomaly', anomalySchema);
