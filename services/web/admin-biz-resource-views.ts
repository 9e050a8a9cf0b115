/**
 * The resource pages' HTML: the pools by type with their availability (a <meter> per type, with its
 * figures in words, so no chart library and nothing only visual), the filtered list, the new-resource
 * form, and the page that allocates a free resource to a license chosen by its key.
 */
import { RESOURCE_STATUSES } from '../../models/resource.model.ts';
import type { ResourceAnswer } from '../resource/contract.ts';
import type { pagination as paginationOf } from '../../lib/core/values.ts';
import { inputField, linkButton, pager, postButton, selectField, textareaField } from './components.ts';
import { hrefWith, type FormState } from './admin-biz-forms.ts';
import type { LicenseListAnswer } from './admin-biz-license-views.ts';
import { dayText, emptyState, moment, options } from './admin-biz-views.ts';
import { html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const RESOURCE_FORM_FIELDS = ['type', 'identifier', 'notes'] as const;
export const RESOURCE_FIELD_TEXTS: Record<string, string> = {
  type: 'Enter a type in lower case: a letter, then letters, digits, - or _ (like server), at most 32.',
  identifier: 'Enter an identifier: visible characters, single spaces between words, at most 128.',
  notes: 'Enter at most 2000 characters.',
};
const STATUS_LABELS: Record<string, string> = { available: 'Available', allocated: 'Allocated' };

export interface ResourceListQuery {
  q: string;
  type: string;
  status: '' | (typeof RESOURCE_STATUSES)[number];
  license_id: number | undefined;
  page: number;
}

export interface ResourceStats {
  total: number;
  allocated: number;
  available: number;
  by_type: Record<string, { total: number; allocated: number; available: number }>;
}

export interface ResourceListAnswer {
  resources: ResourceAnswer[];
  pagination: ReturnType<typeof paginationOf>;
}

export function resourceListHref(query: ResourceListQuery, change: Partial<ResourceListQuery> = {}): string {
  const q = { ...query, ...change };
  return hrefWith('/admin/resources', {
    q: q.q,
    type: q.type,
    status: q.status,
    license_id: q.license_id,
    page: q.page > 1 ? q.page : undefined,
  });
}

function pools(stats: ResourceStats): Html {
  const types = Object.entries(stats.by_type);
  if (types.length === 0) return html`<p class="empty">The pool is empty.</p>`;
  return html`<ul class="stats" aria-label="Resource figures">
      <li><span class="figure">${stats.total}</span> resources</li>
      <li><span class="figure">${stats.available}</span> available</li>
      <li><span class="figure">${stats.allocated}</span> allocated</li>
    </ul>
    <div class="table-wrap">
      <table class="list pools">
        <caption class="visually-hidden">
          Availability of each type of resource
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Total</th>
            <th scope="col">Allocated</th>
            <th scope="col">Available</th>
            <th scope="col">Availability</th>
          </tr>
        </thead>
        <tbody>
          ${types.map(
            ([type, s]) =>
              html`<tr>
                <th scope="row"><a href="${hrefWith('/admin/resources', { type })}">${type}</a></th>
                <td>${s.total}</td>
                <td>${s.allocated}</td>
                <td>${s.available}</td>
                <td>
                  <meter
                    min="0"
                    max="${s.total}"
                    value="${s.available}"
                    aria-label="${type}: ${s.available} of ${s.total} available"
                  >
                    ${s.available} of ${s.total}
                  </meter>
                  ${s.total > 0 ? Math.round((s.available / s.total) * 100) : 0}% free
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

function filters(query: ResourceListQuery, types: string[]): Html {
  const typeOptions = [{ value: '', label: 'All types' }, ...types.map(t => ({ value: t, label: t }))];
  if (query.type && !types.includes(query.type)) typeOptions.push({ value: query.type, label: query.type });
  return html`<form class="filters" method="get" action="/admin/resources" role="search" aria-label="Filter resources">
    ${inputField({ form: 'filter', name: 'q', label: 'Search identifier', type: 'search', value: query.q, maxlength: 100 })}
    ${selectField({ form: 'filter', name: 'type', label: 'Type', value: query.type, options: typeOptions })}
    ${selectField({ form: 'filter', name: 'status', label: 'Status', value: query.status, options: options(RESOURCE_STATUSES, STATUS_LABELS, 'All statuses') })}
    ${inputField({ form: 'filter', name: 'license_id', label: 'Allocated to license (id)', type: 'number', value: query.license_id ? String(query.license_id) : '' })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/resources">Clear</a>
    </div>
  </form>`;
}

function row(r: ResourceAnswer, viewer: Viewer): Html {
  const admin = viewer.role === 'admin';
  return html`<tr>
    <th scope="row">${r.identifier}</th>
    <td>${r.type}</td>
    <td><span class="status status-${r.status}">${STATUS_LABELS[r.status] ?? r.status}</span></td>
    <td>
      ${r.license_id !== null ? html`<a href="/admin/licenses/${r.license_id}">License ${r.license_id}</a>` : '-'}
    </td>
    <td>${moment(r.allocated_at)}</td>
    <td class="pre">${r.notes || '-'}</td>
    ${
      admin
        ? html`<td class="row-actions">
            ${
              r.license_id === null
                ? html`${linkButton(`/admin/resources/${r.id}/allocate`, `Allocate ${r.identifier}`, 'secondary')}
                  ${postButton({ action: `/admin/resources/${r.id}/delete`, label: `Delete ${r.identifier}`, csrf: viewer.csrf, kind: 'danger' })}`
                : postButton({
                    action: `/admin/resources/${r.id}/release`,
                    label: `Release ${r.identifier}`,
                    csrf: viewer.csrf,
                  })
            }
          </td>`
        : ''
    }
  </tr>`;
}

function createForm(viewer: Viewer, state: FormState): Html {
  const { values: v, errors } = state;
  return html`<form class="card" method="post" action="/admin/resources/new" novalidate>
    <h2>Add a resource to the pool</h2>
    ${csrfField(viewer.csrf)}
    <div class="field-row">
      ${inputField({ form: 'new', name: 'type', label: 'Type', value: v.type, required: true, maxlength: 32, errors, hint: 'Lower case, like server or workstation' })}
      ${inputField({ form: 'new', name: 'identifier', label: 'Identifier', value: v.identifier, required: true, maxlength: 128, errors, hint: 'Unique, like SRV-001' })}
    </div>
    ${textareaField({ form: 'new', name: 'notes', label: 'Notes', value: v.notes, maxlength: 2000, rows: 2, errors })}
    <button type="submit" class="button primary">Add resource</button>
  </form>`;
}

export function resourceListPage(o: {
  viewer: Viewer;
  query: ResourceListQuery;
  stats: ResourceStats;
  answer: ResourceListAnswer;
  form: FormState;
  notice: string | null;
  alert: string | null;
}): Html {
  const { viewer, query, answer } = o;
  const admin = viewer.role === 'admin';
  const filtered = Boolean(query.q || query.type || query.status || query.license_id);
  const p = answer.pagination;
  const table = html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Resources, in the order they were added
      </caption>
      <thead>
        <tr>
          <th scope="col">Identifier</th>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">License</th>
          <th scope="col">Allocated</th>
          <th scope="col">Notes</th>
          ${admin ? html`<th scope="col">Actions</th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${answer.resources.map(r => row(r, viewer))}
      </tbody>
    </table>
  </div>`;
  return layout({
    title: 'Resources',
    viewer,
    area: 'resources',
    notice: o.notice,
    alert: o.alert,
    body: html`<section aria-labelledby="pools-heading">
        <h2 id="pools-heading">Pools by type</h2>
        ${pools(o.stats)}
      </section>
      <section aria-labelledby="list-heading">
        <h2 id="list-heading">All resources</h2>
        ${filters(query, Object.keys(o.stats.by_type))}
        ${answer.resources.length > 0 ? table : emptyState(filtered, 'resources', '/admin/resources', admin ? 'Add the first one below.' : '')}
        ${
          p.total > 0
            ? pager({
                page: p.page,
                pages: p.pages,
                total: p.total,
                noun: p.total === 1 ? 'resource' : 'resources',
                hrefFor: page => resourceListHref(query, { page }),
              })
            : ''
        }
      </section>
      ${admin ? createForm(viewer, o.form) : ''}`,
  });
}

/** Allocating one free resource: find the license by its key, choose it, allocate. */
export function allocatePage(o: {
  viewer: Viewer;
  resource: ResourceAnswer;
  q: string;
  licenses: LicenseListAnswer;
  alert: string | null;
}): Html {
  const { viewer, resource: r } = o;
  const choices = o.licenses.licenses.map(l => ({
    value: String(l.id),
    label: `${l.key} (${l.type}, ${l.status}, valid until ${dayText(l.valid_until)})`,
  }));
  return layout({
    title: `Allocate ${r.identifier}`,
    viewer,
    area: 'resources',
    alert: o.alert,
    body: html`<p class="breadcrumb"><a href="/admin/resources">All resources</a></p>
      <p>A ${r.type} resource, free now. It goes to one license, until it is released.</p>
      <form
        class="filters"
        method="get"
        action="/admin/resources/${r.id}/allocate"
        role="search"
        aria-label="Find a license"
      >
        ${inputField({ name: 'q', label: 'Find a license by key', type: 'search', value: o.q, maxlength: 100 })}
        <div class="filter-actions"><button type="submit" class="button secondary">Find</button></div>
      </form>
      ${
        choices.length > 0
          ? html`<form class="card" method="post" action="/admin/resources/${r.id}/allocate">
              ${csrfField(viewer.csrf)}
              ${selectField({ name: 'license_id', label: 'License', value: '', options: choices, required: true })}
              ${
                o.licenses.pagination.total > choices.length
                  ? html`<p class="hint">
                      The newest ${choices.length} of ${o.licenses.pagination.total} matching licenses are listed.
                    </p>`
                  : ''
              }
              <button type="submit" class="button primary">Allocate to this license</button>
            </form>`
          : html`<p class="empty">
              No license matches. <a href="/admin/resources/${r.id}/allocate">Show the newest</a>
            </p>`
      }`,
  });
}
