/**
 * GET /leads/export and POST /leads/import. The CSV text is read and written here (csv.ts); rows go
 * to and from the lead service in batches, so no broker message carries a whole file, and the file
 * is checked as a whole (UTF-8, CSV, header) before the first batch: a malformed file imports nothing.
 */
import { Readable } from 'node:stream';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { dateOnly } from '../../lib/core/values.ts';
import { rowKey, type ExportAnswer, type ImportAnswer, type ImportRowResult } from '../lead/contract.ts';
import type { ImportRow } from '../lead/import.ts';
import { takeUpload } from './uploads.ts';
import { BOM, csvHeader, csvRows, parseLeadsCsv } from './csv.ts';
import { TEXT, filterParams, listQueryOf } from './lead-pages.actions.ts';
import { importReportPage } from './lead-list-view.ts';
import { sendPage, viewerOf, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const SHORT = { type: 'string', maxLength: 100 } as const;
/** Large batches: on the embedded server each batch costs two full scans (leads, contacts). */
const EXPORT_BATCH = 5000;
/** Rows per import call, and about how many characters: well under a NATS message. */
const IMPORT_BATCH_ROWS = 1000;
const IMPORT_BATCH_CHARS = 256 * 1024;
const MAX_EXPORT_ROWS = 200_000;

function batches(rows: ImportRow[]): ImportRow[][] {
  const out: ImportRow[][] = [];
  let current: ImportRow[] = [];
  let chars = 0;
  for (const row of rows) {
    const size = Object.values(row.values).reduce((sum, v) => sum + (v?.length ?? 0) + 16, 32);
    if (current.length > 0 && (current.length >= IMPORT_BATCH_ROWS || chars + size > IMPORT_BATCH_CHARS)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    current.push(row);
    chars += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export const leadTransferActions = {
  /** The leads of the list's current filter (sort aside: in id order), as a UTF-8 CSV download. */
  leadExport: action({
    params: objectSchema({ q: TEXT, type: SHORT, status: SHORT, sort: SHORT, order: SHORT, page: SHORT }),
    async handler(ctx): Promise<Readable> {
      const filters = filterParams(listQueryOf(ctx.params));
      const batch = (after: number) =>
        ctx.call<ExportAnswer, object>('lead.exportRows', { ...filters, after_id: after, limit: EXPORT_BATCH });
      // The first batch before any byte is sent: a failure then is still an error page.
      const first = await batch(0);
      ctx.meta.$responseType = 'text/csv; charset=utf-8';
      ctx.meta.$responseHeaders = {
        'Content-Disposition': `attachment; filename="leads-${dateOnly(new Date())}.csv"`,
      };
      // A stream, sent in chunks: a large export fits in no single broker message (the web service
      // may run on another node than the gateway).
      async function* chunks(): AsyncGenerator<Buffer> {
        yield Buffer.from(BOM + csvHeader() + csvRows(first.rows));
        let after = first.next_after_id;
        for (let sent = first.rows.length; after !== null && sent < MAX_EXPORT_ROWS;) {
          const next = await batch(after);
          yield Buffer.from(csvRows(next.rows));
          sent += next.rows.length;
          after = next.next_after_id;
        }
      }
      return Readable.from(chunks());
    },
  }),

  /** The file's rows, created, updated or rejected, and a report of each. */
  leadImport: action({
    params: objectSchema({ file: { type: 'object' } }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const parsed = parseLeadsCsv(await takeUpload(this.redis, ctx.params.file));
      if ('problem' in parsed) return sendPage(ctx, importReportPage(viewer, null, parsed.problem), 400);

      // Duplicates across the whole file (the service sees one batch at a time).
      const results: ImportRowResult[] = [];
      const firstLine = new Map<string, number>();
      const unique: ImportRow[] = [];
      for (const row of parsed.rows) {
        const key = rowKey(row.values);
        const first = key === null ? undefined : firstLine.get(key);
        if (first !== undefined) {
          results.push({
            line: row.line,
            outcome: 'rejected',
            name: row.values.name?.trim() ?? '',
            field: 'name',
            reason: `duplicate of row ${first}: only the first is imported`,
          });
          continue;
        }
        if (key !== null) firstLine.set(key, row.line);
        unique.push(row);
      }
      for (const batch of batches(unique)) {
        const answer = await ctx.call<ImportAnswer, { rows: ImportRow[] }>('lead.importRows', { rows: batch });
        results.push(...answer.results);
      }
      results.sort((a, b) => a.line - b.line);
      const count = (outcome: ImportRowResult['outcome']) => results.filter(r => r.outcome === outcome).length;
      const report: ImportAnswer = {
        created: count('created'),
        updated: count('updated'),
        rejected: count('rejected'),
        results,
      };
      return sendPage(ctx, importReportPage(viewer, report, null));
    },
  }),
};
