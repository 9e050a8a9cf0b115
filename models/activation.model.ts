/**
 * Activations (devices): the seat records, one per (license, hardware) forever.
 *
 * The activation limit rests on two unique indexes and nothing else:
 * - (license_id, hardware_hash): a machine holds at most one record per license, so activating again
 *   is idempotent;
 * - (license_id, slot): an active record holds a seat number in [0, max_activations); two records can
 *   never hold the same seat, so at most max_activations records are active. Claiming a seat is one
 *   insert or one conditional update; deactivating gives the seat back by setting `slot` to the
 *   record's own negative id (unique, outside the seat range). No counter document exists that could
 *   disagree with the records after a crash.
 */
import mongoose, { Schema } from 'mongoose';

export interface ActivationDoc {
  _id: number;
  license_id: number;
  /** Copied from the license (keys never change) so heartbeats can find the record by key. */
  license_key: string;
  hardware_hash: string;
  machine_name: string;
  app_version: string;
  /** The seat number (docs/glossary.md; stored as `slot`) while active (>= 0); -_id when inactive. */
  slot: number;
  is_active: boolean;
  activated_at: Date;
  deactivated_at: Date | null;
  last_heartbeat: Date | null;
}

const activationSchema = new Schema<ActivationDoc>(
  {
    _id: { type: Number, required: true },
    license_id: { type: Number, required: true },
    license_key: { type: String, required: true },
    hardware_hash: { type: String, required: true, maxlength: 256 },
    machine_name: { type: String, default: '', maxlength: 255 },
    app_version: { type: String, default: '', maxlength: 64 },
    slot: { type: Number, required: true },
    is_active: { type: Boolean, required: true },
    activated_at: { type: Date, required: true },
    deactivated_at: { type: Date, default: null },
    last_heartbeat: { type: Date, default: null },
  },
  { versionKey: false, collection: 'activations' },
);
activationSchema.index({ license_id: 1, hardware_hash: 1 }, { unique: true });
activationSchema.index({ license_id: 1, slot: 1 }, { unique: true });
activationSchema.index({ license_key: 1, hardware_hash: 1 });
activationSchema.index({ hardware_hash: 1 });
// Monitoring: the active activation count across all licenses.
activationSchema.index({ is_active: 1 });

export const ActivationModel = mongoose.model<ActivationDoc>('Activation', activationSchema);
