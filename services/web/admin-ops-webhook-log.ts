/**
 * The delivery log of one endpoint, on its page: each delivery with its state and, behind a
 * disclosure, every attempt (time, status code, duration, response excerpt, error), filtered by state
 * and paged on the server, with a redeliver button for admins.
 */
import { DELIVERY_STATES } from '../../models/webhook-delivery.model.ts';
import type { DeliveryAnswer, DeliveryAttemptAnswer, WebhookAnswer } from '../webhook/contract.ts';
import { hrefWith } from './admin-ops-common.ts';
import { pager, postButton, selectField, when } from './components.ts';
import { html, type Html } from './html.ts';
import type { Viewer } from './layout.ts';

export interface DeliveryQuery {
  state: (typeof DELIVERY_STATES)[number] | '';
  page: number;
}

export interface DeliveryListAnswer {
  deliveries: DeliveryAnswer[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

const STATE_LABELS: Record<string, string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failing: 'Failing (retrying)',
  failed: 'Failed',
};

export function endpointHref(id: number, query: DeliveryQuery, change: Partial<DeliveryQuery> = {}): string {
  const q = { ...query, ...change };
  return hrefWith(`/admin/webhooks/${id}`, { state: q.state, page: q.page });
}

function attemptOutcome(a: DeliveryAttemptAnswer): string {
  if (a.status_code !== null) return `HTTP ${a.status_code}`;
  return 'No answer';
}

function attempts(d: DeliveryAnswer): Html {
  if (d.attempts.length === 0) return html`<p class="muted">No attempt yet.</p>`;
  return html`<div class="table-wrap">
    <table class="list compact">
      <caption class="visually-hidden">
        Attempts of delivery ${d.id}
      </caption>
      <thead>
        <tr>
          <th scope="col">Attempt</th>
          <th scope="col">At</th>
          <th scope="col">Status</th>
          <th scope="col" class="number">Duration</th>
          <th scope="col">Response excerpt or error</th>
        </tr>
      </thead>
      <tbody>
        ${d.attempts.map(
          a =>
            html`<tr>
              <th scope="row">${a.number}</th>
              <td>${when(a.at)}</td>
              <td>${attemptOutcome(a)}</td>
              <td class="number">${a.duration_ms} ms</td>
              <td>
                ${a.error ? html`<p class="field-error">${a.error}</p>` : ''}
                ${a.response_excerpt ? html`<pre class="excerpt">${a.response_excerpt}</pre>` : a.error ? '' : html`<span class="muted">(empty)</span>`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function filters(id: number, query: DeliveryQuery): Html {
  return html`<form
    class="filters"
    method="get"
    action="/admin/webhooks/${id}"
    role="search"
    aria-label="Filter deliveries"
  >
    ${selectField({
      form: 'log',
      name: 'state',
      label: 'Delivery state',
      value: query.state,
      options: [{ value: '', label: 'All' }, ...DELIVERY_STATES.map(s => ({ value: s, label: STATE_LABELS[s] ?? s }))],
    })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/webhooks/${id}#deliveries">Clear</a>
    </div>
  </form>`;
}

export function deliveryLog(options: {
  viewer: Viewer;
  webhook: WebhookAnswer;
  query: DeliveryQuery;
  answer: DeliveryListAnswer;
}): Html {
  const { viewer, webhook, query, answer } = options;
  const admin = viewer.role === 'admin';
  const { pagination } = answer;
  const rows = answer.deliveries.map(d => {
    const last = d.attempts[d.attempts.length - 1];
    return html`<li class="delivery" id="delivery-${d.id}">
      <div class="delivery-head">
        <strong>#${d.id} ${d.event}</strong>
        <span class="status status-${d.state}">${STATE_LABELS[d.state] ?? d.state}</span>
        <span class="muted"
          >${d.attempt_count}
          ${d.attempt_count === 1 ? 'attempt' : 'attempts'}${last ? html`, last ${attemptOutcome(last)}` : ''}; created
          ${when(d.created_at)}${d.delivered_at ? html`; delivered ${when(d.delivered_at)}` : ''}${d.next_attempt_at && d.state !== 'delivered' ? html`; next attempt ${when(d.next_attempt_at)}` : ''}</span
        >
        ${
          admin
            ? postButton({
                action: `/admin/webhooks/${webhook.id}/deliveries/${d.id}/redeliver`,
                label: 'Redeliver',
                csrf: viewer.csrf,
              })
            : ''
        }
      </div>
      <details>
        <summary>Attempts of delivery #${d.id}</summary>
        ${attempts(d)}
      </details>
    </li>`;
  });
  const filtered = query.state !== '';
  const empty = filtered
    ? html`<p class="empty">
        No deliveries in this state. <a href="/admin/webhooks/${webhook.id}#deliveries">Show all deliveries</a>
      </p>`
    : html`<p class="empty">No deliveries yet.${admin ? ' Send a test event to see one here.' : ''}</p>`;
  return html`<section aria-labelledby="deliveries" class="deliveries">
    <h2 id="deliveries">Delivery log</h2>
    ${filters(webhook.id, query)}
    ${
      rows.length > 0
        ? html`<ul class="delivery-list">
            ${rows}
          </ul>`
        : empty
    }
    ${
      pagination.total > 0
        ? pager({
            page: pagination.page,
            pages: pagination.pages,
            total: pagination.total,
            noun: pagination.total === 1 ? 'delivery' : 'deliveries',
            hrefFor: page => endpointHref(webhook.id, query, { page }),
          })
        : ''
    }
  </section>`;
}
