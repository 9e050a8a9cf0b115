/** Admin API: live statistics, alerts and anomalies (docs/monitoring.md). */
import { read, write, type RouteSpec } from './spec.ts';

const MONITORING = 'Monitoring';

export const MONITORING_ROUTES: RouteSpec[] = [
  read(
    '/api/monitoring/live-stats',
    'monitoring.liveStats',
    'Live figures (licenses, activations, sessions, heartbeats per minute) and open alerts',
    MONITORING,
  ),
  read(
    '/api/monitoring/anomaly-stats',
    'monitoring.anomalyStats',
    'Anomaly counts: total, unresolved, by type',
    MONITORING,
  ),
  read(
    '/api/monitoring/anomalies',
    'monitoring.anomalies',
    'List anomalies, newest first (type, resolved, license_id, page, limit)',
    MONITORING,
  ),
  write(
    'POST',
    '/api/monitoring/anomaly/:anomaly_id/resolve',
    'monitoring.resolveAnomaly',
    'Resolve an anomaly (records who and when; again: no change)',
    MONITORING,
  ),
];
