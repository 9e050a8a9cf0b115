/**
 * The monitoring service's `this`: what its mixins give it and what it builds when it starts. The
 * parts in this folder type their handlers with MonitoringThis; this is its one declaration.
 */
import type { Service } from 'moleculer';
import type { RedisVars } from '../../mixins/redis.mixin.ts';
import type { JobVars } from '../../mixins/repeating-job.mixin.ts';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { LiveStatsAnswer, SeriesAnswer } from './contract.ts';
import type { MonitoringMetrics } from './metrics.ts';
import type { SharedAnswer } from './shared-answer.ts';

export interface MonitoringState {
  /** GET live-stats, reused for LIVE_STATS_CACHE_MS (live-stats.ts computes it). */
  live: SharedAnswer<LiveStatsAnswer>;
  /** The dashboard's charts (series.ts), reused like live stats. */
  series: SharedAnswer<SeriesAnswer>;
  /** Conditions seen live but not stored as alerts (yet): when this replica first saw each. */
  liveSince: Map<string, Date>;
  metrics: MonitoringMetrics;
  /** When this replica started (ms): service discovery gets a grace period before "missing" alerts. */
  startedAt: number;
}

export type MonitoringThis = Service & RedisVars & JobVars & FactsMethods & MonitoringState;
