/**
 * GET /api/monitoring/live-stats: figures true across replicas, each asked from the service that owns
 * it (indexed counts and Redis counters, never a collection scan), and the open alerts. The service
 * reuses one answer for LIVE_STATS_CACHE_MS (shared-answer.ts), so dashboards polling hard cost a few
 * reads every few seconds.
 *
 * The dependency checks (database, Redis, broker, services) also run live here: when Redis or the
 * database is down the alert job cannot run or store anything, yet the answer must say so. Such an
 * alert not stored (yet) shows with `id: null`, started when this replica first saw it.
 */
import { ALERT_TYPES } from '../../models/alert.model.ts';
import { currentConditions, openAlerts } from './alerts.ts';
import { dependencyCheck, type Condition } from './conditions.ts';
import { toAlertAnswer, type AlertAnswer, type LiveStatsAnswer } from './contract.ts';
import { askOwner, refreshSessionsGauge } from './figures.ts';
import type { MonitoringThis } from './state.ts';

/** Alerts listed in one answer, most severe and newest first. */
const ALERTS_LISTED = 100;

function bySeverityThenNewest(a: AlertAnswer, b: AlertAnswer): number {
  const severity = ALERT_TYPES.indexOf(b.type) - ALERT_TYPES.indexOf(a.type);
  return severity !== 0 ? severity : b.started_at.localeCompare(a.started_at);
}

export async function computeLiveStats(svc: MonitoringThis, now = Date.now()): Promise<LiveStatsAnswer> {
  const [licenses, activations, sessions, heartbeats, stored, live] = await Promise.all([
    askOwner<{ count: number }>(svc, 'license.countActive'),
    askOwner<{ count: number }>(svc, 'device.countAllActive'),
    refreshSessionsGauge(svc),
    askOwner<{ per_minute: number }>(svc, 'license.heartbeatRate'),
    openAlerts().catch(() => []),
    currentConditions(svc, now, [dependencyCheck]),
  ]);
  return {
    timestamp: new Date(now).toISOString(),
    metrics: {
      active_licenses: licenses?.count ?? null,
      total_activations: activations?.count ?? null,
      active_sessions: sessions,
      heartbeats_per_minute: heartbeats?.per_minute ?? null,
    },
    alerts: mergeAlerts(svc, stored.map(toAlertAnswer), live.checked.has('dependency') ? live.conditions : null, now),
  };
}

/**
 * The stored alerts, with the dependency group replaced by what the live check sees right now (when it
 * ran): a stored one keeps its id and start, a live-only one starts when this replica first saw it.
 */
function mergeAlerts(svc: MonitoringThis, stored: AlertAnswer[], live: Condition[] | null, now: number): AlertAnswer[] {
  if (!live) return stored.sort(bySeverityThenNewest).slice(0, ALERTS_LISTED);
  const liveKeys = new Set(live.map(c => c.key));
  const alerts = stored.filter(a => !a.key.startsWith('dependency:') || liveKeys.has(a.key));
  const storedKeys = new Set(alerts.map(a => a.key));
  for (const key of svc.liveSince.keys()) if (!liveKeys.has(key)) svc.liveSince.delete(key);
  for (const condition of live) {
    if (storedKeys.has(condition.key)) continue;
    const since = svc.liveSince.get(condition.key) ?? new Date(now);
    svc.liveSince.set(condition.key, since);
    const started = since.toISOString();
    alerts.push({
      id: null,
      key: condition.key,
      type: condition.type,
      message: condition.message,
      timestamp: started,
      started_at: started,
    });
  }
  return alerts.sort(bySeverityThenNewest).slice(0, ALERTS_LISTED);
}
