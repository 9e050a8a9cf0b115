/**
 * The Monitoring page (open alerts; anomalies filtered by type, state and license, a page at a time,
 * with their resolution for admins) and the pieces the dashboard shows of the same data.
 */
import { ANOMALY_TYPES, type AnomalyType } from '../../models/anomaly.model.ts';
import type { AlertAnswer, AnomalyAnswer, AnomalyStatsAnswer } from '../monitoring/contract.ts';
import { hrefWith, unavailable } from './admin-ops-common.ts';
import { inputField, listPager, listTable, selectField, when } from './components.ts';
import { html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const ANOMALY_LABELS: Record<AnomalyType, string> = {
  unusual_activation_pattern: 'Unusual activation pattern',
  excessive_heartbeats: 'Excessive heartbeats',
  license_hopping: 'License hopping',
};

const ALERT_LABELS: Record<string, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

export const RESOLVED_STATES = ['unresolved', 'resolved', 'all'] as const;
export type ResolvedState = (typeof RESOLVED_STATES)[number];

export interface AnomalyQuery {
  type: AnomalyType | '';
  state: ResolvedState;
  license_id: number | undefined;
  page: number;
}

export interface AnomalyListAnswer {
  anomalies: AnomalyAnswer[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

export function anomalyHref(query: AnomalyQuery, change: Partial<AnomalyQuery> = {}): string {
  const q = { ...query, ...change };
  return hrefWith('/admin/monitoring', {
    type: q.type,
    state: q.state === 'unresolved' ? '' : q.state,
    license_id: q.license_id,
    page: q.page,
  });
}

export function alertList(alerts: readonly AlertAnswer[]): Html {
  if (alerts.length === 0) return html`<p class="empty">No open alerts: everything checked is working.</p>`;
  return html`<ul class="alerts">
    ${alerts.map(
      a =>
        html`<li class="alert-item alert-${a.type}">
          <span class="badge">${ALERT_LABELS[a.type] ?? a.type}</span>
          <span class="alert-message">${a.message}</span>
          <span class="muted">since ${when(a.started_at)}</span>
        </li>`,
    )}
  </ul>`;
}

/** The evidence of a detection in words: its figures as `name: value`, lists shortened. */
export function evidenceText(evidence: Record<string, unknown>): string {
  return Object.entries(evidence)
    .map(([name, value]) => {
      const shown = Array.isArray(value)
        ? value.slice(0, 10).join(', ') + (value.length > 10 ? ', ...' : '')
        : typeof value === 'object' && value !== null
          ? JSON.stringify(value).slice(0, 200)
          : String(value);
      return `${name.replace(/_/g, ' ')}: ${shown}`;
    })
    .join('; ');
}

function stateCell(a: AnomalyAnswer): Html {
  if (!a.resolved) return html`<span class="status status-open">Unresolved</span>`;
  return html`<span class="status">Resolved</span>
    <span class="muted"
      >by ${a.resolved_by?.username ?? 'unknown'}${a.resolved_at ? html` on ${when(a.resolved_at)}` : ''}</span
    >${a.resolution_note ? html`<br /><span class="pre">${a.resolution_note}</span>` : ''}`;
}

function resolveForm(a: AnomalyAnswer, csrf: string, back: string): Html {
  return html`<form class="resolve-form" method="post" action="/admin/monitoring/anomalies/${a.id}/resolve">
    ${csrfField(csrf)}
    <input type="hidden" name="back" value="${back}" />
    <label class="visually-hidden" for="note-${a.id}">Resolution note for anomaly ${a.id}</label>
    <input id="note-${a.id}" name="note" type="text" maxlength="500" placeholder="Note (optional)" />
    <button type="submit" class="button secondary">Resolve</button>
  </form>`;
}

/** Anomalies as a table; `csrf` and `back` given: admins' resolve forms on unresolved rows. */
export function anomalyTable(
  anomalies: readonly AnomalyAnswer[],
  options: { caption: string; admin?: { csrf: string; back: string } },
): Html {
  const admin = options.admin;
  return listTable({
    caption: options.caption,
    columns: [
      'Anomaly',
      'License',
      'Detected',
      html`<th scope="col" class="number">Seen</th>`,
      'Evidence',
      'State',
      admin ? 'Action' : null,
    ],
    rows: anomalies.map(
      a =>
        html`<tr>
          <th scope="row">#${a.id} ${ANOMALY_LABELS[a.type] ?? a.type}</th>
          <td>
            <a href="/admin/licenses/${a.license_id}">License ${a.license_id}</a>${
              a.customer_id !== null
                ? html`<br /><a class="muted" href="/admin/customers/${a.customer_id}">Customer ${a.customer_id}</a>`
                : ''
            }
          </td>
          <td>${when(a.detected_at)}<br /><span class="muted">last ${when(a.last_seen_at)}</span></td>
          <td class="number">${a.occurrences}</td>
          <td class="evidence">${evidenceText(a.evidence)}</td>
          <td>${stateCell(a)}</td>
          ${admin ? html`<td>${a.resolved ? '' : resolveForm(a, admin.csrf, admin.back)}</td>` : ''}
        </tr>`,
    ),
  });
}

function filters(query: AnomalyQuery): Html {
  return html`<form class="filters" method="get" action="/admin/monitoring" role="search" aria-label="Filter anomalies">
    ${selectField({
      form: 'filter',
      name: 'type',
      label: 'Type',
      value: query.type,
      options: [{ value: '', label: 'All types' }, ...ANOMALY_TYPES.map(t => ({ value: t, label: ANOMALY_LABELS[t] }))],
    })}
    ${selectField({
      form: 'filter',
      name: 'state',
      label: 'State',
      value: query.state,
      options: [
        { value: 'unresolved', label: 'Unresolved' },
        { value: 'resolved', label: 'Resolved' },
        { value: 'all', label: 'All' },
      ],
    })}
    ${inputField({
      form: 'filter',
      name: 'license_id',
      label: 'License id',
      type: 'text',
      value: query.license_id === undefined ? '' : String(query.license_id),
      maxlength: 15,
    })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/monitoring">Clear</a>
    </div>
  </form>`;
}

function statsCards(stats: AnomalyStatsAnswer): Html {
  return html`<ul class="stats" aria-label="Anomaly figures">
    <li><span class="figure">${stats.unresolved}</span> unresolved</li>
    <li><span class="figure">${stats.total_anomalies}</span> detected in all</li>
    ${ANOMALY_TYPES.map(t => html`<li><span class="figure">${stats.by_type[t] ?? 0}</span> ${ANOMALY_LABELS[t].toLowerCase()}</li>`)}
  </ul>`;
}

export function monitoringPage(options: {
  viewer: Viewer;
  query: AnomalyQuery;
  alerts: AlertAnswer[] | null;
  stats: AnomalyStatsAnswer | null;
  list: AnomalyListAnswer;
  notice: string | null;
  alert?: string | null;
}): Html {
  const { viewer, query, list } = options;
  const admin = viewer.role === 'admin';
  const filtered = query.type !== '' || query.state !== 'unresolved' || query.license_id !== undefined;
  const back = anomalyHref(query);
  const empty = filtered
    ? html`<p class="empty">No anomalies match these filters. <a href="/admin/monitoring">Clear the filters</a></p>`
    : html`<p class="empty">No unresolved anomalies: the detectors found nothing that needs a look.</p>`;
  return layout({
    title: 'Monitoring',
    viewer,
    area: 'monitoring',
    notice: options.notice,
    alert: options.alert ?? null,
    body: html`<section aria-labelledby="alerts-heading">
        <h2 id="alerts-heading">Open alerts</h2>
        ${options.alerts ? alertList(options.alerts) : unavailable('The alerts')}
      </section>
      <section aria-labelledby="anomalies-heading">
        <h2 id="anomalies-heading">Anomalies</h2>
        ${options.stats ? statsCards(options.stats) : ''} ${filters(query)}
        ${
          list.anomalies.length > 0
            ? anomalyTable(list.anomalies, {
                caption: 'Anomalies, newest first',
                ...(admin ? { admin: { csrf: viewer.csrf, back } } : {}),
              })
            : empty
        }
        ${listPager(list.pagination, ['anomaly', 'anomalies'], page => anomalyHref(query, { page }))}
      </section>`,
  });
}
