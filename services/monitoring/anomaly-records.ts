/**
 * Storing anomalies: a detection opens an anomaly, or bumps the one already open for its (type,
 * license) (models/anomaly.model.ts: the unique open key decides, so two replicas detecting at once
 * record it once); a new one is announced as `anomaly.detected` and counted in /metrics. Resolving
 * records who and when and frees the open key; resolving again changes nothing.
 */
import { NotFoundError, isDuplicateKeyError } from '../../lib/core/errors.ts';
import { nextId } from '../../models/counter.model.ts';
import {
  AnomalyModel,
  openAnomalyKey,
  resolvedAnomalyKey,
  type AnomalyDoc,
  type AnomalyResolver,
  type AnomalyType,
} from '../../models/anomaly.model.ts';
import type { MonitoringThis } from './state.ts';

export interface Detection {
  type: AnomalyType;
  license_id: number;
  activation_id: number | null;
  /** undefined: not in the fact; asked from the license service when an anomaly opens. */
  customer_id?: number | null;
  evidence: Record<string, unknown>;
}

async function bump(key: string, detection: Detection, now: Date): Promise<boolean> {
  const res = await AnomalyModel.updateOne(
    { open_key: key },
    { $set: { last_seen_at: now, evidence: detection.evidence }, $inc: { occurrences: 1 } },
  );
  return res.matchedCount > 0;
}

async function ownerOf(svc: MonitoringThis, licenseId: number): Promise<number | null> {
  try {
    const owners = await svc.broker.call<Record<string, number | null>, { license_ids: number[] }>('license.owners', {
      license_ids: [licenseId],
    });
    return owners[licenseId] ?? null;
  } catch {
    return null;
  }
}

/** Opens an anomaly or bumps the open one; answers the anomaly when this call opened it. */
export async function recordAnomaly(
  svc: MonitoringThis,
  detection: Detection,
  now = new Date(),
): Promise<AnomalyDoc | null> {
  const key = openAnomalyKey(detection.type, detection.license_id);
  if (await bump(key, detection, now)) return null;
  const customerId =
    detection.customer_id !== undefined ? detection.customer_id : await ownerOf(svc, detection.license_id);
  let doc: AnomalyDoc;
  try {
    const created = await AnomalyModel.create({
      _id: await nextId('anomaly'),
      type: detection.type,
      license_id: detection.license_id,
      activation_id: detection.activation_id,
      customer_id: customerId,
      evidence: detection.evidence,
      detected_at: now,
      last_seen_at: now,
      occurrences: 1,
      resolved: false,
      resolved_at: null,
      resolved_by: null,
      resolution_note: '',
      open_key: key,
    });
    doc = created.toObject();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // Another replica opened it between our bump and our insert.
    await bump(key, detection, now);
    return null;
  }
  svc.metrics.anomalies[doc.type].inc();
  await svc.announce(null, 'anomaly.detected', {
    anomaly_id: doc._id,
    type: doc.type,
    license_id: doc.license_id,
    activation_id: doc.activation_id,
    customer_id: doc.customer_id,
    evidence: doc.evidence,
  });
  return doc;
}

export function anomalyNotFound(id: number): NotFoundError {
  return new NotFoundError(`Anomaly ${id} not found`, 'ANOMALY_NOT_FOUND', {
    field: 'anomaly_id',
    reason: 'not_found',
  });
}

/**
 * Marks an anomaly resolved by `resolver`; `changed` is false when it was resolved already (the first
 * resolution, its time and author, stay as they were).
 */
export async function resolveAnomaly(
  id: number,
  resolver: AnomalyResolver,
  note: string,
  now = new Date(),
): Promise<{ doc: AnomalyDoc; changed: boolean }> {
  const updated = await AnomalyModel.findOneAndUpdate(
    { _id: id, resolved: false },
    {
      $set: {
        resolved: true,
        resolved_at: now,
        resolved_by: resolver,
        resolution_note: note,
        open_key: resolvedAnomalyKey(id),
      },
    },
    { returnDocument: 'after', lean: true },
  );
  if (updated) return { doc: updated, changed: true };
  const existing = await AnomalyModel.findById(id).lean();
  if (!existing) throw anomalyNotFound(id);
  return { doc: existing, changed: false };
}
