/**
 * A license's history: every catalogued fact that names a license becomes one record
 * (models/license-event.model.ts), so the Admin Panel can show what happened to a license without
 * each owning service keeping a log of its own. Facts carry ids only; the record keeps the few other
 * fields a person reads (a hardware hash, the resources, a threshold), lists cut to a bound.
 *
 * Bounded per license: every tenth of the bound of a license's inserts on this replica (every insert
 * for a bound under 20), the records beyond its newest LICENSE_HISTORY_MAX_EVENTS are deleted (one
 * indexed read for the cut-off, then one delete). Not after every insert: on the embedded server that
 * read is a scan of the whole collection (about 0.4 s at 10,000 records, measured), so a burst of
 * activations would queue scans. A license may so hold up to a tenth more per replica for a while.
 * A fact delivered twice is stored once (unique event_id). A failure (database away) loses that
 * record, never the fact's other listeners: the recorder logs and returns.
 */
import { config } from '../../config/index.ts';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import type { FactEnvelope } from '../../lib/core/events.ts';
import { pagination } from '../../lib/core/values.ts';
import { nextId } from '../../models/counter.model.ts';
import { LicenseEventModel, type LicenseEventDoc, type LicenseHistoryEvent } from '../../models/license-event.model.ts';
import type { MonitoringThis } from './state.ts';

/** Fields every record has as columns, or that repeat the license itself: not copied into details. */
const NOT_DETAILS = new Set([
  'license_id',
  'activation_id',
  'customer_id',
  'license_key',
  'event_id',
  'at',
  'evidence',
]);
/** Licenses whose inserts this replica counts until their next prune; beyond, the oldest count is dropped. */
const COUNTED_LICENSES = 10_000;
/** Per monitoring service instance: inserts of each license since its last prune here. */
const sincePrune = new WeakMap<object, Map<number, number>>();

/** Counts an insert of the license; true when it is time to prune it. */
function pruneDue(svc: MonitoringThis, licenseId: number, keep: number): boolean {
  let counts = sincePrune.get(svc);
  if (!counts) sincePrune.set(svc, (counts = new Map()));
  const every = Math.max(1, Math.floor(keep / 10));
  const seen = (counts.get(licenseId) ?? 0) + 1;
  counts.delete(licenseId);
  if (seen >= every) return true;
  // Re-inserted, so the map's order is the order of last inserts: the first key is the stalest.
  counts.set(licenseId, seen);
  if (counts.size > COUNTED_LICENSES) counts.delete(counts.keys().next().value!);
  return false;
}

/** Lists (resource ids) longer than this keep their first entries and their length. */
const LIST_CAP = 50;
const TEXT_CAP = 300;

export interface LicenseEventAnswer {
  id: number;
  license_id: number;
  event: LicenseHistoryEvent;
  at: string;
  activation_id: number | null;
  customer_id: number | null;
  details: Record<string, unknown>;
}

export interface LicenseHistoryAnswer {
  events: LicenseEventAnswer[];
  pagination: ReturnType<typeof pagination>;
}

export function toLicenseEventAnswer(doc: LicenseEventDoc): LicenseEventAnswer {
  return {
    id: doc._id,
    license_id: doc.license_id,
    event: doc.event,
    at: doc.at.toISOString(),
    activation_id: doc.activation_id,
    customer_id: doc.customer_id,
    details: doc.details ?? {},
  };
}

/** The fact's fields worth keeping, bounded: short texts, short lists, numbers and flags. */
export function detailsOf(fact: object): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fact)) {
    if (NOT_DETAILS.has(name) || value === undefined) continue;
    if (Array.isArray(value)) {
      details[name] = value.slice(0, LIST_CAP);
      if (value.length > LIST_CAP) details[`${name}_count`] = value.length;
    } else if (typeof value === 'string') {
      details[name] = value.slice(0, TEXT_CAP);
    } else if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
      details[name] = value;
    }
  }
  return details;
}

/** What the recorder reads from any fact about a license; the rest goes into details. */
export type LicenseFact = FactEnvelope & {
  license_id: number | null;
  activation_id?: number | null;
  customer_id?: number | null;
};

/** Records one fact about a license and prunes the license's oldest records beyond the bound. */
export async function recordLicenseEvent(
  svc: MonitoringThis,
  event: LicenseHistoryEvent,
  fact: LicenseFact,
): Promise<void> {
  const licenseId = fact.license_id;
  if (typeof licenseId !== 'number') return;
  try {
    const at = new Date(fact.at);
    await LicenseEventModel.create({
      _id: await nextId('license_event'),
      license_id: licenseId,
      event,
      at: Number.isNaN(at.getTime()) ? new Date() : at,
      event_id: String(fact.event_id).slice(0, 100),
      activation_id: typeof fact.activation_id === 'number' ? fact.activation_id : null,
      customer_id: typeof fact.customer_id === 'number' ? fact.customer_id : null,
      details: detailsOf(fact),
    });
    const keep = config().monitoring.historyPerLicense;
    if (pruneDue(svc, licenseId, keep)) await pruneHistory(licenseId, keep);
  } catch (err) {
    if (isDuplicateKeyError(err)) return;
    svc.logger.warn('Could not record a license event', {
      event,
      license_id: licenseId,
      message: (err as Error).message,
    });
  }
}

/** Deletes a license's records older than its newest `keep`. */
export async function pruneHistory(licenseId: number, keep: number): Promise<number> {
  const [cutoff] = await LicenseEventModel.find({ license_id: licenseId }, { _id: 1, at: 1 })
    .sort({ at: -1, _id: -1 })
    .skip(keep)
    .limit(1)
    .lean();
  if (!cutoff) return 0;
  const { deletedCount } = await LicenseEventModel.deleteMany({
    license_id: licenseId,
    $or: [{ at: { $lt: cutoff.at } }, { at: cutoff.at, _id: { $lte: cutoff._id } }],
  });
  return deletedCount;
}

/** A page of a license's history, newest first. */
export async function licenseHistory(licenseId: number, page: number, limit: number): Promise<LicenseHistoryAnswer> {
  const filter = { license_id: licenseId };
  const [total, docs] = await Promise.all([
    LicenseEventModel.countDocuments(filter),
    LicenseEventModel.find(filter)
      .sort({ at: -1, _id: -1 })
      .skip((page - 1) * limit)
      .limit(limit)
      .lean(),
  ]);
  return { events: docs.map(toLicenseEventAnswer), pagination: pagination(page, limit, total) };
}
