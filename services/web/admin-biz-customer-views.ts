/**
 * The customer pages' HTML: the list (search, status filter, pages), the new and edit forms, and the
 * customer's page with its quick stats and licenses.
 */
import { CUSTOMER_LIMITS } from '../../models/customer.model.ts';
import type { CustomerAnswer } from '../customer/contract.ts';
import type { CustomerListAnswer } from '../customer/list.actions.ts';
import type { LicenseStatus } from '../license/contract.ts';
import { inputField, linkButton, listPager, listTable, postButton, selectField, textareaField } from './components.ts';
import { hrefWith, type FormState } from './admin-biz-forms.ts';
import { activeStatus, dayText, emptyState, licenseStatus, moment, typeLabel } from './admin-biz-views.ts';
import { html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const CUSTOMER_FORM_FIELDS = ['name', 'email', 'company', 'phone', 'notes'] as const;

/** What each customer field asks for when the service refuses it. */
export const CUSTOMER_FIELD_TEXTS: Record<string, string> = {
  name: `Enter a name (at most ${CUSTOMER_LIMITS.name} characters).`,
  email: 'Enter a valid email address, like name@example.com.',
  company: `Enter at most ${CUSTOMER_LIMITS.company} characters.`,
  phone: `Enter at most ${CUSTOMER_LIMITS.phone} characters.`,
  notes: `Enter at most ${CUSTOMER_LIMITS.notes} characters.`,
};

export interface CustomerListQuery {
  q: string;
  status: '' | 'active' | 'inactive';
  page: number;
}

/** GET /api/customer/:id/licenses, as the page reads it. */
export interface CustomerLicenseRow {
  id: number;
  license_key: string;
  type: string;
  status: LicenseStatus;
  valid_until: string | null;
  max_activations: number;
  current_activations: number;
}

/** GET /api/customer/:id/quick-stats. */
export interface CustomerStats {
  total_licenses: number;
  active_licenses: number;
  total_activations: number;
  total_users: number;
}

export function customerListHref(query: CustomerListQuery, page = query.page): string {
  return hrefWith('/admin/customers', { q: query.q, status: query.status, page: page > 1 ? page : undefined });
}

export function customerListPage(o: {
  viewer: Viewer;
  query: CustomerListQuery;
  answer: CustomerListAnswer;
  notice: string | null;
}): Html {
  const { viewer, query, answer } = o;
  const admin = viewer.role === 'admin';
  const rows = answer.customers.map(
    c =>
      html`<tr>
        <th scope="row"><a href="/admin/customers/${c.id}">${c.name}</a></th>
        <td>${c.email}</td>
        <td>${c.company || html`<span class="muted">-</span>`}</td>
        <td>${activeStatus(c.is_active)}</td>
        <td>${moment(c.created_at)}</td>
      </tr>`,
  );
  const table = listTable({
    caption: 'Customers, by name',
    columns: ['Name', 'Email', 'Company', 'Status', 'Created'],
    rows,
  });
  return layout({
    title: 'Customers',
    viewer,
    area: 'customers',
    notice: o.notice,
    action: admin ? linkButton('/admin/customers/new', 'New customer') : null,
    body: html`<form class="filters" method="get" action="/admin/customers" role="search" aria-label="Filter customers">
        ${inputField({ form: 'filter', name: 'q', label: 'Search name, email or company', type: 'search', value: query.q, maxlength: 100 })}
        ${selectField({
          form: 'filter',
          name: 'status',
          label: 'Status',
          value: query.status,
          options: [
            { value: '', label: 'All customers' },
            { value: 'active', label: 'Active' },
            { value: 'inactive', label: 'Inactive' },
          ],
        })}
        <div class="filter-actions">
          <button type="submit" class="button primary">Apply</button>
          <a class="button secondary" href="/admin/customers">Clear</a>
        </div>
      </form>
      <section aria-label="Results">
        ${
          answer.customers.length > 0
            ? table
            : emptyState(
                Boolean(query.q || query.status),
                'customers',
                '/admin/customers',
                admin ? html`<a href="/admin/customers/new">Create the first one</a>` : '',
              )
        }
        ${listPager(answer.pagination, ['customer', 'customers'], page => customerListHref(query, page))}
      </section>`,
  });
}

function customerFields(state: FormState): Html {
  const { values: v, errors } = state;
  return html`<div class="field-row">
      ${inputField({ name: 'name', label: 'Name', value: v.name, required: true, maxlength: CUSTOMER_LIMITS.name, errors })}
      ${inputField({ name: 'email', label: 'Email', type: 'email', value: v.email, required: true, maxlength: CUSTOMER_LIMITS.email, errors, autocomplete: 'off' })}
    </div>
    <div class="field-row">
      ${inputField({ name: 'company', label: 'Company', value: v.company, maxlength: CUSTOMER_LIMITS.company, errors })}
      ${inputField({ name: 'phone', label: 'Phone', type: 'tel', value: v.phone, maxlength: CUSTOMER_LIMITS.phone, errors })}
    </div>
    ${textareaField({ name: 'notes', label: 'Notes', value: v.notes, maxlength: CUSTOMER_LIMITS.notes, errors })}`;
}

/** The new-customer form, or the edit form of an existing one. */
export function customerFormPage(o: {
  viewer: Viewer;
  customer: CustomerAnswer | null;
  state: FormState;
  alert: string | null;
}): Html {
  const c = o.customer;
  const action = c ? `/admin/customers/${c.id}/edit` : '/admin/customers/new';
  return layout({
    title: c ? `Edit ${c.name}` : 'New customer',
    viewer: o.viewer,
    area: 'customers',
    alert: o.alert,
    body: html`<p class="breadcrumb">
        <a href="${c ? `/admin/customers/${c.id}` : '/admin/customers'}"
          >${c ? `Back to ${c.name}` : 'All customers'}</a
        >
      </p>
      <form class="card" method="post" action="${action}" novalidate>
        ${csrfField(o.viewer.csrf)} ${customerFields(o.state)}
        <div class="form-actions">
          <button type="submit" class="button primary">${c ? 'Save changes' : 'Create customer'}</button>
        </div>
      </form>`,
  });
}

function statsList(stats: CustomerStats): Html {
  return html`<ul class="stats" aria-label="Customer figures">
    <li><span class="figure">${stats.total_licenses}</span> licenses</li>
    <li><span class="figure">${stats.active_licenses}</span> active licenses</li>
    <li><span class="figure">${stats.total_activations}</span> active devices</li>
    <li><span class="figure">${stats.total_users}</span> concurrent users allowed</li>
  </ul>`;
}

function licenseTable(customer: CustomerAnswer, licenses: CustomerLicenseRow[]): Html {
  return listTable({
    caption: `Licenses of ${customer.name}`,
    columns: ['Key', 'Type', 'Status', 'Valid until', 'Devices'],
    rows: licenses.map(
      l =>
        html`<tr>
          <th scope="row"><a class="key" href="/admin/licenses/${l.id}">${l.license_key}</a></th>
          <td>${typeLabel(l.type)}</td>
          <td>${licenseStatus(l.status)}</td>
          <td>${dayText(l.valid_until)}</td>
          <td>${l.current_activations} of ${l.max_activations}</td>
        </tr>`,
    ),
  });
}

export function customerPage(o: {
  viewer: Viewer;
  customer: CustomerAnswer;
  stats: CustomerStats;
  licenses: CustomerLicenseRow[];
  notice: string | null;
  alert: string | null;
}): Html {
  const { viewer, customer: c } = o;
  const admin = viewer.role === 'admin';
  const actions = admin
    ? html`${linkButton(`/admin/customers/${c.id}/edit`, 'Edit', 'secondary')}
      ${linkButton(hrefWith('/admin/licenses/new', { customer_id: c.id }), 'New license')}
      ${
        c.is_active
          ? postButton({
              action: `/admin/customers/${c.id}/deactivate`,
              label: 'Deactivate',
              csrf: viewer.csrf,
              kind: 'danger',
            })
          : postButton({ action: `/admin/customers/${c.id}/reactivate`, label: 'Reactivate', csrf: viewer.csrf })
      }
      ${postButton({ action: `/admin/customers/${c.id}/delete`, label: 'Delete', csrf: viewer.csrf, kind: 'danger' })}`
    : null;
  return layout({
    title: c.name,
    viewer,
    area: 'customers',
    notice: o.notice,
    alert: o.alert,
    action: actions,
    body: html`<p class="breadcrumb"><a href="/admin/customers">All customers</a></p>
      ${
        c.is_active
          ? ''
          : html`<p class="alert">
              This customer is deactivated: none of its licenses verifies until it is reactivated.
            </p>`
      }
      ${statsList(o.stats)}
      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <dl class="card details">
          <dt>Email</dt>
          <dd><a href="mailto:${c.email}">${c.email}</a></dd>
          <dt>Company</dt>
          <dd>${c.company || '-'}</dd>
          <dt>Phone</dt>
          <dd>${c.phone || '-'}</dd>
          <dt>Status</dt>
          <dd>${activeStatus(c.is_active)}</dd>
          <dt>Notes</dt>
          <dd class="pre">${c.notes || '-'}</dd>
          <dt>Created</dt>
          <dd>${moment(c.created_at)}</dd>
          <dt>Updated</dt>
          <dd>${moment(c.updated_at)}</dd>
        </dl>
      </section>
      <section aria-labelledby="licenses-heading">
        <h2 id="licenses-heading">Licenses (${o.licenses.length})</h2>
        ${
          o.licenses.length > 0
            ? licenseTable(c, o.licenses)
            : html`<p class="empty">
                No licenses
                yet.${admin ? html` <a href="${hrefWith('/admin/licenses/new', { customer_id: c.id })}">Create one for this customer</a>` : ''}
              </p>`
        }
        ${o.licenses.length > 0 ? html`<p><a href="${hrefWith('/admin/licenses', { customer_id: c.id })}">Filter the license list by this customer</a></p>` : ''}
      </section>`,
  });
}
