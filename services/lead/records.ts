/**
 * Reading and shaping lead records the way every lead action needs them: found or a 404 with the
 * catalogued code, shown as answers, filtered as the list asks, and ids for many records at once.
 */
import type { Service } from 'moleculer';
import { ConflictError, NotFoundError } from '../../lib/core/errors.ts';
import { escapeRegex } from '../../lib/core/values.ts';
import { CounterModel } from '../../models/counter.model.ts';
import {
  LeadInstitutionModel,
  type LeadInstitutionDoc,
  type LeadStatus,
  type LeadType,
} from '../../models/lead-institution.model.ts';
import { LeadContactModel, type LeadContactDoc } from '../../models/lead-contact.model.ts';
import type { LeadActivityDoc } from '../../models/lead-activity.model.ts';
import type { ActivityAnswer, ContactAnswer, LeadAnswer } from './contract.ts';
import { searchWords } from './fields.ts';

export function toLeadAnswer(doc: Omit<LeadInstitutionDoc, 'search_words'>): LeadAnswer {
  return {
    id: doc._id,
    name: doc.name,
    type: doc.type,
    country: doc.country ?? '',
    website: doc.website ?? '',
    status: doc.status,
    owner: doc.owner ?? '',
    notes: doc.notes ?? '',
    customer_id: doc.customer_id ?? null,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export function toContactAnswer(doc: LeadContactDoc): ContactAnswer {
  return {
    id: doc._id,
    lead_id: doc.institution_id,
    name: doc.name,
    email: doc.email ?? '',
    phone: doc.phone ?? '',
    role: doc.role ?? '',
    created_at: doc.created_at.toISOString(),
  };
}

export function toActivityAnswer(doc: LeadActivityDoc): ActivityAnswer {
  return {
    id: doc._id,
    lead_id: doc.institution_id,
    contact_id: doc.contact_id ?? null,
    type: doc.type,
    text: doc.text,
    who: doc.who ?? '',
    occurred_at: doc.occurred_at.toISOString(),
    created_at: doc.created_at.toISOString(),
  };
}

export function leadNotFound(id: number): NotFoundError {
  return new NotFoundError(`Lead ${id} not found`, 'LEAD_NOT_FOUND', { field: 'lead_id', reason: 'not_found' });
}

export function leadExists(): ConflictError {
  return new ConflictError('A lead with this name already exists in this country', 'LEAD_EXISTS', {
    field: 'name',
    reason: 'duplicate',
  });
}

export async function findLead(id: number): Promise<LeadInstitutionDoc> {
  const doc = await LeadInstitutionModel.findById(id).lean();
  if (!doc) throw leadNotFound(id);
  return doc;
}

/** Recomputes a lead's search words from its name and its contacts (after any change to either). */
export async function refreshSearchWords(leadId: number): Promise<void> {
  const lead = await LeadInstitutionModel.findById(leadId, { name: 1 }).lean();
  if (!lead) return;
  const contacts = await LeadContactModel.find({ institution_id: leadId }, { name: 1, email: 1 }).lean();
  await LeadInstitutionModel.updateOne({ _id: leadId }, { $set: { search_words: searchWords(lead.name, contacts) } });
}

export interface ListFilter {
  q?: string;
  type?: LeadType;
  status?: LeadStatus;
}

/**
 * Every word typed must be the start of one of the lead's search words (name, contact names and
 * emails): anchored, escaped regexes on one indexed field, never a pattern or an operator of the user.
 */
export function listFilter(p: ListFilter): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (p.type !== undefined) filter.type = p.type;
  if (p.status !== undefined) filter.status = p.status;
  const words = (p.q ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter(w => w.length > 0)
    .slice(0, 8);
  if (words.length > 0) filter.$and = words.map(w => ({ search_words: { $regex: `^${escapeRegex(w)}` } }));
  return filter;
}

/** `count` consecutive ids of a sequence with one atomic $inc (imports create thousands at once). */
export async function reserveIds(sequence: string, count: number): Promise<number[]> {
  if (count === 0) return [];
  for (let attempt = 0; ; attempt += 1) {
    try {
      const doc = await CounterModel.findOneAndUpdate(
        { _id: sequence },
        { $inc: { seq: count } },
        { upsert: true, returnDocument: 'after', lean: true },
      );
      const last = doc!.seq;
      return Array.from({ length: count }, (_, i) => last - count + 1 + i);
    } catch (err) {
      // Two first-ever upserts can race on _id on MongoDB; the loser simply retries (as nextId does).
      if ((err as { code?: number }).code === 11000 && attempt < 3) continue;
      throw err;
    }
  }
}

/**
 * lead.stats answers from the shared cache (five full counts would run on every list page); every
 * change drops it, on every node at once (the cache is in Redis).
 */
export async function forgetStats(service: Service): Promise<void> {
  await service.broker.cacher?.clean('lead.stats*').catch((err: Error) => {
    service.logger.warn('Could not drop the cached lead stats; they expire on their own', { message: err.message });
  });
}
