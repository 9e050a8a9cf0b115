/**
 * The license list's HTML: filters in the URL (key, status, type, customer, expiring), sortable
 * columns, pages, the bulk form (its checkboxes sit in the table and name the form with `form=`, so
 * each row's quick-edit form is not nested in it) and each row's quick edit.
 */
import { LICENSE_TYPES } from '../../models/license.model.ts';
import { LICENSE_STATUSES, type LicenseListEntry } from '../license/contract.ts';
import type { pagination as paginationOf } from '../../lib/core/values.ts';
import { inputField, linkButton, pager, selectField } from './components.ts';
import { hrefWith, type FormState } from './admin-biz-forms.ts';
import {
  LICENSE_STATUS_LABELS,
  LICENSE_TYPE_LABELS,
  dayText,
  emptyState,
  licenseStatus,
  options,
  typeLabel,
} from './admin-biz-views.ts';
import { attrs, html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const SORTS = ['id', 'key', 'valid_until', 'created_at', 'type'] as const;
export const EXPIRING = ['7', '30', '90'] as const;

export interface LicenseListQuery {
  q: string;
  status: '' | (typeof LICENSE_STATUSES)[number];
  type: '' | (typeof LICENSE_TYPES)[number];
  customer_id: number | undefined;
  /** Text that narrows the customer filter's choices (name or email). */
  customer_q: string;
  expiring: '' | (typeof EXPIRING)[number];
  sort: (typeof SORTS)[number];
  order: 'asc' | 'desc';
  page: number;
}

export interface LicenseListAnswer {
  licenses: LicenseListEntry[];
  pagination: ReturnType<typeof paginationOf>;
}

/** A customer the filter offers: `Name - email`, as the Select2 search answers. */
export interface CustomerChoice {
  id: number;
  text: string;
}

export function licenseListHref(query: LicenseListQuery, change: Partial<LicenseListQuery> = {}): string {
  const q = { ...query, ...change };
  return hrefWith('/admin/licenses', {
    q: q.q,
    status: q.status,
    type: q.type,
    customer_id: q.customer_id,
    expiring: q.expiring,
    sort: q.sort === 'id' ? undefined : q.sort,
    order: q.order === 'desc' ? undefined : q.order,
    page: q.page > 1 ? q.page : undefined,
  });
}

function sortHeader(query: LicenseListQuery, key: LicenseListQuery['sort'], label: string): Html {
  const current = query.sort === key;
  const order = current && query.order === 'asc' ? 'desc' : 'asc';
  const sorted = current ? (query.order === 'asc' ? 'ascending' : 'descending') : null;
  return html`<th scope="col" ${attrs({ 'aria-sort': sorted })}>
    <a href="${licenseListHref(query, { sort: key, order, page: 1 })}"
      >${label}${current ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</a
    >
  </th>`;
}

function filters(query: LicenseListQuery, customers: CustomerChoice[]): Html {
  const expiring = [
    { value: '', label: 'Any end date' },
    ...EXPIRING.map(days => ({ value: days, label: `Expiring within ${days} days` })),
  ];
  const customerOptions = [
    { value: '', label: 'All customers' },
    ...customers.map(c => ({ value: String(c.id), label: c.text })),
  ];
  return html`<form class="filters" method="get" action="/admin/licenses" role="search" aria-label="Filter licenses">
    ${inputField({ form: 'filter', name: 'q', label: 'Search by key', type: 'search', value: query.q, maxlength: 100 })}
    ${selectField({ form: 'filter', name: 'status', label: 'Status', value: query.status, options: options(LICENSE_STATUSES, LICENSE_STATUS_LABELS, 'All statuses') })}
    ${selectField({ form: 'filter', name: 'type', label: 'Type', value: query.type, options: options(LICENSE_TYPES, LICENSE_TYPE_LABELS, 'All types') })}
    ${selectField({ form: 'filter', name: 'expiring', label: 'Expiring', value: query.expiring, options: expiring })}
    ${inputField({ form: 'filter', name: 'customer_q', label: 'Find a customer', type: 'search', value: query.customer_q, maxlength: 100, hint: 'Name or email; Apply lists the matches below' })}
    ${selectField({ form: 'filter', name: 'customer_id', label: 'Customer', value: query.customer_id ? String(query.customer_id) : '', options: customerOptions })}
    ${query.sort !== 'id' ? html`<input type="hidden" name="sort" value="${query.sort}" />` : ''}
    ${query.order !== 'desc' ? html`<input type="hidden" name="order" value="${query.order}" />` : ''}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/licenses">Clear</a>
    </div>
  </form>`;
}

/** The fields of a quick edit (the list's rows and the license page share them). */
export function quickEditFields(form: string, state: FormState): Html {
  const { values: v, errors } = state;
  return html`<div class="field-row">
    ${inputField({ form, name: 'valid_until', label: 'Valid until', type: 'date', value: v.valid_until, errors, hint: 'Empty: no end date' })}
    ${inputField({ form, name: 'max_activations', label: 'Max devices', type: 'number', value: v.max_activations, errors })}
    ${inputField({ form, name: 'max_users', label: 'Max concurrent users', type: 'number', value: v.max_users, errors })}
  </div>`;
}

export function quickEditValues(l: Pick<LicenseListEntry, 'valid_until' | 'max_activations' | 'max_users'>) {
  return {
    valid_until: l.valid_until ?? '',
    max_activations: String(l.max_activations),
    max_users: String(l.max_users),
  };
}

function row(l: LicenseListEntry, customer: string | undefined, viewer: Viewer, back: string): Html {
  const admin = viewer.role === 'admin';
  return html`<tr>
    ${
      admin
        ? html`<td class="select-cell">
            <input${attrs({ id: `select-${l.id}`, type: 'checkbox', name: 'license_ids', value: String(l.id), form: 'bulk' })} />
            <label class="visually-hidden" for="select-${l.id}">Select ${l.key}</label>
          </td>`
        : ''
    }
    <th scope="row"><a class="key" href="/admin/licenses/${l.id}">${l.key}</a></th>
    <td>
      ${l.customer_id !== null ? html`<a href="/admin/customers/${l.customer_id}">${customer ?? `Customer ${l.customer_id}`}</a>` : html`<span class="muted">None</span>`}
    </td>
    <td>${typeLabel(l.type)}</td>
    <td>${licenseStatus(l.status)}</td>
    <td>${dayText(l.valid_until)}</td>
    <td>${l.current_activations} of ${l.max_activations}</td>
    <td>${l.max_users}</td>
    ${
      admin
        ? html`<td class="row-actions">
            <details>
              <summary>Quick edit<span class="visually-hidden"> ${l.key}</span></summary>
              <form method="post" action="/admin/licenses/${l.id}/quick-edit" novalidate>
                ${csrfField(viewer.csrf)}
                <input type="hidden" name="back" value="${back}" />
                ${quickEditFields(`qe-${l.id}`, { values: quickEditValues(l), errors: {} })}
                <button type="submit" class="button primary">Save</button>
              </form>
            </details>
          </td>`
        : ''
    }
  </tr>`;
}

function bulkForm(csrf: string): Html {
  return html`<form id="bulk" class="bulk-bar" method="post" action="/admin/licenses/bulk">
    ${csrfField(csrf)}
    ${selectField({
      name: 'op',
      label: 'With the selected licenses',
      value: 'deactivate',
      options: [
        { value: 'activate', label: 'Activate' },
        { value: 'deactivate', label: 'Deactivate' },
        { value: 'delete', label: 'Delete' },
      ],
    })}
    <button type="submit" class="button secondary">Review the change</button>
  </form>`;
}

export function licenseListPage(o: {
  viewer: Viewer;
  query: LicenseListQuery;
  answer: LicenseListAnswer;
  customers: CustomerChoice[];
  names: Map<number, string>;
  notice: string | null;
}): Html {
  const { viewer, query, answer } = o;
  const admin = viewer.role === 'admin';
  const back = licenseListHref(query);
  const filtered = Boolean(query.q || query.status || query.type || query.customer_id || query.expiring);
  const table = html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Licenses, sorted by ${query.sort} (${query.order === 'asc' ? 'ascending' : 'descending'})
      </caption>
      <thead>
        <tr>
          ${admin ? html`<th scope="col"><span class="visually-hidden">Select</span></th>` : ''}
          ${sortHeader(query, 'key', 'Key')}
          <th scope="col">Customer</th>
          ${sortHeader(query, 'type', 'Type')}
          <th scope="col">Status</th>
          ${sortHeader(query, 'valid_until', 'Valid until')}
          <th scope="col">Devices</th>
          <th scope="col">Users</th>
          ${admin ? html`<th scope="col">Quick edit</th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${answer.licenses.map(l => row(l, l.customer_id !== null ? o.names.get(l.customer_id) : undefined, viewer, back))}
      </tbody>
    </table>
  </div>`;
  const p = answer.pagination;
  return layout({
    title: 'Licenses',
    viewer,
    area: 'licenses',
    notice: o.notice,
    action: admin
      ? linkButton(hrefWith('/admin/licenses/new', { customer_id: query.customer_id }), 'New license')
      : null,
    body: html`${filters(query, o.customers)}
      <section aria-label="Results">
        ${admin && answer.licenses.length > 0 ? bulkForm(viewer.csrf) : ''}
        ${
          answer.licenses.length > 0
            ? table
            : emptyState(
                filtered,
                'licenses',
                '/admin/licenses',
                admin ? html`<a href="/admin/licenses/new">Create the first one</a>` : '',
              )
        }
        ${
          p.total > 0
            ? pager({
                page: p.page,
                pages: p.pages,
                total: p.total,
                noun: p.total === 1 ? 'license' : 'licenses',
                hrefFor: page => licenseListHref(query, { page }),
              })
            : ''
        }
      </section>`,
  });
}
