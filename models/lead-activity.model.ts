/**
 * What happened with a lead: calls, emails, meetings and notes, who did it and when (`occurred_at`,
 * which the stats' "recent activities" count by).
 */
import mongoose, { Schema } from 'mongoose';

export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'note'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export const ACTIVITY_LIMITS = { text: 2000, who: 100 } as const;

export interface LeadActivityDoc {
  _id: number;
  institution_id: number;
  contact_id: number | null;
  type: ActivityType;
  text: string;
  who: string;
  occurred_at: Date;
  created_at: Date;
}

const activitySchema = new Schema<LeadActivityDoc>(
  {
    _id: { type: Number, required: true },
    institution_id: { type: Number, required: true },
    contact_id: { type: Number, default: null },
    type: { type: String, required: true, enum: ACTIVITY_TYPES },
    text: { type: String, required: true, maxlength: ACTIVITY_LIMITS.text },
    who: { type: String, default: '', maxlength: ACTIVITY_LIMITS.who },
    occurred_at: { type: Date, required: true },
    created_at: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'lead_activities' },
);
activitySchema.index({ institution_id: 1, occurred_at: -1, _id: -1 });
activitySchema.index({ occurred_at: 1 });

export const LeadActivityModel = mongoose.model<LeadActivityDoc>('LeadActivity', activitySchema);
