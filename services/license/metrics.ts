/**
 * The license service's counters in /metrics (lib/observability/hot-metrics.ts): every label value is
 * bound once here, from a closed list, so counting on the verify and heartbeat paths is one addition
 * and the label sets stay bounded whatever clients send.
 */
import type { ServiceBroker } from 'moleculer';
import { hotMetrics, type CounterChild } from '../../lib/observability/hot-metrics.ts';
import { VERIFY_CODES, type VerifyCode } from './verdict.ts';

export const HEARTBEAT_OUTCOMES = ['recorded', 'invalid', 'rate_limited'] as const;
export type HeartbeatOutcome = (typeof HEARTBEAT_OUTCOMES)[number];

export interface LicenseCounters {
  /** Seats claimed (client activations and admin registrations; not idempotent re-activations). */
  activations: CounterChild;
  verifications: Record<VerifyCode, CounterChild>;
  heartbeats: Record<HeartbeatOutcome, CounterChild>;
  /** View loads (view-loader.ts): batches read, and the views asked for in them. */
  viewLoads: ViewLoadCounters;
}

export interface ViewLoadCounters {
  batches: CounterChild;
  views: CounterChild;
}

export function licenseCounters(broker: ServiceBroker): LicenseCounters {
  const metrics = hotMetrics(broker);
  const verifications = metrics.counter('verifications_total', 'License verifications answered, by verify code');
  const heartbeats = metrics.counter('heartbeats_total', 'Heartbeats answered, by outcome');
  return {
    activations: metrics.counter('activations_total', 'Seats claimed by new activations').child({}),
    verifications: Object.fromEntries(VERIFY_CODES.map(code => [code, verifications.child({ code })])) as Record<
      VerifyCode,
      CounterChild
    >,
    heartbeats: Object.fromEntries(
      HEARTBEAT_OUTCOMES.map(outcome => [outcome, heartbeats.child({ outcome })]),
    ) as Record<HeartbeatOutcome, CounterChild>,
    viewLoads: {
      batches: metrics
        .counter('license_view_load_batches_total', 'Batches of license views loaded for verify')
        .child({}),
      views: metrics.counter('license_view_loads_total', 'License views loaded or reloaded for verify').child({}),
    },
  };
}
