/**
 * The fields staff may set on a lead, a contact and an activity, as param schemas (anything else is a
 * 400), and how they are stored: trimmed, with the normalised copies the indexes and the search use
 * (models/lead-*.model.ts).
 */
import type { JsonSchema, ObjectSchema } from '../../lib/core/validation.ts';
import type { ParamsOf } from '../../lib/core/schema-types.ts';
import {
  LEAD_LIMITS,
  LEAD_STATUSES,
  LEAD_TYPES,
  type LeadInstitutionDoc,
} from '../../models/lead-institution.model.ts';
import { CONTACT_LIMITS, type LeadContactDoc } from '../../models/lead-contact.model.ts';
import { ACTIVITY_LIMITS, ACTIVITY_TYPES } from '../../models/lead-activity.model.ts';

/** Text that needs one visible character (surrounding blanks are trimmed before storing). */
function requiredText(maxLength: number) {
  return { type: 'string', minLength: 1, maxLength, pattern: '\\S' } as const;
}

export const LEAD_FIELDS = {
  name: { ...requiredText(LEAD_LIMITS.name), example: 'University of Example' },
  type: { type: 'string', enum: [...LEAD_TYPES] },
  country: { type: 'string', maxLength: LEAD_LIMITS.country, example: 'Germany' },
  // Empty, or an http(s) address: a link staff click on must not be a javascript: URL.
  website: { type: 'string', maxLength: LEAD_LIMITS.website, pattern: '^(|https?://\\S+)$' },
  status: { type: 'string', enum: [...LEAD_STATUSES] },
  owner: { type: 'string', maxLength: LEAD_LIMITS.owner },
  notes: { type: 'string', maxLength: LEAD_LIMITS.notes },
} as const satisfies Record<string, JsonSchema>;

export const CONTACT_FIELDS = {
  name: requiredText(CONTACT_LIMITS.name),
  // Empty, or an address a customer could be created with (customer.create checks the same format).
  // The email branch first: its error (invalid format) is the one reported for a bad address.
  email: {
    anyOf: [
      { type: 'string', format: 'email', maxLength: CONTACT_LIMITS.email },
      { type: 'string', maxLength: 0 },
    ],
  },
  phone: { type: 'string', maxLength: CONTACT_LIMITS.phone },
  role: { type: 'string', maxLength: CONTACT_LIMITS.role },
} as const satisfies Record<string, JsonSchema>;

export const ACTIVITY_FIELDS = {
  type: { type: 'string', enum: [...ACTIVITY_TYPES] },
  text: requiredText(ACTIVITY_LIMITS.text),
  who: { type: 'string', maxLength: ACTIVITY_LIMITS.who },
  occurred_at: { type: 'string', format: 'date-time', example: '2026-03-01T10:30:00Z' },
} as const satisfies Record<string, JsonSchema>;

export type LeadFields = ParamsOf<ObjectSchema<typeof LEAD_FIELDS, never>>;
export type ContactFields = ParamsOf<ObjectSchema<typeof CONTACT_FIELDS, never>>;

/** Stored values for the given lead fields, with their normalised copies. */
export function storedLeadFields(p: LeadFields): Partial<LeadInstitutionDoc> {
  const set: Partial<LeadInstitutionDoc> = {};
  if (p.name !== undefined) {
    set.name = p.name.trim();
    set.name_lower = set.name.toLowerCase();
  }
  if (p.country !== undefined) {
    set.country = p.country.trim();
    set.country_lower = set.country.toLowerCase();
  }
  if (p.type !== undefined) set.type = p.type;
  if (p.website !== undefined) set.website = p.website.trim();
  if (p.status !== undefined) set.status = p.status;
  if (p.owner !== undefined) set.owner = p.owner.trim();
  if (p.notes !== undefined) set.notes = p.notes;
  return set;
}

export function storedContactFields(p: ContactFields): Partial<LeadContactDoc> {
  const set: Partial<LeadContactDoc> = {};
  if (p.name !== undefined) set.name = p.name.trim();
  if (p.email !== undefined) {
    set.email = p.email.trim();
    set.email_lower = set.email.toLowerCase();
  }
  if (p.phone !== undefined) set.phone = p.phone.trim();
  if (p.role !== undefined) set.role = p.role.trim();
  return set;
}

const MAX_SEARCH_WORDS = 400;

function wordsOf(text: string): string[] {
  const lower = text.toLowerCase();
  // Both ways of cutting: "o'brien" is found by "o'brien" and by "brien", "jane.doe@x.org" by the
  // whole address and by "doe".
  return [...lower.split(/\s+/), ...lower.split(/[^\p{L}\p{N}]+/u)].filter(w => w.length > 0);
}

/**
 * The words a lead is found by: its name's, and its contacts' names and emails. A search matches
 * when every word typed is the start of one of these (lead/records.ts, searchFilter).
 */
export function searchWords(name: string, contacts: Array<Pick<LeadContactDoc, 'name' | 'email'>>): string[] {
  const words = new Set(wordsOf(name));
  for (const contact of contacts) {
    for (const word of wordsOf(contact.name)) words.add(word);
    for (const word of wordsOf(contact.email)) words.add(word);
  }
  return [...words].filter(w => w.length <= 254).slice(0, MAX_SEARCH_WORDS);
}
