/**
 * The dashboard (`/admin/`): the live figures and open alerts (a part that refresh.js replaces every
 * 10 seconds with `/admin/live`, rendered by the same function), activations and verifications as
 * charts over 24 hours and 30 days, the newest unresolved anomalies, and the licenses near their
 * limits or expiring within 30 days.
 */
import type { FullUsageAnswer } from '../license/figures.actions.ts';
import type { LicenseListEntry } from '../license/contract.ts';
import type { AnomalyAnswer, LiveStatsAnswer, SeriesAnswer, SeriesPoint } from '../monitoring/contract.ts';
import { unavailable } from './admin-ops-common.ts';
import { barChart, type ChartPoint } from './admin-ops-charts.ts';
import { alertList, anomalyTable } from './admin-ops-monitoring-views.ts';
import { when } from './components.ts';
import { html, type Html } from './html.ts';
import { layout, type Viewer } from './layout.ts';

export const REFRESH_SECONDS = 10;

export interface LicenseRows {
  licenses: LicenseListEntry[];
  total: number;
}

export interface DashboardData {
  live: LiveStatsAnswer | null;
  series: SeriesAnswer | null;
  anomalies: { anomalies: AnomalyAnswer[]; total: number } | null;
  nearLimits: LicenseRows | null;
  fullUsers: FullUsageAnswer[] | null;
  expiring: LicenseRows | null;
  /** Customer names by id, for the license rows. */
  customers: ReadonlyMap<number, string>;
}

function figure(name: string, value: number | null, label: string): Html {
  const shown =
    value === null ? html`<span aria-hidden="true">-</span><span class="visually-hidden">unknown</span>` : value;
  return html`<li data-figure="${name}"><span class="figure">${shown}</span> ${label}</li>`;
}

/** The refreshing part: figures, open alerts and when they were read. */
export function liveFragment(live: LiveStatsAnswer | null): Html {
  if (!live) {
    return html`${unavailable('The live figures')}
      <p class="muted refresh-note" data-refresh-status>Trying again every ${REFRESH_SECONDS} seconds.</p>`;
  }
  const m = live.metrics;
  return html`<ul class="stats" aria-label="Live figures">
      ${figure('active_licenses', m.active_licenses, 'active licenses')}
      ${figure('total_activations', m.total_activations, 'active activations')}
      ${figure('active_sessions', m.active_sessions, 'live sessions')}
      ${figure('heartbeats_per_minute', m.heartbeats_per_minute, 'heartbeats per minute')}
    </ul>
    <h3>Open alerts (${live.alerts.length})</h3>
    ${alertList(live.alerts)}
    <p class="muted refresh-note" data-refresh-status>
      Figures of ${live.timestamp.slice(0, 10)} ${live.timestamp.slice(11, 19)} UTC, refreshed every ${REFRESH_SECONDS}
      seconds.
    </p>`;
}

function hourly(points: SeriesPoint[], pick: (p: SeriesPoint) => number): ChartPoint[] {
  return points.map(p => ({ label: when(p.start), short: p.start.slice(11, 16), value: pick(p) }));
}

function daily(points: SeriesPoint[], pick: (p: SeriesPoint) => number): ChartPoint[] {
  return points.map(p => ({ label: p.start.slice(0, 10), short: p.start.slice(5, 10), value: pick(p) }));
}

function charts(series: SeriesAnswer | null): Html {
  if (!series) return unavailable('The charts');
  const activations = (p: SeriesPoint) => p.activations;
  const verifications = (p: SeriesPoint) => p.verifications;
  return html`<div class="charts">
    ${barChart({
      id: 'chart-activations-24h',
      title: 'Activations, last 24 hours',
      noun: 'activations',
      points: hourly(series.hourly, activations),
      tickEvery: 6,
    })}
    ${barChart({
      id: 'chart-verifications-24h',
      title: 'Verifications, last 24 hours',
      noun: 'verifications',
      points: hourly(series.hourly, verifications),
      tickEvery: 6,
    })}
    ${barChart({
      id: 'chart-activations-30d',
      title: 'Activations, last 30 days',
      noun: 'activations',
      points: daily(series.daily, activations),
      tickEvery: 7,
    })}
    ${barChart({
      id: 'chart-verifications-30d',
      title: 'Verifications, last 30 days',
      noun: 'verifications',
      points: daily(series.daily, verifications),
      tickEvery: 7,
    })}
  </div>`;
}

function customerCell(id: number | null, names: ReadonlyMap<number, string>): Html {
  if (id === null) return html`<span class="muted">No customer</span>`;
  return html`<a href="/admin/customers/${id}">${names.get(id) ?? `Customer ${id}`}</a>`;
}

function percent(used: number, limit: number): number {
  return limit > 0 ? Math.floor((used * 100) / limit) : 0;
}

function nearLimits(data: DashboardData): Html {
  if (!data.nearLimits || !data.fullUsers) return unavailable('The licenses near their limits');
  const rows = [
    ...data.nearLimits.licenses.map(l => ({
      id: l.id,
      key: l.key,
      customer: l.customer_id,
      usage: `${l.current_activations} of ${l.max_activations} seats (${percent(l.current_activations, l.max_activations)}%)`,
    })),
    ...data.fullUsers.map(u => ({
      id: u.license_id,
      key: u.key,
      customer: u.customer_id,
      usage: `${u.limit} of ${u.limit} concurrent users (100%)`,
    })),
  ];
  if (rows.length === 0) return html`<p class="empty">No license uses 80% or more of its seats or users.</p>`;
  const more = data.nearLimits.total - data.nearLimits.licenses.length;
  return html`<div class="table-wrap">
      <table class="list">
        <caption class="visually-hidden">
          Licenses using 80% or more of a limit
        </caption>
        <thead>
          <tr>
            <th scope="col">License</th>
            <th scope="col">Customer</th>
            <th scope="col">Usage</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            r =>
              html`<tr>
                <th scope="row"><a href="/admin/licenses/${r.id}">${r.key}</a></th>
                <td>${customerCell(r.customer, data.customers)}</td>
                <td>${r.usage}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${more > 0 ? html`<p class="muted">And ${more} more at 80% or more of their seats.</p>` : ''}`;
}

function daysLeft(validUntil: string | null, now: number): string {
  if (!validUntil) return '';
  const days = Math.round(
    (Date.parse(`${validUntil}T00:00:00Z`) - Math.floor(now / 86_400_000) * 86_400_000) / 86_400_000,
  );
  if (days <= 0) return 'last day today';
  return days === 1 ? 'in 1 day' : `in ${days} days`;
}

function expiring(data: DashboardData, now: number): Html {
  if (!data.expiring) return unavailable('The expiring licenses');
  const { licenses, total } = data.expiring;
  if (licenses.length === 0) return html`<p class="empty">No active license expires within 30 days.</p>`;
  return html`<div class="table-wrap">
      <table class="list">
        <caption class="visually-hidden">
          Active licenses expiring within 30 days, soonest first
        </caption>
        <thead>
          <tr>
            <th scope="col">License</th>
            <th scope="col">Customer</th>
            <th scope="col">Valid until</th>
          </tr>
        </thead>
        <tbody>
          ${licenses.map(
            l =>
              html`<tr>
                <th scope="row"><a href="/admin/licenses/${l.id}">${l.key}</a></th>
                <td>${customerCell(l.customer_id, data.customers)}</td>
                <td>${l.valid_until} <span class="muted">(${daysLeft(l.valid_until, now)})</span></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p>
      <a href="/admin/licenses?status=active&amp;expiring=30&amp;sort=valid_until&amp;order=asc"
        >All active licenses expiring within 30 days (${total})</a
      >
    </p>`;
}

function anomalies(data: DashboardData): Html {
  if (!data.anomalies) return unavailable('The anomalies');
  if (data.anomalies.anomalies.length === 0) {
    return html`<p class="empty">No unresolved anomalies. <a href="/admin/monitoring?state=all">All anomalies</a></p>`;
  }
  return html`${anomalyTable(data.anomalies.anomalies, { caption: 'The newest unresolved anomalies' })}
    <p><a href="/admin/monitoring">All unresolved anomalies (${data.anomalies.total})</a></p>`;
}

export function dashboardPage(viewer: Viewer, data: DashboardData, now = Date.now()): Html {
  return layout({
    title: 'Dashboard',
    viewer,
    area: 'dashboard',
    scripts: ['refresh.js'],
    body: html`<section aria-labelledby="live-heading">
        <h2 id="live-heading">Right now</h2>
        <div id="live" class="live" data-refresh="/admin/live" data-refresh-seconds="${REFRESH_SECONDS}">
          ${liveFragment(data.live)}
        </div>
      </section>
      <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Activity</h2>
        ${charts(data.series)}
      </section>
      <section aria-labelledby="anomalies-heading">
        <h2 id="anomalies-heading">Newest anomalies</h2>
        ${anomalies(data)}
      </section>
      <section aria-labelledby="limits-heading">
        <h2 id="limits-heading">Near their limits</h2>
        ${nearLimits(data)}
      </section>
      <section aria-labelledby="expiring-heading">
        <h2 id="expiring-heading">Expiring within 30 days</h2>
        ${expiring(data, now)}
      </section>`,
  });
}
