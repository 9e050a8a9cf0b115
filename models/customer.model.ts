/**
 * Customers of the vendor. `email_lower` and `name_lower` are stored normalised copies: the embedded
 * server has no collation, so case-insensitive uniqueness, search and sorting use these fields.
 */
import mongoose, { Schema } from 'mongoose';

export interface CustomerDoc {
  _id: number;
  name: string;
  name_lower: string;
  email: string;
  email_lower: string;
  company: string;
  phone: string;
  notes: string;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

const customerSchema = new Schema<CustomerDoc>(
  {
    _id: { type: Number, required: true },
    name: { type: String, required: true, maxlength: 200 },
    name_lower: { type: String, required: true, maxlength: 200 },
    email: { type: String, required: true, maxlength: 254 },
    email_lower: { type: String, required: true, maxlength: 254 },
    company: { type: String, default: '', maxlength: 200 },
    phone: { type: String, default: '', maxlength: 50 },
    notes: { type: String, default: '', maxlength: 2000 },
    is_active: { type: Boolean, required: true, default: true },
    created_at: { type: Date, required: true, default: () => new Date() },
    updated_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'customers' },
);
customerSchema.index({ email_lower: 1 }, { unique: true });
customerSchema.index({ name_lower: 1 });

export const CustomerModel = mongoose.model<CustomerDoc>('Customer', customerSchema);
