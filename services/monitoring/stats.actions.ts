/**
 * The reference's monitoring routes: live statistics (live-stats.ts) and anomaly statistics. Both are
 * viewer reads (services/api/routes/monitoring.routes.ts).
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ANOMALY_TYPES, AnomalyModel, type AnomalyType } from '../../models/anomaly.model.ts';
import type { AnomalyStatsAnswer, LiveStatsAnswer } from './contract.ts';
import type { MonitoringThis } from './state.ts';

const action = actionFor<MonitoringThis>();

export const statsActions = {
  /** GET /api/monitoring/live-stats */
  liveStats: action({
    params: objectSchema({}),
    handler(): Promise<LiveStatsAnswer> {
      return this.live.get();
    },
  }),

  /** GET /api/monitoring/anomaly-stats: indexed counts, every type present (0 when none). */
  anomalyStats: action({
    params: objectSchema({}),
    async handler(): Promise<AnomalyStatsAnswer> {
      const [unresolved, ...counts] = await Promise.all([
        AnomalyModel.countDocuments({ resolved: false }),
        ...ANOMALY_TYPES.map(type => AnomalyModel.countDocuments({ type })),
      ]);
      const byType = Object.fromEntries(ANOMALY_TYPES.map((type, i) => [type, counts[i] ?? 0])) as Record<
        AnomalyType,
        number
      >;
      return {
        total_anomalies: counts.reduce((sum, n) => sum + n, 0),
        unresolved,
        by_type: byType,
      };
    },
  }),
};
