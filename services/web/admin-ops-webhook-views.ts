/**
 * The Webhooks pages: the endpoint list (filtered by state and URL, a page at a time), the form that
 * creates or edits an endpoint (URL, subscriptions, active), the page of one endpoint with its actions
 * (test event, secret rotation, deletion) and its delivery log (admin-ops-webhook-log.ts), and the page
 * that shows a signing secret the one time it exists in clear.
 */
import { DELIVERABLE_EVENTS, EVENT_GROUPS } from '../webhook/subscriptions.ts';
import type { WebhookAnswer } from '../webhook/contract.ts';
import { hrefWith, secretOnce } from './admin-ops-common.ts';
import {
  inputField,
  linkButton,
  listPager,
  listTable,
  postButton,
  selectField,
  type FormErrors,
  when,
} from './components.ts';
import { attrs, html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const WEBHOOK_STATES = ['active', 'disabled'] as const;

export interface WebhookListQuery {
  q: string;
  state: (typeof WEBHOOK_STATES)[number] | '';
  page: number;
}

export interface WebhookListAnswer {
  webhooks: WebhookAnswer[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

/** What the endpoint form shows: the values typed (or stored) and the errors of a refused save. */
export interface WebhookFormState {
  url: string;
  events: string[];
  active: boolean;
  errors: FormErrors;
}

const GROUP_LABELS: Record<string, string> = {
  license_activation: 'License activation',
  license_expiration: 'License expiration',
  suspicious_activity: 'Suspicious activity',
  usage_threshold: 'Usage threshold alerts',
};

export function listHref(query: WebhookListQuery, change: Partial<WebhookListQuery> = {}): string {
  const q = { ...query, ...change };
  return hrefWith('/admin/webhooks', { q: q.q, state: q.state, page: q.page });
}

export function stateText(w: WebhookAnswer): Html {
  if (w.active) return html`<span class="status status-ok">Active</span>`;
  const why = w.disabled_by === 'delivery_failure' ? 'deliveries kept failing' : (w.disabled_reason ?? 'disabled');
  return html`<span class="status status-off">Disabled</span>
    <span class="muted">(${why}${w.disabled_at ? html`, since ${when(w.disabled_at)}` : ''})</span>`;
}

function filters(query: WebhookListQuery): Html {
  return html`<form class="filters" method="get" action="/admin/webhooks" role="search" aria-label="Filter webhooks">
    ${inputField({ form: 'filter', name: 'q', label: 'URL contains', type: 'search', value: query.q, maxlength: 100 })}
    ${selectField({
      form: 'filter',
      name: 'state',
      label: 'State',
      value: query.state,
      options: [
        { value: '', label: 'All' },
        { value: 'active', label: 'Active' },
        { value: 'disabled', label: 'Disabled' },
      ],
    })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/webhooks">Clear</a>
    </div>
  </form>`;
}

export function webhookListPage(options: {
  viewer: Viewer;
  query: WebhookListQuery;
  answer: WebhookListAnswer;
  notice: string | null;
}): Html {
  const { viewer, query, answer } = options;
  const admin = viewer.role === 'admin';
  const filtered = Boolean(query.q || query.state);
  const empty = filtered
    ? html`<p class="empty">No webhooks match these filters. <a href="/admin/webhooks">Clear the filters</a></p>`
    : html`<p class="empty">
        No webhook endpoints
        yet.${admin ? html` <a href="/admin/webhooks/new">Create one</a> to be told of activations, expiries and anomalies as they happen.` : ''}
      </p>`;
  const table = listTable({
    caption: 'Webhook endpoints',
    columns: ['Endpoint', 'Events', 'State', 'Created'],
    rows: answer.webhooks.map(
      w =>
        html`<tr>
          <th scope="row"><a href="/admin/webhooks/${w.id}">${w.url}</a></th>
          <td>${w.events.join(', ')}</td>
          <td>${stateText(w)}</td>
          <td>${when(w.created_at)}</td>
        </tr>`,
    ),
  });
  return layout({
    title: 'Webhooks',
    viewer,
    area: 'webhooks',
    notice: options.notice,
    action: admin ? linkButton('/admin/webhooks/new', 'New webhook') : null,
    body: html`${filters(query)}
      <section aria-label="Results">
        ${answer.webhooks.length > 0 ? table : empty}
        ${listPager(answer.pagination, ['webhook', 'webhooks'], page => listHref(query, { page }))}
      </section>`,
  });
}

function checkbox(name: string, value: string, label: Html | string, checked: boolean, id: string): Html {
  return html`<label class="check" for="${id}"
    ><input type="checkbox" ${attrs({ id, name, value, checked })} /> ${label}</label
  >`;
}

/** The subscriptions as checkboxes: everything, the reference's four groups, or single events. */
function eventsField(state: WebhookFormState): Html {
  const error = state.errors.events;
  const chosen = new Set(state.events);
  return html`<fieldset
    class="field events${error ? ' has-error' : ''}"
    ${attrs({ 'aria-describedby': error ? 'events-error' : null })}
  >
    <legend>Events <span class="required" aria-hidden="true">*</span></legend>
    <p class="hint">Choose at least one. "Every event" also covers events added in later versions.</p>
    ${checkbox('events', '*', html`<strong>Every event</strong>`, chosen.has('*'), 'events-all')}
    <p class="check-group">Groups</p>
    ${Object.entries(EVENT_GROUPS).map(([group, events]) =>
      checkbox(
        'events',
        group,
        html`${GROUP_LABELS[group] ?? group} <span class="muted">(${events.join(', ')})</span>`,
        chosen.has(group),
        `events-${group}`,
      ),
    )}
    <p class="check-group">Single events</p>
    ${DELIVERABLE_EVENTS.map(e => checkbox('events', e, e, chosen.has(e), `events-${e.replace(/\./g, '-')}`))}
    ${error ? html`<p class="field-error" id="events-error">${error}</p>` : ''}
  </fieldset>`;
}

export function webhookForm(options: {
  action: string;
  submit: string;
  state: WebhookFormState;
  csrf: string;
  withActive: boolean;
}): Html {
  const { state } = options;
  return html`<form class="card webhook-form" method="post" action="${options.action}">
    ${csrfField(options.csrf)}
    ${inputField({
      name: 'url',
      label: 'Endpoint URL',
      type: 'url',
      value: state.url,
      required: true,
      maxlength: 2048,
      hint: 'Where the events are POSTed, signed with the endpoint secret (Standard Webhooks).',
      errors: state.errors,
    })}
    ${eventsField(state)}
    ${
      options.withActive
        ? html`<input type="hidden" name="active_shown" value="1" />
            ${checkbox('active', 'yes', 'Active: deliver events to this endpoint', state.active, 'active')}`
        : ''
    }
    <div class="form-actions"><button type="submit" class="button primary">${options.submit}</button></div>
  </form>`;
}

export function newWebhookPage(viewer: Viewer, state: WebhookFormState, alert: string | null): Html {
  return layout({
    title: 'New webhook',
    viewer,
    area: 'webhooks',
    alert,
    body: html`<p class="breadcrumb"><a href="/admin/webhooks">Webhooks</a></p>
      ${webhookForm({ action: '/admin/webhooks/new', submit: 'Create webhook', state, csrf: viewer.csrf, withActive: false })}`,
  });
}

/** The one page that shows a signing secret: after creation, or after a rotation. */
export function secretPage(viewer: Viewer, webhook: WebhookAnswer, secret: string, rotated: boolean): Html {
  return layout({
    title: rotated ? 'New signing secret' : 'Webhook created',
    viewer,
    area: 'webhooks',
    scripts: ['copy.js'],
    notice: rotated ? 'The signing secret was rotated.' : 'The webhook endpoint was created.',
    body: html`<div class="card">
      <p>Endpoint: <a href="/admin/webhooks/${webhook.id}">${webhook.url}</a></p>
      ${secretOnce({
        id: 'webhook-secret',
        label: 'Signing secret',
        value: secret,
        warning: rotated
          ? 'Copy it into the receiving application now: it cannot be shown again. The previous secret keeps signing beside this one for 24 hours, so the receiver can switch without missing a delivery.'
          : 'Copy it into the receiving application now: it cannot be shown again. The receiver checks each delivery\u2019s signature with it.',
      })}
      <p><a class="button secondary" href="/admin/webhooks/${webhook.id}">Done: go to the endpoint</a></p>
    </div>`,
  });
}

/** Details of an endpoint, its actions (admin) and its settings form (admin) or a read-only view. */
export function endpointSummary(viewer: Viewer, w: WebhookAnswer, form: WebhookFormState): Html {
  const admin = viewer.role === 'admin';
  const details = html`<dl class="card details">
    <dt>URL</dt>
    <dd>${w.url}</dd>
    <dt>Events</dt>
    <dd>
      ${w.events.join(', ')}${w.events.join() !== w.event_names.join() ? html`<br /><span class="muted">= ${w.event_names.join(', ')}</span>` : ''}
    </dd>
    <dt>State</dt>
    <dd>${stateText(w)}</dd>
    <dt>Secret</dt>
    <dd>
      ${w.previous_secret_expires_at ? `Rotated: the previous secret still signs until ${when(w.previous_secret_expires_at)}.` : 'Set (shown only when created or rotated).'}
    </dd>
    <dt>Created</dt>
    <dd>${when(w.created_at)}</dd>
    <dt>Updated</dt>
    <dd>${when(w.updated_at)}</dd>
  </dl>`;
  if (!admin) return details;
  return html`${details}
    <div class="actions-row">
      ${postButton({ action: `/admin/webhooks/${w.id}/test`, label: 'Send a test event', csrf: viewer.csrf, kind: 'primary' })}
      ${postButton({ action: `/admin/webhooks/${w.id}/rotate`, label: 'Rotate the secret', csrf: viewer.csrf })}
      ${postButton({ action: `/admin/webhooks/${w.id}/delete`, label: 'Delete this webhook', csrf: viewer.csrf, kind: 'danger' })}
    </div>
    <h2>Settings</h2>
    ${webhookForm({ action: `/admin/webhooks/${w.id}/update`, submit: 'Save changes', state: form, csrf: viewer.csrf, withActive: true })}`;
}

export function formStateOf(w: WebhookAnswer): WebhookFormState {
  return { url: w.url, events: [...w.events], active: w.active, errors: {} };
}
