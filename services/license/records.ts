/**
 * Reading and announcing license records for the admin actions: lookups that answer
 * LICENSE_NOT_FOUND, activation counts from the device service, and the one way a change of licenses
 * is published (views dropped on every node first, then one `license.updated` fact per license).
 */
import type { Context } from 'moleculer';
import { counted } from '../../lib/core/values.ts';
import { LicenseModel, type LicenseDoc } from '../../models/license.model.ts';
import { NotFoundError } from '../../lib/core/errors.ts';
import { toLicenseAnswer, type LicenseListEntry } from './contract.ts';
import type { LicenseThis } from './state.ts';

export function licenseNotFound(id: number): NotFoundError {
  return new NotFoundError(`License ${id} not found`, 'LICENSE_NOT_FOUND', {
    field: 'license_id',
    reason: 'not_found',
  });
}

export async function findLicense(id: number): Promise<LicenseDoc> {
  const doc = await LicenseModel.findById(id).lean();
  if (!doc) throw licenseNotFound(id);
  return doc;
}

/** Licenses as admin lists show them: with their active activation counts (one call for all). */
export async function withActivationCounts(ctx: Context, docs: LicenseDoc[]): Promise<LicenseListEntry[]> {
  if (docs.length === 0) return [];
  const counts = await ctx.call<Record<string, number>, { license_ids: number[] }>('device.countActive', {
    license_ids: docs.map(d => d._id),
  });
  return docs.map(d => ({ ...toLicenseAnswer(d), current_activations: counts[d._id] ?? 0 }));
}

/** Every replica drops its view of these licenses; listeners learn the fact once. */
export async function announceLicenseChange(svc: LicenseThis, ctx: Context, docs: LicenseDoc[]): Promise<void> {
  await svc.dropLicenseViews({ keys: docs.map(d => d.key) });
  for (const doc of docs) {
    await svc.announce(ctx, 'license.updated', {
      license_id: doc._id,
      customer_id: doc.customer_id,
      is_active: doc.is_active,
    });
  }
}

export async function bulkSetActive(svc: LicenseThis, ctx: Context, ids: number[], active: boolean) {
  const docs = await LicenseModel.find({ _id: { $in: ids } }, { _id: 1 }).lean();
  const found = docs.map(d => d._id);
  if (found.length > 0) {
    await LicenseModel.updateMany({ _id: { $in: found } }, { $set: { is_active: active, updated_at: new Date() } });
    await announceLicenseChange(svc, ctx, await LicenseModel.find({ _id: { $in: found } }).lean());
  }
  const present = new Set(found);
  const verb = active ? 'activated' : 'deactivated';
  return {
    success: true,
    count: found.length,
    not_found: ids.filter(id => !present.has(id)),
    message: `${counted(found.length, 'license')} ${verb} successfully`,
  };
}
