/**
 * CSV import and export, as rows: the web page reads and writes the CSV text (services/web/csv.ts)
 * and moves rows in batches, so no single broker message carries a whole file.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { LEAD_STATUSES, LEAD_TYPES, LeadInstitutionModel } from '../../models/lead-institution.model.ts';
import { LeadContactModel } from '../../models/lead-contact.model.ts';
import { LEAD_ROW_COLUMNS, type ExportAnswer, type ImportAnswer, type LeadRow } from './contract.ts';
import { importRows } from './import.ts';
import { forgetStats, listFilter } from './records.ts';
import type { LeadThis } from './state.ts';

const action = actionFor<LeadThis>();

export const IMPORT_BATCH_ROWS = 1000;
const EXPORT_BATCH_CHARS = 512 * 1024;

const ROW_SCHEMA = {
  type: 'object',
  properties: {
    line: { type: 'integer', minimum: 1 },
    values: {
      type: 'object',
      propertyNames: { enum: [...LEAD_ROW_COLUMNS] },
      additionalProperties: { type: 'string', maxLength: 10_000 },
    },
  },
  required: ['line', 'values'],
  additionalProperties: false,
} as const;

export const transferActions = {
  /** One batch of parsed CSV rows: each created, updated or rejected with its reason. */
  importRows: action({
    params: objectSchema({ rows: { type: 'array', items: ROW_SCHEMA, maxItems: IMPORT_BATCH_ROWS } }, ['rows']),
    async handler(ctx): Promise<ImportAnswer> {
      const answer = await importRows(ctx.params.rows);
      if (answer.created + answer.updated > 0) {
        await forgetStats(this);
        await this.announce(ctx, 'lead.imported', { created: answer.created, updated: answer.updated });
      }
      return answer;
    },
  }),

  /** Leads matching the list's filter in id order, `limit` after `after_id`, with their first contact. */
  exportRows: action({
    params: objectSchema({
      q: SEARCH_TEXT_SCHEMA,
      type: { type: 'string', enum: [...LEAD_TYPES] },
      status: { type: 'string', enum: [...LEAD_STATUSES] },
      after_id: { type: 'integer', minimum: 0, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 5000, default: 1000 },
    }),
    async handler(ctx): Promise<ExportAnswer> {
      const p = ctx.params;
      const docs = await LeadInstitutionModel.find({ ...listFilter(p), _id: { $gt: p.after_id } }, { search_words: 0 })
        .sort({ _id: 1 })
        .limit(p.limit)
        .lean();
      const contacts = docs.length
        ? await LeadContactModel.find({ institution_id: { $in: docs.map(d => d._id) } })
            .sort({ institution_id: 1, _id: 1 })
            .lean()
        : [];
      const first = new Map<number, (typeof contacts)[number]>();
      for (const c of contacts) if (!first.has(c.institution_id)) first.set(c.institution_id, c);
      // A batch also stops at about EXPORT_BATCH_CHARS of text, so one answer stays a small message.
      const rows: Array<LeadRow & { id: number }> = [];
      let chars = 0;
      for (const d of docs) {
        const c = first.get(d._id);
        const row = {
          id: d._id,
          name: d.name,
          type: d.type,
          country: d.country ?? '',
          website: d.website ?? '',
          status: d.status,
          owner: d.owner ?? '',
          notes: d.notes ?? '',
          contact_name: c?.name ?? '',
          contact_email: c?.email ?? '',
          contact_phone: c?.phone ?? '',
          contact_role: c?.role ?? '',
        };
        rows.push(row);
        chars += Object.values(row).reduce<number>((sum, v) => sum + String(v).length + 8, 0);
        if (chars > EXPORT_BATCH_CHARS) break;
      }
      const more = rows.length < docs.length || docs.length === p.limit;
      return { rows, next_after_id: more ? rows[rows.length - 1]!.id : null };
    },
  }),
};
