/**
 * `device.heartbeat.dead`: a machine silent past HEARTBEAT_TIMEOUT_SECONDS. A repeating job (once per
 * tick cluster-wide) takes the lapsed sessions out of the live set in one atomic script
 * (sessions.ts `takeLapsed`), so of two runs at once each lapse goes to exactly one, and announces
 * each. A machine that verifies or heartbeats again is admitted again, and can lapse again.
 */
import { LicenseModel } from '../../models/license.model.ts';
import type { LicenseThis } from './state.ts';

export const LAPSE_JOB = { name: 'session-lapse', everyMs: 15_000 } as const;

/** Lapses taken per batch, and batches per run (a fleet stopping at once is worked off over ticks). */
const BATCH = 500;
const BATCHES_PER_RUN = 20;

/** Announces the sessions that lapsed since the last run; answers how many it announced. */
export async function announceLapses(svc: LicenseThis, now = Date.now()): Promise<number> {
  let announced = 0;
  for (let batch = 0; batch < BATCHES_PER_RUN; batch += 1) {
    const taken = await announceBatch(svc, now);
    announced += taken;
    if (taken < BATCH) break;
  }
  return announced;
}

async function announceBatch(svc: LicenseThis, now: number): Promise<number> {
  const lapsed = await svc.sessions.takeLapsed(BATCH, now);
  if (lapsed.length === 0) return 0;
  const ids = [...new Set(lapsed.map(l => l.licenseId))];
  const owners = new Map<number, number | null>();
  try {
    const docs = await LicenseModel.find({ _id: { $in: ids } }, { customer_id: 1 }).lean();
    for (const doc of docs) owners.set(doc._id, doc.customer_id);
  } catch (err) {
    // Taken out of the set already: announce without the customer rather than not at all.
    svc.logger.warn('Could not read the owners of lapsed sessions', { message: (err as Error).message });
  }
  for (const l of lapsed) {
    await svc.announce(null, 'device.heartbeat.dead', {
      license_id: l.licenseId,
      activation_id: l.activationId,
      customer_id: owners.get(l.licenseId) ?? null,
      last_heartbeat: Number.isFinite(l.lastSeen) ? new Date(l.lastSeen).toISOString() : null,
    });
  }
  return lapsed.length;
}
