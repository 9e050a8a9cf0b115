/**
 * The people of a lead's institution. `email_lower` is the normalised copy a conversion and the CSV
 * import match on (no collation on the embedded server).
 */
import mongoose, { Schema } from 'mongoose';

export const CONTACT_LIMITS = { name: 200, email: 254, phone: 50, role: 100 } as const;

export interface LeadContactDoc {
  _id: number;
  institution_id: number;
  name: string;
  email: string;
  email_lower: string;
  phone: string;
  role: string;
  created_at: Date;
  updated_at: Date;
}

const contactSchema = new Schema<LeadContactDoc>(
  {
    _id: { type: Number, required: true },
    institution_id: { type: Number, required: true },
    name: { type: String, required: true, maxlength: CONTACT_LIMITS.name },
    email: { type: String, default: '', maxlength: CONTACT_LIMITS.email },
    email_lower: { type: String, default: '', maxlength: CONTACT_LIMITS.email },
    phone: { type: String, default: '', maxlength: CONTACT_LIMITS.phone },
    role: { type: String, default: '', maxlength: CONTACT_LIMITS.role },
    created_at: { type: Date, required: true, default: () => new Date() },
    updated_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'lead_contacts' },
);
// A lead's contacts in the order they were added (the first is the primary contact).
contactSchema.index({ institution_id: 1, _id: 1 });

export const LeadContactModel = mongoose.model<LeadContactDoc>('LeadContact', contactSchema);
