/**
 * Leads (institutions): create, read, update, delete, the list with its search, filters, sort and
 * pages, and the figures of GET /leads/api/stats. Every change is announced once as a fact.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import { pagination } from '../../lib/core/values.ts';
import { nextId } from '../../models/counter.model.ts';
import {
  LEAD_STATUSES,
  LEAD_TYPES,
  LeadInstitutionModel,
  type LeadInstitutionDoc,
  type LeadType,
} from '../../models/lead-institution.model.ts';
import { LeadContactModel } from '../../models/lead-contact.model.ts';
import { LeadActivityModel } from '../../models/lead-activity.model.ts';
import {
  LEAD_SORTS,
  type LeadAnswer,
  type LeadDetailAnswer,
  type LeadListAnswer,
  type LeadListEntry,
  type LeadStatsAnswer,
} from './contract.ts';
import { LEAD_FIELDS, searchWords, storedLeadFields } from './fields.ts';
import {
  findLead,
  forgetStats,
  leadExists,
  leadNotFound,
  listFilter,
  refreshSearchWords,
  toActivityAnswer,
  toContactAnswer,
  toLeadAnswer,
} from './records.ts';
import type { LeadThis } from './state.ts';

const action = actionFor<LeadThis>();

const LEAD_PARAMS = objectSchema({ lead_id: ID_SCHEMA }, ['lead_id']);
const RECENT_DAYS = 30;
const DAY_MS = 86_400_000;

/** The list's sort keys as stored fields (normalised copies for text, so the order ignores case). */
const SORT_FIELDS: Record<(typeof LEAD_SORTS)[number], string> = {
  name: 'name_lower',
  country: 'country_lower',
  type: 'type',
  status: 'status',
  updated_at: 'updated_at',
  created_at: 'created_at',
};

export const LIST_PARAMS = objectSchema({
  q: SEARCH_TEXT_SCHEMA,
  type: { type: 'string', enum: [...LEAD_TYPES] },
  status: { type: 'string', enum: [...LEAD_STATUSES] },
  sort: { type: 'string', enum: [...LEAD_SORTS], default: 'updated_at' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
  page: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
});

export const adminActions = {
  /** A new lead; 409 LEAD_EXISTS when one of that name is already known in that country. */
  create: action({
    params: objectSchema({ ...LEAD_FIELDS }, ['name', 'type']),
    async handler(ctx): Promise<LeadAnswer> {
      const now = new Date();
      const fields = storedLeadFields(ctx.params);
      let doc: LeadInstitutionDoc;
      try {
        const created = await LeadInstitutionModel.create({
          _id: await nextId('lead'),
          country: '',
          country_lower: '',
          ...fields,
          search_words: searchWords(fields.name!, []),
          customer_id: null,
          created_at: now,
          updated_at: now,
        });
        doc = created.toObject();
      } catch (err) {
        if (isDuplicateKeyError(err)) throw leadExists();
        throw err;
      }
      await forgetStats(this);
      await this.announce(ctx, 'lead.created', { lead_id: doc._id });
      return toLeadAnswer(doc);
    },
  }),

  /** The lead with its contacts and its activities (newest first, at most 200). */
  read: action({
    params: LEAD_PARAMS,
    async handler(ctx): Promise<LeadDetailAnswer> {
      const id = ctx.params.lead_id;
      const [lead, contacts, activities] = await Promise.all([
        findLead(id),
        LeadContactModel.find({ institution_id: id }).sort({ _id: 1 }).limit(500).lean(),
        LeadActivityModel.find({ institution_id: id }).sort({ occurred_at: -1, _id: -1 }).limit(200).lean(),
      ]);
      return {
        lead: toLeadAnswer(lead),
        contacts: contacts.map(toContactAnswer),
        activities: activities.map(toActivityAnswer),
      };
    },
  }),

  /** Some of the lead's own fields (at least one). The customer link is set by `convert` only. */
  update: action({
    params: objectSchema({ lead_id: ID_SCHEMA, ...LEAD_FIELDS }, ['lead_id'], { minProperties: 2 }),
    async handler(ctx): Promise<LeadAnswer> {
      const { lead_id: id, ...fields } = ctx.params;
      let doc: LeadInstitutionDoc | null;
      try {
        doc = await LeadInstitutionModel.findOneAndUpdate(
          { _id: id },
          { $set: { ...storedLeadFields(fields), updated_at: new Date() } },
          { returnDocument: 'after', lean: true },
        );
      } catch (err) {
        if (isDuplicateKeyError(err)) throw leadExists();
        throw err;
      }
      if (!doc) throw leadNotFound(id);
      if (fields.name !== undefined) await refreshSearchWords(id);
      await forgetStats(this);
      await this.announce(ctx, 'lead.updated', { lead_id: id });
      return toLeadAnswer(doc);
    },
  }),

  /**
   * Deletes the lead with its contacts and activities. No transactions: the children go first, then
   * the lead, then once more any child added meanwhile, so nothing is left pointing at a lead that
   * no longer exists.
   */
  remove: action({
    params: LEAD_PARAMS,
    async handler(ctx) {
      const id = ctx.params.lead_id;
      const lead = await findLead(id);
      const dropChildren = () =>
        Promise.all([
          LeadContactModel.deleteMany({ institution_id: id }),
          LeadActivityModel.deleteMany({ institution_id: id }),
        ]);
      await dropChildren();
      const { deletedCount } = await LeadInstitutionModel.deleteOne({ _id: id });
      if (deletedCount === 0) throw leadNotFound(id);
      await dropChildren();
      await forgetStats(this);
      await this.announce(ctx, 'lead.deleted', { lead_id: id });
      return { success: true, message: `Lead "${lead.name}" deleted` };
    },
  }),

  /** The list: search (name, contact names, emails), type and status filters, sort, pages with total. */
  list: action({
    params: LIST_PARAMS,
    async handler(ctx): Promise<LeadListAnswer> {
      const p = ctx.params;
      const filter = listFilter(p);
      const direction = p.order === 'asc' ? 1 : -1;
      const field = SORT_FIELDS[p.sort];
      // One after the other: on MongoDB each is an index walk of a few milliseconds; on the embedded
      // server each is a full scan, and scans side by side only compete for the same cores (and can
      // outlast the driver's socket timeout). _id breaks ties, so pages never overlap or skip.
      const total = await LeadInstitutionModel.countDocuments(filter);
      const docs = await LeadInstitutionModel.find(filter, { search_words: 0 })
        .sort({ [field]: direction, _id: direction })
        .skip((p.page - 1) * p.limit)
        .limit(p.limit)
        .lean();
      return { leads: await withPrimaryContacts(docs), pagination: pagination(p.page, p.limit, total) };
    },
  }),

  /** GET /leads/api/stats */
  stats: action({
    params: objectSchema({}),
    async handler(): Promise<LeadStatsAnswer> {
      const now = Date.now();
      // In sequence, for the reason given in `list`; the total is the sum of the types' counts.
      const groups = await LeadInstitutionModel.aggregate<{ _id: LeadType; count: number }>([
        { $group: { _id: '$type', count: { $sum: 1 } } },
      ]);
      const converted = await LeadInstitutionModel.countDocuments({ customer_id: { $ne: null } });
      const contacts = await LeadContactModel.countDocuments({});
      const recent = await LeadActivityModel.countDocuments({
        occurred_at: { $gte: new Date(now - RECENT_DAYS * DAY_MS), $lte: new Date(now) },
      });
      const byType = Object.fromEntries(LEAD_TYPES.map(t => [t, 0])) as Record<LeadType, number>;
      let total = 0;
      for (const g of groups) {
        total += g.count;
        if (Object.hasOwn(byType, g._id)) byType[g._id] = g.count;
      }
      return {
        total_institutions: total,
        total_contacts: contacts,
        recent_activities: recent,
        conversion_rate: total === 0 ? 0 : Math.round((converted / total) * 1000) / 10,
        by_type: byType,
      };
    },
  }),
};

/** Each lead with its first contact and its contact count: one query for the whole page. */
async function withPrimaryContacts(docs: Array<Omit<LeadInstitutionDoc, 'search_words'>>): Promise<LeadListEntry[]> {
  if (docs.length === 0) return [];
  const contacts = await LeadContactModel.find({ institution_id: { $in: docs.map(d => d._id) } })
    .sort({ institution_id: 1, _id: 1 })
    .lean();
  const first = new Map<number, (typeof contacts)[number]>();
  const counts = new Map<number, number>();
  for (const c of contacts) {
    if (!first.has(c.institution_id)) first.set(c.institution_id, c);
    counts.set(c.institution_id, (counts.get(c.institution_id) ?? 0) + 1);
  }
  return docs.map(d => {
    const contact = first.get(d._id);
    return {
      ...toLeadAnswer(d),
      contact: contact ? toContactAnswer(contact) : null,
      contact_count: counts.get(d._id) ?? 0,
    };
  });
}
