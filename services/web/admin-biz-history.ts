/**
 * A license's history as a person reads it: each recorded fact (services/monitoring/history.ts) as
 * one sentence, newest first, a page at a time.
 */
import type { LicenseEventAnswer, LicenseHistoryAnswer } from '../monitoring/history.ts';
import { pager } from './components.ts';
import { hrefWith } from './admin-biz-forms.ts';
import { moment } from './admin-biz-views.ts';
import { html, type Html, type Renderable } from './html.ts';

function num(value: unknown): string {
  return typeof value === 'number' ? String(value) : '?';
}

function device(e: LicenseEventAnswer): string {
  return e.activation_id !== null ? `device ${e.activation_id}` : 'a device';
}

function resources(e: LicenseEventAnswer): string {
  const ids = Array.isArray(e.details.resource_ids) ? e.details.resource_ids : [];
  const total = typeof e.details.resource_ids_count === 'number' ? e.details.resource_ids_count : ids.length;
  return `${total} ${total === 1 ? 'resource' : 'resources'} (${ids.join(', ')}${total > ids.length ? ', ...' : ''})`;
}

/** One fact in words. */
export function sentence(e: LicenseEventAnswer): Renderable {
  const d = e.details;
  switch (e.event) {
    case 'license.created':
      return 'License created.';
    case 'license.updated':
      return `License changed (now ${d.is_active === false ? 'inactive' : 'active'}).`;
    case 'license.deleted':
      return 'License deleted.';
    case 'license.activated':
      return `Activated on ${device(e)}.`;
    case 'license.expired':
      return `Expired (valid until ${typeof d.valid_until === 'string' ? d.valid_until : '?'}).`;
    case 'license.deactivated':
      return `Seat of ${device(e)} freed.`;
    case 'license.usage_threshold':
      return `Reached ${num(d.threshold)}% of its ${d.metric === 'users' ? 'concurrent users' : 'devices'} (${num(d.used)} of ${num(d.limit)}).`;
    case 'device.registered':
      return html`Device ${num(e.activation_id)} registered (hardware
        <code>${typeof d.hardware_hash === 'string' ? d.hardware_hash : '?'}</code>).`;
    case 'device.deactivated':
      return `Device ${num(e.activation_id)} deactivated by an admin.`;
    case 'device.heartbeat.excessive':
      return `Too many heartbeats from ${device(e)}: ${num(d.hits)} in ${num(d.window_seconds)} s (limit ${num(d.limit)}).`;
    case 'device.heartbeat.dead':
      return `${device(e).replace(/^d/, 'D')} fell silent (last sign of life ${typeof d.last_heartbeat === 'string' ? d.last_heartbeat : 'unknown'}).`;
    case 'resource.allocated':
      return `Allocated ${resources(e)}.`;
    case 'resource.released':
      return `Released ${resources(e)}.`;
    case 'anomaly.detected':
      return html`Anomaly detected: ${typeof d.type === 'string' ? d.type.replace(/_/g, ' ') : 'unknown'} (anomaly
      ${num(d.anomaly_id)}).`;
  }
}

export function historySection(licenseId: number, history: LicenseHistoryAnswer | null): Html {
  if (!history) {
    return html`<p class="empty">The history cannot be read right now (the monitoring service does not answer).</p>`;
  }
  if (history.events.length === 0) return html`<p class="empty">Nothing recorded yet.</p>`;
  const p = history.pagination;
  return html`<ol class="history">
      ${history.events.map(e => html`<li>${moment(e.at)} <span>${sentence(e)}</span></li>`)}
    </ol>
    ${pager({
      page: p.page,
      pages: p.pages,
      total: p.total,
      noun: p.total === 1 ? 'event' : 'events',
      hrefFor: page =>
        `${hrefWith(`/admin/licenses/${licenseId}`, { history_page: page > 1 ? page : undefined })}#history`,
    })}`;
}
