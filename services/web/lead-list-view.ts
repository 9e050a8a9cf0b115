/**
 * The lead list's HTML (filters in the URL, sortable columns, pages, empty state, export and import)
 * and the import report.
 */
import { config } from '../../config/index.ts';
import { LEAD_STATUSES, LEAD_TYPES } from '../../models/lead-institution.model.ts';
import { LEAD_ROW_COLUMNS, type ImportAnswer, type LeadListAnswer, type LeadStatsAnswer } from '../lead/contract.ts';
import { inputField, linkButton, listPager, listTable, selectField, when } from './components.ts';
import { attrs, html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';
import { STATUS_LABELS, TYPE_LABELS } from './lead-form.ts';

export interface ListQuery {
  q: string;
  type: string;
  status: string;
  sort: string;
  order: 'asc' | 'desc';
  page: number;
}

const SORTABLE: Array<{ key: string; label: string }> = [
  { key: 'name', label: 'Name' },
  { key: 'type', label: 'Type' },
  { key: 'country', label: 'Country' },
  { key: 'status', label: 'Status' },
];

/** The list's URL for a query: only what differs from the defaults, so links stay short. */
export function listHref(query: ListQuery, change: Partial<ListQuery> = {}, base = '/leads/'): string {
  const q = { ...query, ...change };
  const params = new URLSearchParams();
  if (q.q) params.set('q', q.q);
  if (q.type) params.set('type', q.type);
  if (q.status) params.set('status', q.status);
  if (q.sort !== 'updated_at') params.set('sort', q.sort);
  if (q.order !== 'desc') params.set('order', q.order);
  if (q.page > 1) params.set('page', String(q.page));
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

function sortHeader(query: ListQuery, key: string, label: string): Html {
  const current = query.sort === key;
  const order = current && query.order === 'asc' ? 'desc' : 'asc';
  const sorted = current ? (query.order === 'asc' ? 'ascending' : 'descending') : null;
  return html`<th scope="col" ${attrs({ 'aria-sort': sorted })}>
    <a href="${listHref(query, { sort: key, order, page: 1 })}"
      >${label}${current ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</a
    >
  </th>`;
}

function statsCards(stats: LeadStatsAnswer): Html {
  return html`<ul class="stats" aria-label="Lead figures">
    <li><span class="figure">${stats.total_institutions}</span> institutions</li>
    <li><span class="figure">${stats.total_contacts}</span> contacts</li>
    <li><span class="figure">${stats.recent_activities}</span> activities in 30 days</li>
    <li><span class="figure">${stats.conversion_rate}%</span> converted</li>
  </ul>`;
}

function filters(query: ListQuery): Html {
  const all = (values: readonly string[], labels: Record<string, string>, none: string) => [
    { value: '', label: none },
    ...values.map(value => ({ value, label: labels[value] ?? value })),
  ];
  return html`<form class="filters" method="get" action="/leads/" role="search" aria-label="Filter leads">
    ${inputField({ form: 'filter', name: 'q', label: 'Search name, contact or email', type: 'search', value: query.q, maxlength: 100 })}
    ${selectField({ form: 'filter', name: 'type', label: 'Type', value: query.type, options: all(LEAD_TYPES, TYPE_LABELS, 'All types') })}
    ${selectField({ form: 'filter', name: 'status', label: 'Status', value: query.status, options: all(LEAD_STATUSES, STATUS_LABELS, 'All statuses') })}
    ${query.sort !== 'updated_at' ? html`<input type="hidden" name="sort" value="${query.sort}" />` : ''}
    ${query.order !== 'desc' ? html`<input type="hidden" name="order" value="${query.order}" />` : ''}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/leads/">Clear</a>
    </div>
  </form>`;
}

function uploadLimit(): string {
  const bytes = config().web.uploadMaxBytes;
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

function importForm(csrf: string): Html {
  return html`<form class="card import-form" method="post" action="/leads/import" enctype="multipart/form-data">
    <h2>Import from CSV</h2>
    ${csrfField(csrf)}
    <div class="field">
      <label for="import-file">CSV file (UTF-8, at most ${uploadLimit()})</label>
      <p class="hint" id="import-file-hint">
        Columns: ${LEAD_ROW_COLUMNS.join(', ')}. Only name is required. Rows with an id, or with the name and country of
        a known lead, update it; the others are created.
      </p>
      <input
        id="import-file"
        type="file"
        name="file"
        accept=".csv,text/csv"
        required
        aria-describedby="import-file-hint"
      />
    </div>
    <button type="submit" class="button secondary">Import</button>
  </form>`;
}

export function listPage(options: {
  viewer: Viewer;
  query: ListQuery;
  answer: LeadListAnswer;
  stats: LeadStatsAnswer;
  notice: string | null;
}): Html {
  const { viewer, query, answer } = options;
  const admin = viewer.role === 'admin';
  const filtered = Boolean(query.q || query.type || query.status);
  const rows = answer.leads.map(
    l =>
      html`<tr>
        <th scope="row"><a href="/leads/edit/${l.id}">${l.name}</a></th>
        <td>${TYPE_LABELS[l.type] ?? l.type}</td>
        <td>${l.country}</td>
        <td><span class="status status-${l.status}">${STATUS_LABELS[l.status] ?? l.status}</span></td>
        <td>
          ${l.contact ? html`${l.contact.name}${l.contact.email ? html`<br /><span class="muted">${l.contact.email}</span>` : ''}` : html`<span class="muted">None</span>`}
        </td>
        <td>${l.owner}</td>
        <td>${when(l.updated_at)}</td>
      </tr>`,
  );
  const empty = filtered
    ? html`<p class="empty">No leads match these filters. <a href="/leads/">Clear the filters</a></p>`
    : html`<p class="empty">
        No leads yet.${admin ? html` <a href="/leads/create">Create the first one</a> or import a CSV file.` : ''}
      </p>`;
  const table = listTable({
    caption: `Leads, sorted by ${query.sort} (${query.order === 'asc' ? 'ascending' : 'descending'})`,
    columns: [
      ...SORTABLE.map(s => sortHeader(query, s.key, s.label)),
      'Primary contact',
      'Owner',
      sortHeader(query, 'updated_at', 'Updated'),
    ],
    rows,
  });
  return layout({
    title: 'Leads',
    viewer,
    area: 'leads',
    notice: options.notice,
    action: admin ? linkButton('/leads/create', 'New lead') : null,
    body: html`${statsCards(options.stats)} ${filters(query)}
      <section aria-label="Results">
        ${answer.leads.length > 0 ? table : empty}
        ${listPager(answer.pagination, ['lead', 'leads'], page => listHref(query, { page }))}
        <p>
          <a
            class="button secondary"
            href="${listHref(query, { page: 1, sort: 'updated_at', order: 'desc' }, '/leads/export')}"
            >Export these leads as CSV</a
          >
        </p>
      </section>
      ${admin ? importForm(viewer.csrf) : ''}`,
  });
}

/** Rows listed in a report: enough to act on, small enough for one page (and one broker message). */
const REPORT_ROWS = 1000;

export function importReportPage(viewer: Viewer, report: ImportAnswer | null, problem: string | null): Html {
  const rejected = report?.results.filter(r => r.outcome === 'rejected') ?? [];
  const done = report?.results.filter(r => r.outcome !== 'rejected') ?? [];
  const summary = report
    ? html`<ul class="stats" aria-label="Import summary">
        <li><span class="figure">${report.created}</span> created</li>
        <li><span class="figure">${report.updated}</span> updated</li>
        <li><span class="figure">${report.rejected}</span> rejected</li>
      </ul>`
    : '';
  return layout({
    title: 'Import report',
    viewer,
    area: 'leads',
    alert: problem ? `Nothing was imported: ${problem}` : null,
    action: linkButton('/leads/', 'Back to the leads', 'secondary'),
    body: html`${summary}
    ${
      rejected.length > 0
        ? html`<h2>Rejected rows</h2>
            ${listTable({
              caption: 'Rows that were not imported, with the reason',
              columns: ['Row', 'Name', 'Reason'],
              rows: rejected.slice(0, REPORT_ROWS).map(
                r =>
                  html`<tr>
                    <td>${r.line}</td>
                    <td>${r.name}</td>
                    <td>${r.outcome === 'rejected' ? r.reason : ''}</td>
                  </tr>`,
              ),
            })}
            ${rejected.length > REPORT_ROWS ? html`<p>The first ${REPORT_ROWS} of ${rejected.length} rejected rows are shown.</p>` : ''}`
        : ''
    }
    ${
      done.length > 0
        ? html`<details>
            <summary>Imported rows (${done.length})</summary>
            <ul class="plain">
              ${done.slice(0, REPORT_ROWS).map(r => html`<li>Row ${r.line}: ${r.outcome === 'created' ? 'created' : 'updated'} ${'lead_id' in r ? html`<a href="/leads/edit/${r.lead_id}">${r.name}</a>` : ''}</li>`)}
            </ul>
          </details>`
        : ''
    }
    ${importForm(viewer.csrf)}`,
  });
}
