/**
 * Licenses: the rules (validity window, machine and user limits, active flag). The state that changes
 * with use (activations, sessions) lives elsewhere, so editing a license never races with clients.
 */
import mongoose, { Schema } from 'mongoose';

export const LICENSE_TYPES = ['perpetual', 'subscription', 'trial', 'educational', 'enterprise'] as const;
export type LicenseType = (typeof LICENSE_TYPES)[number];

export interface LicenseDoc {
  _id: number;
  key: string;
  customer_id: number | null;
  type: LicenseType;
  valid_from: Date;
  /** null: no end (perpetual). */
  valid_until: Date | null;
  max_activations: number;
  max_users: number;
  is_active: boolean;
  /** Set once, atomically, by the expiry job: `license.expired` fires exactly once. */
  expired_notified: boolean;
  /**
   * The share of max_activations in use last announced: 0, 80 or 100. Moved by one compare-and-set per
   * change, so `license.usage_threshold` fires once per upward crossing across replicas (absent: 0).
   */
  activation_level: number;
  notes: string;
  created_at: Date;
  updated_at: Date;
}

const licenseSchema = new Schema<LicenseDoc>(
  {
    _id: { type: Number, required: true },
    key: { type: String, required: true, match: /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/ },
    customer_id: { type: Number, default: null },
    type: { type: String, required: true, enum: LICENSE_TYPES },
    valid_from: { type: Date, required: true },
    valid_until: { type: Date, default: null },
    max_activations: { type: Number, required: true, min: 1 },
    max_users: { type: Number, required: true, min: 1 },
    is_active: { type: Boolean, required: true, default: true },
    expired_notified: { type: Boolean, default: false },
    activation_level: { type: Number, default: 0 },
    notes: { type: String, default: '', maxlength: 2000 },
    created_at: { type: Date, required: true, default: () => new Date() },
    updated_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'licenses' },
);
licenseSchema.index({ key: 1 }, { unique: true });
licenseSchema.index({ customer_id: 1 });
licenseSchema.index({ valid_until: 1, expired_notified: 1 });
// Monitoring: counting active licenses, listing those at full seat usage.
licenseSchema.index({ is_active: 1, valid_until: 1 });
licenseSchema.index({ activation_level: 1 });

export const LicenseModel = mongoose.model<LicenseDoc>('License', licenseSchema);
