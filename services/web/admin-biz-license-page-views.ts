/**
 * A license's page: its details and quick edit, its devices (deactivate one, register one), its live
 * sessions, its allocated resources (release, allocate a free one) and its history. Viewers get the
 * same page without a single form.
 */
import type { LicenseActivationAnswer, LicenseListEntry } from '../license/contract.ts';
import type { LicenseSessionsAnswer } from '../license/sessions.actions.ts';
import type { LicenseHistoryAnswer } from '../monitoring/history.ts';
import type { ResourceAnswer } from '../resource/contract.ts';
import { inputField, postButton, selectField } from './components.ts';
import { hrefWith, type FormState } from './admin-biz-forms.ts';
import { historySection } from './admin-biz-history.ts';
import { quickEditFields, quickEditValues } from './admin-biz-license-views.ts';
import { activeStatus, dayText, licenseStatus, moment, typeLabel } from './admin-biz-views.ts';
import { html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export type LicenseDetail = LicenseListEntry & { customer_name: string | null };
export type DeviceRow = LicenseActivationAnswer & { app_version: string };
export interface AllocatedResource {
  id: number;
  type: string;
  identifier: string;
  allocated_at: string | null;
}

export interface LicensePageForms {
  quickEdit?: FormState;
  register?: FormState;
  allocate?: FormState;
}

export interface LicensePageData {
  license: LicenseDetail;
  devices: DeviceRow[];
  sessions: LicenseSessionsAnswer | null;
  resources: AllocatedResource[];
  /** Free resources an admin may allocate (none for a viewer). */
  free: ResourceAnswer[];
  history: LicenseHistoryAnswer | null;
}

function details(l: LicenseDetail): Html {
  return html`<dl class="card details">
    <dt>Customer</dt>
    <dd>
      ${l.customer_id !== null ? html`<a href="/admin/customers/${l.customer_id}">${l.customer_name ?? `Customer ${l.customer_id}`}</a>` : 'None'}
    </dd>
    <dt>Type</dt>
    <dd>${typeLabel(l.type)}</dd>
    <dt>Status</dt>
    <dd>${licenseStatus(l.status)}</dd>
    <dt>Valid from</dt>
    <dd>${dayText(l.valid_from, '-')}</dd>
    <dt>Valid until</dt>
    <dd>${dayText(l.valid_until)}</dd>
    <dt>Devices</dt>
    <dd>${l.current_activations} of ${l.max_activations}</dd>
    <dt>Concurrent users</dt>
    <dd>at most ${l.max_users}</dd>
    <dt>Notes</dt>
    <dd class="pre">${l.notes || '-'}</dd>
    <dt>Created</dt>
    <dd>${moment(l.created_at)}</dd>
    <dt>Updated</dt>
    <dd>${moment(l.updated_at)}</dd>
  </dl>`;
}

function deviceTable(d: LicensePageData, viewer: Viewer): Html {
  const admin = viewer.role === 'admin';
  const live = new Set((d.sessions?.sessions ?? []).map(s => s.activation_id));
  return html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Devices of ${d.license.key}
      </caption>
      <thead>
        <tr>
          <th scope="col">Machine</th>
          <th scope="col">Hardware</th>
          <th scope="col">App version</th>
          <th scope="col">Activated</th>
          <th scope="col">Last heartbeat</th>
          <th scope="col">Status</th>
          <th scope="col">Live session</th>
          ${admin ? html`<th scope="col">Actions</th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${d.devices.map(
          dev =>
            html`<tr id="device-${dev.id}">
              <th scope="row">${dev.machine_name || `Device ${dev.id}`}</th>
              <td><code class="hash">${dev.hardware_hash}</code></td>
              <td>${dev.app_version || '-'}</td>
              <td>${moment(dev.activated_at)}</td>
              <td>${moment(dev.last_heartbeat)}</td>
              <td>${activeStatus(dev.is_active)}</td>
              <td>${live.has(dev.id) ? 'Yes' : 'No'}</td>
              ${
                admin
                  ? html`<td class="row-actions">
                      ${
                        dev.is_active
                          ? postButton({
                              action: `/admin/licenses/${d.license.id}/devices/${dev.id}/deactivate`,
                              label: `Deactivate ${dev.machine_name || `device ${dev.id}`}`,
                              csrf: viewer.csrf,
                              kind: 'danger',
                            })
                          : ''
                      }
                    </td>`
                  : ''
              }
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function sessionsSection(d: LicensePageData): Html {
  const s = d.sessions;
  if (!s) return html`<p class="empty">The live sessions cannot be read right now.</p>`;
  const names = new Map(d.devices.map(dev => [dev.id, dev.machine_name || `Device ${dev.id}`]));
  return html`<p><span class="figure-inline">${s.count}</span> of ${s.max_users} concurrent users in use now.</p>
    ${
      s.sessions.length > 0
        ? html`<ul class="plain">
            ${s.sessions.map(
              x =>
                html`<li>
                  <a href="#device-${x.activation_id}">${names.get(x.activation_id) ?? `Device ${x.activation_id}`}</a>,
                  last seen ${moment(x.last_seen)}
                </li>`,
            )}
          </ul>`
        : ''
    }`;
}

function resourceSection(d: LicensePageData, viewer: Viewer, form: FormState): Html {
  const admin = viewer.role === 'admin';
  const id = d.license.id;
  const table = html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Resources allocated to ${d.license.key}
      </caption>
      <thead>
        <tr>
          <th scope="col">Identifier</th>
          <th scope="col">Type</th>
          <th scope="col">Allocated</th>
          ${admin ? html`<th scope="col">Actions</th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${d.resources.map(
          r =>
            html`<tr>
              <th scope="row">${r.identifier}</th>
              <td>${r.type}</td>
              <td>${moment(r.allocated_at)}</td>
              ${admin ? html`<td>${postButton({ action: `/admin/licenses/${id}/resources/${r.id}/release`, label: `Release ${r.identifier}`, csrf: viewer.csrf })}</td>` : ''}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
  const allocate = admin
    ? d.free.length > 0
      ? html`<form class="card" method="post" action="/admin/licenses/${id}/resources" novalidate>
          <h3>Allocate a resource</h3>
          ${csrfField(viewer.csrf)}
          ${selectField({
            form: 'allocate',
            name: 'resource_id',
            label: 'Free resource',
            value: form.values.resource_id,
            errors: form.errors,
            options: d.free.map(r => ({ value: String(r.id), label: `${r.identifier} (${r.type})` })),
          })}
          <button type="submit" class="button primary">Allocate</button>
        </form>`
      : html`<p class="muted">No free resource to allocate. <a href="/admin/resources">Add one to the pool</a></p>`
    : '';
  return html`${d.resources.length > 0 ? table : html`<p class="empty">No resources allocated.</p>`} ${allocate}`;
}

function registerForm(id: number, viewer: Viewer, state: FormState): Html {
  return html`<details class="card" ${Object.keys(state.errors).length > 0 ? html` open` : ''}>
    <summary>Register a device by hand</summary>
    <form method="post" action="/admin/licenses/${id}/devices" novalidate>
      ${csrfField(viewer.csrf)}
      <div class="field-row">
        ${inputField({ form: 'register', name: 'hardware_hash', label: 'Hardware id', value: state.values.hardware_hash, required: true, maxlength: 256, errors: state.errors })}
        ${inputField({ form: 'register', name: 'machine_name', label: 'Machine name', value: state.values.machine_name, maxlength: 255, errors: state.errors })}
      </div>
      <button type="submit" class="button primary">Register device</button>
    </form>
  </details>`;
}

export function licensePage(o: {
  viewer: Viewer;
  data: LicensePageData;
  forms: LicensePageForms;
  notice: string | null;
  alert: string | null;
}): Html {
  const { viewer, data } = o;
  const l = data.license;
  const admin = viewer.role === 'admin';
  const quick = o.forms.quickEdit ?? { values: quickEditValues(l), errors: {} };
  const actions = admin
    ? html`${postButton({ action: `/admin/licenses/${l.id}/toggle`, label: l.is_active ? 'Deactivate license' : 'Activate license', csrf: viewer.csrf, kind: l.is_active ? 'danger' : 'primary' })}
      ${postButton({ action: `/admin/licenses/${l.id}/delete`, label: 'Delete license', csrf: viewer.csrf, kind: 'danger' })}`
    : null;
  return layout({
    title: l.key,
    viewer,
    area: 'licenses',
    notice: o.notice,
    alert: o.alert,
    action: actions,
    body: html`<p class="breadcrumb"><a href="/admin/licenses">All licenses</a></p>
      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        ${details(l)}
        ${
          admin
            ? html`<form class="card" method="post" action="/admin/licenses/${l.id}/quick-edit" novalidate>
                <h3>Quick edit</h3>
                ${csrfField(viewer.csrf)} ${quickEditFields('quick', quick)}
                <button type="submit" class="button primary">Save changes</button>
              </form>`
            : ''
        }
      </section>
      <section id="devices" aria-labelledby="devices-heading">
        <h2 id="devices-heading">Devices (${l.current_activations} of ${l.max_activations} active)</h2>
        ${data.devices.length > 0 ? deviceTable(data, viewer) : html`<p class="empty">No device has activated this license yet.</p>`}
        ${admin ? registerForm(l.id, viewer, o.forms.register ?? { values: {}, errors: {} }) : ''}
      </section>
      <section id="sessions" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Live sessions</h2>
        ${sessionsSection(data)}
      </section>
      <section id="resources" aria-labelledby="resources-heading">
        <h2 id="resources-heading">Resources (${data.resources.length})</h2>
        ${resourceSection(data, viewer, o.forms.allocate ?? { values: {}, errors: {} })}
      </section>
      <section id="history" aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        ${historySection(l.id, data.history)}
      </section>
      <p><a href="${hrefWith('/admin/resources', { license_id: l.id })}">Resources of this license in the pool</a></p>`,
  });
}
