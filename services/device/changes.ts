/**
 * A change of a license's activations (a seat claimed or given back) drops the license's verify view
 * on every license node before the answer goes out, ending the session of an activation that stopped;
 * the caller then announces it once as a fact (`device.registered`, `device.deactivated`) with
 * `deviceFact(doc)`.
 */
import type { DeviceFact } from '../../lib/core/events.ts';
import type { ActivationDoc } from '../../models/activation.model.ts';
import type { DeviceThis } from './state.ts';

export async function dropViewsAfterSeatChange(service: DeviceThis, doc: ActivationDoc): Promise<void> {
  await service.dropLicenseViews({
    keys: [doc.license_key],
    ...(doc.is_active ? {} : { ended: [{ license_id: doc.license_id, activation_id: doc._id }] }),
  });
}

export function deviceFact(doc: ActivationDoc): DeviceFact {
  return {
    license_id: doc.license_id,
    license_key: doc.license_key,
    activation_id: doc._id,
    hardware_hash: doc.hardware_hash,
  };
}
