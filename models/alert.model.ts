/**
 * Alerts: conditions the monitoring service watches (services/monitoring/alerts.ts), each open from
 * when it started until the condition ends. One OPEN alert per condition key: `open_key` equals the
 * condition's key while the alert is open, with a unique index, so two evaluations at once cannot open
 * it twice; closing moves it to `closed:<id>` (the embedded server has no partial indexes).
 */
import mongoose, { Schema } from 'mongoose';

export const ALERT_TYPES = ['info', 'warning', 'critical'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export interface AlertDoc {
  _id: number;
  /** The condition, e.g. `dependency:redis`, `webhook:disabled:3`, `usage:users:12`. */
  key: string;
  type: AlertType;
  message: string;
  started_at: Date;
  /** null while the condition lasts. */
  ended_at: Date | null;
  updated_at: Date;
  open_key: string;
}

export function closedAlertKey(id: number): string {
  return `closed:${id}`;
}

const alertSchema = new Schema<AlertDoc>(
  {
    _id: { type: Number, required: true },
    key: { type: String, required: true, maxlength: 200 },
    type: { type: String, required: true, enum: ALERT_TYPES },
    message: { type: String, required: true, maxlength: 1000 },
    started_at: { type: Date, required: true },
    ended_at: { type: Date, default: null },
    updated_at: { type: Date, required: true },
    open_key: { type: String, required: true },
  },
  { versionKey: false, collection: 'alerts' },
);
alertSchema.index({ open_key: 1 }, { unique: true });
alertSchema.index({ ended_at: 1, started_at: -1 });

export const AlertModel = mongoose.model<AlertDoc>('Alert', alertSchema);
