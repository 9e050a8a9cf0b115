/**
 * Seat limits: the device service's own copy of a license's `max_activations`, written by the license
 * service (through `device.applySeatLimit`) whenever the limit changes. A claimed seat is checked
 * against it after the claim (services/device/seats.ts), so a claim made under an old limit cannot
 * survive a lowered one, and the device service never has to call back into the license service.
 * No record: the limit never changed since the license was created, and the limit the claim came with
 * is current.
 */
import mongoose, { Schema } from 'mongoose';

export interface SeatLimitDoc {
  /** The license id. */
  _id: number;
  max_activations: number;
  updated_at: Date;
}

const seatLimitSchema = new Schema<SeatLimitDoc>(
  {
    _id: { type: Number, required: true },
    max_activations: { type: Number, required: true, min: 1 },
    updated_at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'seat_limits' },
);

export const SeatLimitModel = mongoose.model<SeatLimitDoc>('SeatLimit', seatLimitSchema);
