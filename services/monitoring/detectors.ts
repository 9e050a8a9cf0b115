/**
 * The anomaly detectors, driven by facts (never by scanning the database on a timer). Each fact feeds
 * a sliding window in Redis (windows.ts, shared by every monitoring replica); a window at or above its
 * threshold opens the anomaly or bumps the open one (anomaly-records.ts). Thresholds come from the
 * configuration (ANOMALY_*, docs/monitoring.md).
 *
 * - unusual_activation_pattern: `license.activated` facts of one license within the window.
 * - license_hopping: `device.registered` of one hardware hash on distinct licenses within the window
 *   (hardware moving between licenses), or `device.registered` + `device.deactivated` of one license
 *   within the window (its seats churning through machines).
 * - excessive_heartbeats: `device.heartbeat.excessive`, which the license service announces once per
 *   limiter window when a machine's heartbeats (accepted and refused) reach the limit plus the excess.
 */
import { config } from '../../config/index.ts';
import type { DeviceFact, Fact } from '../../lib/core/events.ts';
import { recordAnomaly } from './anomaly-records.ts';
import type { MonitoringThis } from './state.ts';
import { WINDOW_KEYS, addToWindow } from './windows.ts';

/** Distinct ids from window members written as `<id>:<rest>`, newest first. */
function idsOf(members: string[], position = 0): number[] {
  const ids = members.map(m => Number(m.split(':')[position])).filter(Number.isSafeInteger);
  return [...new Set(ids)];
}

export async function detectActivationBurst(svc: MonitoringThis, fact: Fact<'license.activated'>): Promise<void> {
  const { activations, activationWindowSeconds } = config().anomalies;
  const window = await addToWindow(
    svc.redis,
    WINDOW_KEYS.activations(fact.license_id),
    `${fact.activation_id}:${fact.event_id}`,
    activationWindowSeconds * 1000,
  );
  if (window.count < activations) return;
  await recordAnomaly(svc, {
    type: 'unusual_activation_pattern',
    license_id: fact.license_id,
    activation_id: fact.activation_id,
    customer_id: fact.customer_id,
    evidence: {
      activations: window.count,
      window_seconds: activationWindowSeconds,
      threshold: activations,
      activation_ids: idsOf(window.recent),
    },
  });
}

/** A seat claimed or given back: counts toward the license's churn, and (claims) the hardware's moves. */
export async function detectHopping(
  svc: MonitoringThis,
  fact: Fact<'device.registered'> | Fact<'device.deactivated'>,
  change: 'registered' | 'deactivated',
): Promise<void> {
  const { churnChanges, hoppingLicenses, hoppingWindowSeconds } = config().anomalies;
  const windowMs = hoppingWindowSeconds * 1000;
  const churn = await addToWindow(
    svc.redis,
    WINDOW_KEYS.churn(fact.license_id),
    `${fact.activation_id}:${change}:${fact.event_id}`,
    windowMs,
  );
  if (churn.count >= churnChanges) {
    await recordAnomaly(svc, {
      type: 'license_hopping',
      license_id: fact.license_id,
      activation_id: fact.activation_id,
      evidence: {
        kind: 'seat_churn',
        seat_changes: churn.count,
        window_seconds: hoppingWindowSeconds,
        threshold: churnChanges,
        activation_ids: idsOf(churn.recent),
      },
    });
  }
  if (change === 'registered') await detectHardwareMoves(svc, fact, hoppingLicenses, hoppingWindowSeconds);
}

async function detectHardwareMoves(
  svc: MonitoringThis,
  fact: DeviceFact,
  threshold: number,
  windowSeconds: number,
): Promise<void> {
  // Members are license ids: a machine re-registered on the same license does not count twice.
  const moves = await addToWindow(
    svc.redis,
    WINDOW_KEYS.hardware(fact.hardware_hash),
    String(fact.license_id),
    windowSeconds * 1000,
  );
  if (moves.count < threshold) return;
  await recordAnomaly(svc, {
    type: 'license_hopping',
    license_id: fact.license_id,
    activation_id: fact.activation_id,
    evidence: {
      kind: 'hardware_moves',
      hardware_hash: fact.hardware_hash,
      licenses: moves.count,
      window_seconds: windowSeconds,
      threshold,
      license_ids: idsOf(moves.recent),
    },
  });
}

export async function detectExcessiveHeartbeats(
  svc: MonitoringThis,
  fact: Fact<'device.heartbeat.excessive'>,
): Promise<void> {
  await recordAnomaly(svc, {
    type: 'excessive_heartbeats',
    license_id: fact.license_id,
    activation_id: fact.activation_id,
    customer_id: fact.customer_id,
    evidence: {
      heartbeats: fact.hits,
      allowed: fact.limit,
      window_seconds: fact.window_seconds,
      excess_threshold: config().anomalies.heartbeatExcess,
      activation_id: fact.activation_id,
    },
  });
}
