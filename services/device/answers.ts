/**
 * Activation answers built from the stored records, with the heartbeats still pending in Redis merged
 * in (the records only learn them at the next flush).
 */
import type { Redis } from 'ioredis';
import type { ActivationDoc } from '../../models/activation.model.ts';
import type { ActivationAnswer } from './contract.ts';
import { pendingHeartbeats } from './heartbeat-buffer.ts';

export function toActivationAnswer(doc: ActivationDoc, pendingHeartbeat?: number): ActivationAnswer {
  const stored = doc.last_heartbeat?.getTime() ?? 0;
  const latest = Math.max(stored, pendingHeartbeat ?? 0);
  return {
    id: doc._id,
    license_id: doc.license_id,
    license_key: doc.license_key,
    hardware_hash: doc.hardware_hash,
    machine_name: doc.machine_name,
    app_version: doc.app_version,
    activated_at: doc.activated_at.toISOString(),
    // Never heartbeated yet: the activation itself was the last sign of life.
    last_heartbeat: latest > 0 ? new Date(latest).toISOString() : doc.activated_at.toISOString(),
    is_active: doc.is_active,
  };
}

export async function toActivationAnswers(redis: Redis, docs: ActivationDoc[]): Promise<ActivationAnswer[]> {
  const pending = await pendingHeartbeats(
    redis,
    docs.map(d => d._id),
  );
  return docs.map((d, i) => toActivationAnswer(d, pending[i]));
}
