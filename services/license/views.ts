/**
 * A license's verify view: what a verify needs to know of the license, its customer and its machines,
 * built from the three services' answers (verify-path.ts caches views, view-loader.ts loads them).
 */
import type { ServiceBroker } from 'moleculer';
import type { LicenseDoc } from '../../models/license.model.ts';
import type { CustomerStatusAnswer } from '../customer/contract.ts';
import type { MachineSeat } from '../device/contract.ts';
import type { LicenseSnapshot, LicenseView } from './verdict.ts';

export const NO_LICENSE_VIEW: LicenseView = { license: null, customer: null, activations: new Map() };

function snapshot(doc: LicenseDoc): LicenseSnapshot {
  return {
    id: doc._id,
    key: doc.key,
    customer_id: doc.customer_id,
    type: doc.type,
    valid_from: doc.valid_from,
    valid_until: doc.valid_until,
    max_activations: doc.max_activations,
    max_users: doc.max_users,
    is_active: doc.is_active,
  };
}

export function viewOf(
  doc: LicenseDoc,
  customer: CustomerStatusAnswer | null,
  activations: MachineSeat[],
): LicenseView {
  return {
    license: snapshot(doc),
    // A customer deleted behind the license's back counts as disabled.
    customer: doc.customer_id === null ? null : (customer ?? { name: '', is_active: false }),
    activations: new Map(activations.map(a => [a.hardware_hash, { id: a.id, is_active: a.is_active }])),
  };
}

/** The customer a license belongs to, as the customer service reports it; null when it has none. */
export async function customerStatus(broker: ServiceBroker, id: number | null): Promise<CustomerStatusAnswer | null> {
  if (id === null) return null;
  const [status] = await broker.call<CustomerStatusAnswer[], { ids: number[] }>('customer.statuses', { ids: [id] });
  return status ?? null;
}
