/**
 * Leads: the institutions the vendor's sales staff work on (university, company, government, other),
 * with the customer a lead became once converted. The embedded server has no text index and no
 * collation, so the model stores normalised copies: `name_lower` and `country_lower` carry the unique
 * (name, country) pair that CSV imports match on, and `search_words` holds the lower-case words of the
 * name and of its contacts' names and emails, so a search is an anchored (index-friendly) prefix match
 * on one multikey field instead of an unanchored scan of two collections.
 */
import mongoose, { Schema } from 'mongoose';

export const LEAD_TYPES = ['university', 'company', 'government', 'other'] as const;
export type LeadType = (typeof LEAD_TYPES)[number];

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'customer', 'lost'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/** Limits shared by the model, the action schemas and the CSV import, so all refuse the same input. */
export const LEAD_LIMITS = { name: 200, country: 100, website: 300, owner: 100, notes: 2000 } as const;

export interface LeadInstitutionDoc {
  _id: number;
  name: string;
  name_lower: string;
  type: LeadType;
  country: string;
  country_lower: string;
  website: string;
  status: LeadStatus;
  owner: string;
  notes: string;
  /** The customer this lead became (convert); null until then. */
  customer_id: number | null;
  search_words: string[];
  created_at: Date;
  updated_at: Date;
}

const institutionSchema = new Schema<LeadInstitutionDoc>(
  {
    _id: { type: Number, required: true },
    name: { type: String, required: true, maxlength: LEAD_LIMITS.name },
    name_lower: { type: String, required: true, maxlength: LEAD_LIMITS.name },
    type: { type: String, required: true, enum: LEAD_TYPES },
    country: { type: String, default: '', maxlength: LEAD_LIMITS.country },
    country_lower: { type: String, default: '', maxlength: LEAD_LIMITS.country },
    website: { type: String, default: '', maxlength: LEAD_LIMITS.website },
    status: { type: String, required: true, enum: LEAD_STATUSES, default: 'new' },
    owner: { type: String, default: '', maxlength: LEAD_LIMITS.owner },
    notes: { type: String, default: '', maxlength: LEAD_LIMITS.notes },
    customer_id: { type: Number, default: null },
    search_words: { type: [String], default: [] },
    created_at: { type: Date, required: true, default: () => new Date() },
    updated_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'lead_institutions' },
);
// One lead per (name, country): imports match on it, and two staff members cannot create the same lead.
institutionSchema.index({ name_lower: 1, country_lower: 1 }, { unique: true });
// The list's sort orders; the _id tail makes each order total, so pages never overlap or skip.
institutionSchema.index({ name_lower: 1, _id: 1 });
institutionSchema.index({ updated_at: 1, _id: 1 });
institutionSchema.index({ created_at: 1, _id: 1 });
institutionSchema.index({ type: 1, name_lower: 1 });
institutionSchema.index({ status: 1, name_lower: 1 });
institutionSchema.index({ search_words: 1 });
institutionSchema.index({ customer_id: 1 });

export const LeadInstitutionModel = mongoose.model<LeadInstitutionDoc>('LeadInstitution', institutionSchema);
