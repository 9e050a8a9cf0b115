/**
 * The leads' CSV files: UTF-8 (with a BOM, which spreadsheet programs need to read UTF-8), RFC 4180
 * quoting, CRLF line ends. A cell that a spreadsheet would run as a formula (starting with =, +, -,
 * @, tab or carriage return) is written with a leading apostrophe; reading a file takes that
 * apostrophe off again, so exporting, editing and importing round-trips the data.
 *
 * Reading checks the file as a whole first (UTF-8, CSV, known and complete header): a malformed file
 * is refused before any row is imported.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { LEAD_ROW_COLUMNS, type LeadRow, type LeadRowColumn } from '../lead/contract.ts';
import type { ImportRow } from '../lead/import.ts';
import type { UploadedFile } from '../api/form-body.ts';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEUTRALISED = /^'[=+\-@\t\r]/;
export const MAX_IMPORT_ROWS = 20_000;

export function neutralise(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export function restore(cell: string): string {
  return NEUTRALISED.test(cell) ? cell.slice(1) : cell;
}

export const BOM = '\uFEFF';

export function csvHeader(): string {
  return stringify([[...LEAD_ROW_COLUMNS]], { record_delimiter: '\r\n' });
}

export function csvRows(rows: LeadRow[]): string {
  if (rows.length === 0) return '';
  return stringify(
    rows.map(r => LEAD_ROW_COLUMNS.map(c => (c === 'id' ? String(r.id ?? '') : neutralise(r[c])))),
    // csv-stringify quotes a line break only when it is the record delimiter itself: a lone LF or
    // CR inside a cell must be quoted too (RFC 4180), or readers split the record there.
    { record_delimiter: '\r\n', quoted_match: /[\r\n]/ },
  );
}

export type ParsedFile = { rows: ImportRow[] } | { problem: string };

export function parseLeadsCsv(file: UploadedFile | undefined): ParsedFile {
  if (!file || typeof file !== 'object') return { problem: 'choose a CSV file to import.' };
  if (!file.utf8) return { problem: 'the file is not UTF-8 text. Save it as "CSV UTF-8" and try again.' };
  if (file.text.trim() === '') return { problem: 'the file is empty.' };
  let records: string[][];
  try {
    records = parse(file.text, { bom: true, skip_empty_lines: true, relax_column_count: false });
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    return { problem: `the file is not valid CSV${line ? ` (near line ${line})` : ''}.` };
  }
  const header = (records[0] ?? []).map(h => h.trim().toLowerCase());
  const known = new Set<string>(LEAD_ROW_COLUMNS);
  const unknown = header.filter(h => !known.has(h));
  if (unknown.length > 0) {
    return {
      problem: `the header row names unknown columns (${unknown.slice(0, 5).join(', ')}). The columns are: ${LEAD_ROW_COLUMNS.join(', ')}.`,
    };
  }
  if (new Set(header).size !== header.length) return { problem: 'the header row names a column twice.' };
  if (!header.includes('name')) return { problem: 'the header row has no name column.' };
  if (records.length < 2) return { problem: 'the file has a header row but no rows to import.' };
  if (records.length - 1 > MAX_IMPORT_ROWS) return { problem: `the file has more than ${MAX_IMPORT_ROWS} rows.` };
  const rows: ImportRow[] = records.slice(1).map((record, i) => {
    const values: Partial<Record<LeadRowColumn, string>> = {};
    header.forEach((column, j) => {
      values[column as LeadRowColumn] = restore(record[j] ?? '');
    });
    // Spreadsheet numbering: the header is row 1.
    return { line: i + 2, values };
  });
  return { rows };
}
