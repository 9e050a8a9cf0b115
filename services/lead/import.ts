/**
 * Importing rows of a CSV file (already parsed and checked as a whole by the web page): each row is
 * validated on its own, matched to an existing lead by its id or by name + country, and then created
 * or updated in bulk (thousands of rows are a handful of database round trips, not one per row).
 * A row's contact columns set the lead's primary (first) contact, as the export writes it.
 */
import { assertValid, objectSchema } from '../../lib/core/validation.ts';
import { isDuplicateKeyError, ValidationError } from '../../lib/core/errors.ts';
import { LEAD_LIMITS, LeadInstitutionModel, type LeadInstitutionDoc } from '../../models/lead-institution.model.ts';
import { LeadContactModel, type LeadContactDoc } from '../../models/lead-contact.model.ts';
import { rowKey, type ImportAnswer, type ImportRowResult, type LeadRowColumn } from './contract.ts';
import { CONTACT_FIELDS, LEAD_FIELDS, searchWords, storedContactFields, storedLeadFields } from './fields.ts';
import type { ContactFields, LeadFields } from './fields.ts';
import { reserveIds } from './records.ts';

const LEAD_ROW_SCHEMA = objectSchema(LEAD_FIELDS, ['name']);
const CONTACT_ROW_SCHEMA = objectSchema(CONTACT_FIELDS, ['name']);
const LEAD_COLUMNS = ['name', 'type', 'country', 'website', 'status', 'owner', 'notes'] as const;
const CONTACT_COLUMNS = ['contact_name', 'contact_email', 'contact_phone', 'contact_role'] as const;

export interface ImportRow {
  line: number;
  values: Partial<Record<LeadRowColumn, string>>;
}

interface ValidRow {
  line: number;
  id: number | null;
  lead: LeadFields;
  contact: ContactFields | null;
}

class RowProblem extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function problemOf(err: ValidationError, prefix: string): RowProblem {
  const details = (err.data ?? {}) as { field?: string; reason?: string; allowed?: unknown[] };
  const field = `${prefix}${details.field ?? ''}`;
  const say = (words: string) => new RowProblem(field, `${field} ${words}`);
  const blank = details.reason === 'too_short' || details.reason === 'format_invalid';
  if (details.reason === 'required' || (blank && field.endsWith('name'))) return say('is required');
  if (details.reason === 'not_allowed') return say(`must be one of: ${(details.allowed ?? []).join(', ')}`);
  if (details.reason === 'too_long') return say('is too long');
  if (field === 'website') return say('must start with http:// or https://');
  if (field === 'contact_email') return say('is not a valid email address');
  return say('is not valid');
}

/** A row's typed lead and contact, or the first problem found (field and words for a person). */
function validateRow(row: ImportRow, updating: boolean): ValidRow {
  const v = row.values;
  let id: number | null = null;
  const rawId = v.id?.trim();
  if (rawId) {
    if (!/^[1-9]\d{0,14}$/.test(rawId))
      throw new RowProblem('id', 'id must be a whole number (the id column of an export)');
    id = Number(rawId);
  }
  const lead: Record<string, string> = {};
  for (const column of LEAD_COLUMNS) {
    const value = v[column];
    if (value === undefined) continue;
    const text = column === 'notes' ? value : value.trim();
    // An empty type or status keeps the stored one (or the default for a new lead).
    if ((column === 'type' || column === 'status') && text === '') continue;
    lead[column] = column === 'type' || column === 'status' ? text.toLowerCase() : text;
  }
  if (!updating) {
    lead.type ??= 'other';
    lead.status ??= 'new';
  }
  if ((lead.name ?? '').length > LEAD_LIMITS.name) throw new RowProblem('name', 'name is too long');
  try {
    assertValid(LEAD_ROW_SCHEMA, lead);
  } catch (err) {
    if (err instanceof ValidationError) throw problemOf(err, '');
    throw err;
  }
  let contact: ContactFields | null = null;
  if (CONTACT_COLUMNS.some(c => (v[c] ?? '').trim() !== '')) {
    const fields = {
      name: (v.contact_name ?? '').trim(),
      email: (v.contact_email ?? '').trim(),
      phone: (v.contact_phone ?? '').trim(),
      role: (v.contact_role ?? '').trim(),
    };
    try {
      assertValid(CONTACT_ROW_SCHEMA, fields);
    } catch (err) {
      if (err instanceof ValidationError) throw problemOf(err, 'contact_');
      throw err;
    }
    contact = fields;
  }
  return { line: row.line, id, lead: lead, contact };
}

function nameKey(name: string, country: string): string {
  return `${name.trim().toLowerCase()}\u0000${country.trim().toLowerCase()}`;
}

export async function importRows(rows: ImportRow[]): Promise<ImportAnswer> {
  const results: ImportRowResult[] = [];
  const reject = (row: ImportRow, field: string, reason: string) =>
    results.push({ line: row.line, outcome: 'rejected', name: row.values.name?.trim() ?? '', field, reason });

  // Existing leads the rows name, by id and by name + country: two queries for the whole batch.
  const ids = rows.map(r => Number(r.values.id?.trim())).filter(n => Number.isSafeInteger(n) && n > 0);
  const names = [...new Set(rows.map(r => r.values.name?.trim().toLowerCase()).filter((n): n is string => !!n))];
  const [byIdDocs, byNameDocs] = await Promise.all([
    ids.length ? LeadInstitutionModel.find({ _id: { $in: ids } }, { search_words: 0 }).lean() : [],
    names.length ? LeadInstitutionModel.find({ name_lower: { $in: names } }, { search_words: 0 }).lean() : [],
  ]);
  const byId = new Map(byIdDocs.map(d => [d._id, d]));
  const byName = new Map(byNameDocs.map(d => [nameKey(d.name, d.country), d]));

  const seen = new Map<string, number>();
  const creates: Array<ValidRow> = [];
  const updates: Array<ValidRow & { existing: Omit<LeadInstitutionDoc, 'search_words'> }> = [];
  for (const row of rows) {
    const key = rowKey(row.values);
    const first = key === null ? undefined : seen.get(key);
    if (first !== undefined) {
      reject(row, 'name', `duplicate of line ${first}: only the first is imported`);
      continue;
    }
    if (key !== null) seen.set(key, row.line);
    const rawId = Number(row.values.id?.trim());
    const existing = row.values.id?.trim()
      ? byId.get(rawId)
      : byName.get(nameKey(row.values.name ?? '', row.values.country ?? ''));
    try {
      const valid = validateRow(row, existing !== undefined);
      if (valid.id !== null && !existing) throw new RowProblem('id', `no lead has id ${valid.id}`);
      if (existing) updates.push({ ...valid, existing });
      else creates.push(valid);
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      reject(row, err.field, err.message);
    }
  }

  const now = new Date();
  const updatedLeads = new Map<number, { name: string; contact: ContactFields | null }>();
  const createdLeads = new Map<number, ContactFields | null>();
  if (updates.length > 0) {
    const ops = updates.map(u => ({
      updateOne: {
        filter: { _id: u.existing._id },
        update: { $set: { ...storedLeadFields(u.lead), updated_at: now } },
      },
    }));
    const outcome = await LeadInstitutionModel.bulkWrite(ops, { ordered: false }).catch((err: unknown) => err);
    const failed = failedIndexes(outcome);
    updates.forEach((u, i) => {
      if (failed.has(i)) return void results.push(rejection(u, 'another lead has this name in this country'));
      results.push({ line: u.line, outcome: 'updated', lead_id: u.existing._id, name: u.lead.name ?? u.existing.name });
      updatedLeads.set(u.existing._id, { name: u.lead.name ?? u.existing.name, contact: u.contact });
    });
  }
  if (creates.length > 0) {
    const newIds = await reserveIds('lead', creates.length);
    const docs = creates.map((c, i) => {
      const fields = storedLeadFields(c.lead);
      return {
        _id: newIds[i]!,
        country: '',
        country_lower: '',
        ...fields,
        customer_id: null,
        search_words: searchWords(
          fields.name!,
          c.contact ? [{ name: c.contact.name!, email: c.contact.email ?? '' }] : [],
        ),
        created_at: now,
        updated_at: now,
      };
    });
    const outcome = await LeadInstitutionModel.insertMany(docs, { ordered: false, lean: true }).catch(
      (err: unknown) => err,
    );
    const failed = failedIndexes(outcome);
    creates.forEach((c, i) => {
      if (failed.has(i)) return void results.push(rejection(c, 'a lead with this name already exists in this country'));
      results.push({ line: c.line, outcome: 'created', lead_id: newIds[i]!, name: c.lead.name! });
      createdLeads.set(newIds[i]!, c.contact);
    });
  }
  await setPrimaryContacts(createdLeads, updatedLeads, now);
  results.sort((a, b) => a.line - b.line);
  return {
    created: results.filter(r => r.outcome === 'created').length,
    updated: results.filter(r => r.outcome === 'updated').length,
    rejected: results.filter(r => r.outcome === 'rejected').length,
    results,
  };
}

function rejection(row: ValidRow, reason: string): ImportRowResult {
  return { line: row.line, outcome: 'rejected', name: row.lead.name ?? '', field: 'name', reason };
}

/** The positions of a bulk write that a unique index refused; anything else is a real failure. */
function failedIndexes(outcome: unknown): Set<number> {
  if (!(outcome instanceof Error)) return new Set();
  const errors = (outcome as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(errors) ? errors : errors ? [errors] : []) as Array<{
    index: number;
    code?: number;
    err?: { code?: number };
  }>;
  if (list.length === 0 || !list.every(e => isDuplicateKeyError(e.err ?? e))) throw outcome;
  return new Set(list.map(e => e.index));
}

/**
 * The row's contact columns become the lead's first contact. A created lead has no contact yet and
 * its search words were computed with the row's contact at insert: its contacts are inserted in one
 * go. An updated lead's first contact is changed (or added) and its search words recomputed, one
 * write each (the embedded server is slow at many single updates, so new leads avoid them).
 */
async function setPrimaryContacts(
  created: Map<number, ContactFields | null>,
  updated: Map<number, { name: string; contact: ContactFields | null }>,
  now: Date,
): Promise<void> {
  const fresh = [...created].filter((entry): entry is [number, ContactFields] => entry[1] !== null);
  if (fresh.length > 0) {
    const ids = await reserveIds('lead_contact', fresh.length);
    await LeadContactModel.insertMany(
      fresh.map(([leadId, contact], i) => ({
        _id: ids[i]!,
        institution_id: leadId,
        ...storedContactFields(contact),
        created_at: now,
        updated_at: now,
      })),
      { ordered: false },
    );
  }
  if (updated.size === 0) return;
  const leadIds = [...updated.keys()];
  const contacts = await LeadContactModel.find(
    { institution_id: { $in: leadIds } },
    { name: 1, email: 1, institution_id: 1 },
  )
    .sort({ institution_id: 1, _id: 1 })
    .lean();
  const byLead = new Map<number, Array<Pick<LeadContactDoc, '_id' | 'name' | 'email'>>>();
  for (const c of contacts) byLead.set(c.institution_id, [...(byLead.get(c.institution_id) ?? []), c]);

  const withContact = leadIds.filter(id => updated.get(id)!.contact !== null);
  const needIds = withContact.filter(id => !byLead.get(id)?.length);
  const newIds = await reserveIds('lead_contact', needIds.length);
  const contactOps: object[] = [];
  for (const id of withContact) {
    const fields = storedContactFields(updated.get(id)!.contact!);
    const list = byLead.get(id) ?? [];
    if (list.length > 0) {
      contactOps.push({
        updateOne: { filter: { _id: list[0]!._id }, update: { $set: { ...fields, updated_at: now } } },
      });
      list[0] = { ...list[0]!, name: fields.name!, email: fields.email ?? '' };
    } else {
      const _id = newIds[needIds.indexOf(id)]!;
      contactOps.push({
        insertOne: { document: { _id, institution_id: id, ...fields, created_at: now, updated_at: now } },
      });
      byLead.set(id, [{ _id, name: fields.name!, email: fields.email ?? '' }]);
    }
  }
  if (contactOps.length > 0) await LeadContactModel.bulkWrite(contactOps as never, { ordered: false });
  const wordOps = leadIds.map(id => ({
    updateOne: {
      filter: { _id: id },
      update: { $set: { search_words: searchWords(updated.get(id)!.name, byLead.get(id) ?? []) } },
    },
  }));
  await LeadInstitutionModel.bulkWrite(wordOps, { ordered: false });
}
