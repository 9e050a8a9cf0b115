/**
 * The reference's test license (TEST-TEST-TEST-TEST), seeded in development and test mode only, for
 * the README's examples and client developers. Every replica may try; the unique key lets one win.
 */
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { LicenseModel } from '../../models/license.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import { fromDay } from '../../lib/core/values.ts';
import type { LicenseThis } from './state.ts';

export async function seedTestLicense(svc: LicenseThis): Promise<void> {
  const key = TEST_CREDENTIALS.licenseKey;
  if (await LicenseModel.exists({ key })) return;
  let customerId: number | null = null;
  try {
    await svc.broker.waitForServices(['customer'], 10_000);
    customerId = await svc.broker.call<number | null, Record<string, never>>('customer.ensureTestCustomer', {});
  } catch {
    svc.logger.warn('Customer service not available: the test license is seeded without a customer');
  }
  await LicenseModel.create({
    _id: await nextId('license'),
    key,
    customer_id: customerId,
    type: 'perpetual',
    valid_from: fromDay('2025-01-01'),
    valid_until: null,
    max_activations: 10,
    max_users: 10,
    is_active: true,
  }).catch(err => {
    if (!isDuplicateKeyError(err)) throw err;
  });
}
