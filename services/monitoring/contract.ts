/**
 * What the monitoring service answers: the reference's live stats and anomaly statistics (field names
 * exactly as documented, extra fields only added), anomalies and alerts as the admin API shows them.
 */
import type { AlertDoc, AlertType } from '../../models/alert.model.ts';
import type { AnomalyDoc, AnomalyResolver, AnomalyType } from '../../models/anomaly.model.ts';

/** One alert: the reference's `type`, `message`, `timestamp` (when it started), plus its key and id. */
export interface AlertAnswer {
  /** null for a condition seen live that is not stored (the database is down, for one). */
  id: number | null;
  key: string;
  type: AlertType;
  message: string;
  timestamp: string;
  started_at: string;
}

/** GET /api/monitoring/live-stats. A figure is null when the service that owns it cannot answer. */
export interface LiveStatsAnswer {
  timestamp: string;
  metrics: {
    active_licenses: number | null;
    total_activations: number | null;
    active_sessions: number | null;
    heartbeats_per_minute: number | null;
  };
  alerts: AlertAnswer[];
}

/** GET /api/monitoring/anomaly-stats: every type is present, 0 when none. */
export interface AnomalyStatsAnswer {
  total_anomalies: number;
  unresolved: number;
  by_type: Record<AnomalyType, number>;
}

export interface AnomalyAnswer {
  id: number;
  type: AnomalyType;
  license_id: number;
  activation_id: number | null;
  customer_id: number | null;
  evidence: Record<string, unknown>;
  detected_at: string;
  last_seen_at: string;
  occurrences: number;
  resolved: boolean;
  resolved_at: string | null;
  resolved_by: AnomalyResolver | null;
  resolution_note: string;
}

export function toAnomalyAnswer(doc: AnomalyDoc): AnomalyAnswer {
  return {
    id: doc._id,
    type: doc.type,
    license_id: doc.license_id,
    activation_id: doc.activation_id,
    customer_id: doc.customer_id,
    evidence: doc.evidence ?? {},
    detected_at: doc.detected_at.toISOString(),
    last_seen_at: doc.last_seen_at.toISOString(),
    occurrences: doc.occurrences,
    resolved: doc.resolved,
    resolved_at: doc.resolved_at ? doc.resolved_at.toISOString() : null,
    resolved_by: doc.resolved_by ?? null,
    resolution_note: doc.resolution_note ?? '',
  };
}

export function toAlertAnswer(doc: Pick<AlertDoc, '_id' | 'key' | 'type' | 'message' | 'started_at'>): AlertAnswer {
  const started = doc.started_at.toISOString();
  return { id: doc._id, key: doc.key, type: doc.type, message: doc.message, timestamp: started, started_at: started };
}

/** One point of a chart: the start of its hour or day (UTC) and the counts within it. */
export interface SeriesPoint {
  start: string;
  activations: number;
  verifications: number;
}

/** `monitoring.series` (monitoring/series.ts): both charts; the last point of each is the current hour or day so far. */
export interface SeriesAnswer {
  timestamp: string;
  hourly: SeriesPoint[];
  daily: SeriesPoint[];
}
