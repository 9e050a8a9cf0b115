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

/** Limits shared by the model and the action schemas, so both refuse the same input. */
export const CUSTOMER_LIMITS = { name: 200, email: 254, company: 200, phone: 50, notes: 2000 } as const;

const customerSchema = new Schema<CustomerDoc>(
  {
    _id: { type: Number, required: true },
    name: { type: String, required: true, maxlength: CUSTOMER_LIMITS.name },
    name_lower: { type: String, required: true, maxlength: CUSTOMER_LIMITS.name },
    email: { type: String, required: true, maxlength: CUSTOMER_LIMITS.email },
    email_lower: { type: String, required: true, maxlength: CUSTOMER_LIMITS.email },
    company: { type: String, default: '', maxlength: CUSTOMER_LIMITS.company },
    phone: { type: String, default: '', maxlength: CUSTOMER_LIMITS.phone },
    notes: { type: String, default: '', maxlength: CUSTOMER_LIMITS.notes },
    is_active: { type: Boolean, required: true, default: true },
    created_at: { type: Date, required: true, default: () => new Date() },
    updated_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'customers' },
);
customerSchema.index({ email_lower: 1 }, { unique: true });
// Select2 lists by name; the _id tail makes the order total, so pages never overlap or skip.
customerSchema.index({ name_lower: 1, _id: 1 });

export const CustomerModel = mongoose.model<CustomerDoc>('Customer', customerSchema);
