/** What other services (the web pages, the admin API) may rely on from the lead service. */
import type { LeadStatus, LeadType } from '../../models/lead-institution.model.ts';
import type { ActivityType } from '../../models/lead-activity.model.ts';

export const LEAD_SORTS = ['name', 'country', 'type', 'status', 'updated_at', 'created_at'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];

/** A lead (institution) as the pages and the admin API show it. */
export interface LeadAnswer {
  id: number;
  name: string;
  type: LeadType;
  country: string;
  website: string;
  status: LeadStatus;
  owner: string;
  notes: string;
  customer_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface ContactAnswer {
  id: number;
  lead_id: number;
  name: string;
  email: string;
  phone: string;
  role: string;
  created_at: string;
}

export interface ActivityAnswer {
  id: number;
  lead_id: number;
  contact_id: number | null;
  type: ActivityType;
  text: string;
  who: string;
  occurred_at: string;
  created_at: string;
}

/** A lead in the list, with its first (primary) contact. */
export type LeadListEntry = LeadAnswer & { contact: ContactAnswer | null; contact_count: number };

export interface LeadListAnswer {
  leads: LeadListEntry[];
  pagination: { page: number; limit: number; total: number; pages: number; more: boolean };
}

/** `lead.read`: the lead with its contacts (in the order added) and activities (newest first). */
export interface LeadDetailAnswer {
  lead: LeadAnswer;
  contacts: ContactAnswer[];
  activities: ActivityAnswer[];
}

/** GET /leads/api/stats, exactly as the API reference shows it. */
export interface LeadStatsAnswer {
  total_institutions: number;
  total_contacts: number;
  /** Activities whose time lies in the last 30 days. */
  recent_activities: number;
  /** Institutions linked to a customer / all institutions, in percent, one decimal (0 with none). */
  conversion_rate: number;
  by_type: Record<LeadType, number>;
}

export interface ConvertAnswer {
  success: true;
  message: string;
  lead: LeadAnswer;
  customer_id: number;
  /** False when the lead was linked to an existing customer (same email) or had been converted before. */
  created_customer: boolean;
  /** created: a new customer; linked: an existing customer with the email; already: converted before. */
  outcome: 'created' | 'linked' | 'already';
}

/** One row of a CSV import or export: the lead's fields and its primary contact's. */
export interface LeadRow {
  id?: number;
  name: string;
  type: string;
  country: string;
  website: string;
  status: string;
  owner: string;
  notes: string;
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  contact_role: string;
}

/** The CSV columns, in export order; an import needs `name` and accepts any subset in any order. */
export const LEAD_ROW_COLUMNS = [
  'id',
  'name',
  'type',
  'country',
  'website',
  'status',
  'owner',
  'notes',
  'contact_name',
  'contact_email',
  'contact_phone',
  'contact_role',
] as const;
export type LeadRowColumn = (typeof LEAD_ROW_COLUMNS)[number];

/** The outcome of one imported row; `line` is the row's line number in the file (the header is 1). */
export type ImportRowResult =
  | { line: number; outcome: 'created' | 'updated'; lead_id: number; name: string }
  | { line: number; outcome: 'rejected'; name: string; reason: string; field?: string };

export interface ImportAnswer {
  created: number;
  updated: number;
  rejected: number;
  results: ImportRowResult[];
}

export interface ExportAnswer {
  rows: Array<LeadRow & { id: number }>;
  /** Pass as `after_id` for the next batch; null when this was the last. */
  next_after_id: number | null;
}

/**
 * The identity of an import row: its id when it has one, else its name and country (trimmed, any
 * case). Two rows of one file with the same identity are duplicates: the later one is rejected.
 */
export function rowKey(values: Partial<Record<LeadRowColumn, string>>): string | null {
  const id = values.id?.trim();
  if (id) return `id:${id}`;
  const name = values.name?.trim().toLowerCase();
  if (!name) return null;
  return `name:${name}\u0000${(values.country ?? '').trim().toLowerCase()}`;
}
