/**
 * The monitoring service's figures in /metrics (lib/observability/hot-metrics.ts), every label bound
 * once from a closed list: anomalies opened by type, the live session count (a gauge refreshed on every
 * alert evaluation and live-stats read), and how many alert evaluations this node ran.
 */
import type { ServiceBroker } from 'moleculer';
import { hotMetrics, type CounterChild, type GaugeChild } from '../../lib/observability/hot-metrics.ts';
import { ANOMALY_TYPES, type AnomalyType } from '../../models/anomaly.model.ts';

export interface MonitoringMetrics {
  anomalies: Record<AnomalyType, CounterChild>;
  activeSessions: GaugeChild;
  evaluations: CounterChild;
}

export function monitoringMetrics(broker: ServiceBroker): MonitoringMetrics {
  const metrics = hotMetrics(broker);
  const anomalies = metrics.counter('anomalies_total', 'Anomalies opened by the detectors on this node, by type');
  return {
    anomalies: Object.fromEntries(ANOMALY_TYPES.map(type => [type, anomalies.child({ type })])) as Record<
      AnomalyType,
      CounterChild
    >,
    activeSessions: metrics
      .gauge('active_sessions', 'Live client sessions across the cluster (as of the last monitoring read)')
      .child({}),
    evaluations: metrics.counter('monitoring_alert_evaluations_total', 'Alert evaluations run on this node').child({}),
  };
}
