/**
 * The license service's `this`: what its mixins give it and what it builds when it starts. The parts
 * in this folder type their handlers with LicenseThis; this is its one declaration.
 */
import type { Service } from 'moleculer';
import type { RedisVars } from '../../mixins/redis.mixin.ts';
import type { JobVars } from '../../mixins/repeating-job.mixin.ts';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { ViewInvalidationMethods } from '../../mixins/view-invalidation.mixin.ts';
import type { ExactLimiter } from '../../lib/infra/rate-limiter.ts';
import type { LicenseCounters } from './metrics.ts';
import type { SessionStore } from './sessions.ts';
import type { VerifyPath } from './verify-path.ts';
import type { VerifySeries } from './verify-series.ts';

export interface LicenseState {
  /** Live sessions (max_users) in Redis, with this process's memo of recent admissions. */
  sessions: SessionStore;
  /** The verify hot path and its in-memory views. */
  verifier: VerifyPath;
  /** Heartbeats: exactly RATE_LIMIT_HEARTBEAT_PER_MINUTE per activation, across replicas. */
  heartbeatLimiter: ExactLimiter;
  /** Heartbeats beyond the limit in one window that make `device.heartbeat.excessive` (ANOMALY_HEARTBEAT_EXCESS). */
  heartbeatExcess: number;
  /** /metrics counters of activations, verifications and heartbeats. */
  counters: LicenseCounters;
  /** Verifications per hour for the dashboard, counted in memory and added to Redis every few seconds. */
  verifySeries: VerifySeries;
}

export type LicenseThis = Service & RedisVars & JobVars & FactsMethods & ViewInvalidationMethods & LicenseState;
