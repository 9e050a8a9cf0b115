/**
 * Pieces every page form and list uses: labelled fields that show their error beside them and keep
 * what was typed, small POST forms (one button, with the CSRF token), a list's table and its pager.
 */
import { Html, attrs, html, join, type Renderable } from './html.ts';
import { csrfField } from './layout.ts';

export type FormErrors = Record<string, string>;

interface FieldBase {
  name: string;
  label: string;
  /** The id prefix when one page has several forms with the same field names. */
  form?: string;
  errors?: FormErrors;
  hint?: string;
  required?: boolean;
}

function ids(f: FieldBase): { id: string; errorId: string; hintId: string } {
  const id = `${f.form ? `${f.form}-` : ''}${f.name}`;
  return { id, errorId: `${id}-error`, hintId: `${id}-hint` };
}

function described(f: FieldBase): { 'aria-invalid': string | null; 'aria-describedby': string | null } {
  const { errorId, hintId } = ids(f);
  const error = f.errors?.[f.name];
  const by = [error ? errorId : null, f.hint ? hintId : null].filter(Boolean).join(' ');
  return { 'aria-invalid': error ? 'true' : null, 'aria-describedby': by || null };
}

function wrap(f: FieldBase, control: Html): Html {
  const { id, errorId, hintId } = ids(f);
  const error = f.errors?.[f.name];
  return html`<div class="field${error ? ' has-error' : ''}">
    <label for="${id}">${f.label}${f.required ? html` <span class="required" aria-hidden="true">*</span>` : ''}</label>
    ${f.hint ? html`<p class="hint" id="${hintId}">${f.hint}</p>` : ''} ${control}
    ${error ? html`<p class="field-error" id="${errorId}">${error}</p>` : ''}
  </div>`;
}

export function inputField(
  f: FieldBase & { value?: string; type?: string; maxlength?: number; autocomplete?: string; autofocus?: boolean },
): Html {
  const { id } = ids(f);
  return wrap(
    f,
    html`<input${attrs({
      id,
      name: f.name,
      type: f.type ?? 'text',
      value: f.value ?? '',
      maxlength: f.maxlength,
      autocomplete: f.autocomplete,
      required: f.required,
      autofocus: f.autofocus,
      ...described(f),
    })} />`,
  );
}

export function textareaField(f: FieldBase & { value?: string; maxlength?: number; rows?: number }): Html {
  const { id } = ids(f);
  return wrap(
    f,
    html`<textarea${attrs({ id, name: f.name, rows: f.rows ?? 4, maxlength: f.maxlength, required: f.required, ...described(f) })}>${f.value ?? ''}</textarea>`,
  );
}

export function selectField(
  f: FieldBase & { value?: string; options: ReadonlyArray<{ value: string; label: string }> },
): Html {
  const { id } = ids(f);
  return wrap(
    f,
    html`<select${attrs({ id, name: f.name, required: f.required, ...described(f) })}>
      ${f.options.map(o => html`<option${attrs({ value: o.value, selected: o.value === (f.value ?? '') })}>${o.label}</option>`)}
    </select>`,
  );
}

/** A form of one button that POSTs (with the CSRF token and any hidden fields). */
export function postButton(options: {
  action: string;
  label: string;
  csrf: string;
  hidden?: Record<string, string>;
  kind?: 'primary' | 'danger' | 'secondary';
}): Html {
  return html`<form class="inline-form" method="post" action="${options.action}">
    ${csrfField(options.csrf)}
    ${Object.entries(options.hidden ?? {}).map(([name, value]) => html`<input type="hidden" ${attrs({ name, value })} />`)}
    <button type="submit" class="button ${options.kind ?? 'secondary'}">${options.label}</button>
  </form>`;
}

export function linkButton(href: string, label: string, kind: 'primary' | 'secondary' = 'primary'): Html {
  return html`<a class="button ${kind}" href="${href}">${label}</a>`;
}

/** "Page 2 of 7 (163 leads)" with previous and next links that keep the list's filters. */
export function pager(options: {
  page: number;
  pages: number;
  total: number;
  noun: string;
  hrefFor: (page: number) => string;
}): Html {
  const { page, pages, total, noun, hrefFor } = options;
  const parts: Renderable[] = [];
  parts.push(
    page > 1
      ? html`<a rel="prev" href="${hrefFor(page - 1)}">Previous</a>`
      : html`<span class="disabled">Previous</span>`,
  );
  parts.push(html`<span class="page-count">Page ${page} of ${Math.max(pages, 1)} (${total} ${noun})</span>`);
  parts.push(
    page < pages ? html`<a rel="next" href="${hrefFor(page + 1)}">Next</a>` : html`<span class="disabled">Next</span>`,
  );
  return html`<nav class="pager" aria-label="Pages">${join(parts)}</nav>`;
}

/** A list answer's page figures, as the services answer them. */
export interface Pagination {
  page: number;
  pages: number;
  total: number;
}

/**
 * The pager under a list, or nothing when the list has no entries at all. `nouns`: what one entry and
 * several are called ("Page 1 of 1 (1 lead)", "(31 leads)").
 */
export function listPager(
  pagination: Pagination,
  nouns: readonly [one: string, several: string],
  hrefFor: (page: number) => string,
): Html | '' {
  const { page, pages, total } = pagination;
  return total > 0 ? pager({ page, pages, total, noun: total === 1 ? nouns[0] : nouns[1], hrefFor }) : '';
}

/**
 * A list as a table in its scrolling wrapper: the caption (read by screen readers only), the column
 * headers and the rows. A column is its label, or a header cell of its own (sortable, a number
 * column); null leaves it out (a column only admins see).
 */
export function listTable(o: {
  caption: Renderable;
  columns: ReadonlyArray<string | Html | null>;
  rows: Renderable;
}): Html {
  const headers = o.columns.map(c => (c === null ? '' : c instanceof Html ? c : html`<th scope="col">${c}</th>`));
  return html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        ${o.caption}
      </caption>
      <thead>
        <tr>
          ${headers}
        </tr>
      </thead>
      <tbody>
        ${o.rows}
      </tbody>
    </table>
  </div>`;
}

/** A date-time shown to a person: `2026-03-01 10:30 UTC`. */
export function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
