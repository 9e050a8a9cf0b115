/**
 * Monitoring: the reference's live statistics and anomaly statistics, the anomaly list and its
 * resolution (monitoring/stats.actions.ts, monitoring/anomalies.actions.ts), alerts opened and ended by
 * a repeating job (monitoring/alerts.ts), and the anomaly detectors fed by facts
 * (monitoring/detectors.ts). docs/monitoring.md describes every figure, alert and detector.
 *
 * Facts are `emit`ted: each reaches one monitoring replica, and the detectors' windows live in Redis,
 * so replicas count together; the unique open keys of anomalies and alerts make a race record once.
 */
import type { Context } from 'moleculer';
import { config } from '../config/index.ts';
import type { Fact } from '../lib/core/events.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { redisMixin } from '../mixins/redis.mixin.ts';
import { repeatingJobMixin } from '../mixins/repeating-job.mixin.ts';
import { AlertModel } from '../models/alert.model.ts';
import { AnomalyModel } from '../models/anomaly.model.ts';
import { LicenseEventModel } from '../models/license-event.model.ts';
import { ALERT_JOB, evaluateAlerts } from './monitoring/alerts.ts';
import { anomalyActions } from './monitoring/anomalies.actions.ts';
import { detectActivationBurst, detectExcessiveHeartbeats, detectHopping } from './monitoring/detectors.ts';
import { historyActions } from './monitoring/history.actions.ts';
import { historyListeners } from './monitoring/history.events.ts';
import { computeLiveStats } from './monitoring/live-stats.ts';
import { SharedAnswer } from './monitoring/shared-answer.ts';
import { computeSeries, seriesActions, seriesListeners } from './monitoring/series.ts';
import { monitoringMetrics } from './monitoring/metrics.ts';
import type { MonitoringThis } from './monitoring/state.ts';
import { statsActions } from './monitoring/stats.actions.ts';

/** A detector failing (Redis away) loses one observation, never the fact's other listeners. */
function detect(svc: MonitoringThis, detector: string, run: Promise<void>): Promise<void> {
  return run.catch((err: Error) => svc.logger.warn('Anomaly detector failed', { detector, message: err.message }));
}

const MonitoringService: ServiceSchemaOf<MonitoringThis> = {
  name: 'monitoring',

  // A getter: read when a broker creates the service, so the evaluation interval is the configuration
  // of that moment, not of the first import. The job is listed first: Moleculer starts mixins last to
  // first, so it starts after the database and Redis it uses and stops before them.
  get mixins() {
    return [
      repeatingJobMixin<MonitoringThis>({
        name: ALERT_JOB,
        everyMs: config().monitoring.alertEverySeconds * 1000,
        run() {
          return evaluateAlerts(this);
        },
      }),
      factsMixin(),
      redisMixin(),
      // A license's history (monitoring/history.ts): its listeners beside the detectors' on the same facts.
      historyListeners,
      // The dashboard's activations chart (monitoring/series.ts): counted from the same fact.
      seriesListeners,
      dbMixin([AnomalyModel, AlertModel, LicenseEventModel]),
    ];
  },

  actions: { ...statsActions, ...anomalyActions, ...historyActions, ...seriesActions },

  events: {
    'license.activated'(this: MonitoringThis, ctx: Context<Fact<'license.activated'>>) {
      return detect(this, 'unusual_activation_pattern', detectActivationBurst(this, ctx.params));
    },
    'device.registered'(this: MonitoringThis, ctx: Context<Fact<'device.registered'>>) {
      return detect(this, 'license_hopping', detectHopping(this, ctx.params, 'registered'));
    },
    'device.deactivated'(this: MonitoringThis, ctx: Context<Fact<'device.deactivated'>>) {
      return detect(this, 'license_hopping', detectHopping(this, ctx.params, 'deactivated'));
    },
    'device.heartbeat.excessive'(this: MonitoringThis, ctx: Context<Fact<'device.heartbeat.excessive'>>) {
      return detect(this, 'excessive_heartbeats', detectExcessiveHeartbeats(this, ctx.params));
    },
  },

  created(this: MonitoringThis) {
    this.metrics = monitoringMetrics(this.broker);
    this.live = new SharedAnswer(
      now => computeLiveStats(this, now),
      () => config().monitoring.liveStatsCacheMs,
    );
    this.series = new SharedAnswer(
      now => computeSeries(this, now),
      () => config().monitoring.liveStatsCacheMs,
    );
    this.liveSince = new Map();
    this.startedAt = Date.now();
  },
};

export default MonitoringService;
