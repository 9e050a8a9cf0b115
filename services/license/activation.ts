/**
 * Activating a machine on a license: the license must verify by itself (checks 1-5 of the verdict),
 * then the device service claims a seat (its unique indexes make the limit hold under concurrency).
 * Activation is rare and must see the latest state, so it reads the license fresh, never from a view.
 */
import type { Context } from 'moleculer';
import { LicenseModel } from '../../models/license.model.ts';
import { AppError, type ErrorCode } from '../../lib/core/errors.ts';
import type { ActivationAnswer } from '../device/contract.ts';
import type { ActivateAnswer } from './contract.ts';
import type { LicenseThis } from './state.ts';
import { trackActivationUsage } from './usage.ts';
import { isRefusedKey } from './license-keys.ts';
import { VERIFY_MESSAGES, licenseProblem, type VerifyCode } from './verdict.ts';
import { NO_LICENSE_VIEW, customerStatus, viewOf } from './views.ts';

/** Activation problems are answered with an error (the client cannot go on); these map the reasons. */
const ACTIVATION_ERRORS: Partial<Record<VerifyCode, ErrorCode>> = {
  NOT_FOUND: 'LICENSE_NOT_FOUND',
  INACTIVE: 'LICENSE_INACTIVE',
  CUSTOMER_DISABLED: 'CUSTOMER_DISABLED',
  NOT_YET_VALID: 'LICENSE_NOT_YET_VALID',
  EXPIRED: 'LICENSE_EXPIRED',
};

export interface ActivationRequest {
  license_key: string;
  hardware_hash: string;
  machine_name?: string | undefined;
  app_version?: string | undefined;
}

export async function activate(svc: LicenseThis, ctx: Context, p: ActivationRequest): Promise<ActivateAnswer> {
  const doc = isRefusedKey(p.license_key) ? null : await LicenseModel.findOne({ key: p.license_key }).lean();
  const view = doc ? viewOf(doc, await customerStatus(svc.broker, doc.customer_id), []) : NO_LICENSE_VIEW;
  const problem = licenseProblem(view, Date.now());
  if (problem || !doc) {
    const reason = problem ?? 'NOT_FOUND';
    throw new AppError(ACTIVATION_ERRORS[reason]!, VERIFY_MESSAGES[reason], {
      field: 'license_key',
      reason: reason.toLowerCase(),
    });
  }
  const { activation, created } = await ctx.call<{ activation: ActivationAnswer; created: boolean }, object>(
    'device.register',
    {
      license_id: doc._id,
      license_key: doc.key,
      max_activations: doc.max_activations,
      hardware_hash: p.hardware_hash,
      ...(p.machine_name !== undefined ? { machine_name: p.machine_name } : {}),
      ...(p.app_version !== undefined ? { app_version: p.app_version } : {}),
    },
  );
  if (created) {
    svc.counters.activations.inc();
    await svc.announce(ctx, 'license.activated', {
      license_id: doc._id,
      activation_id: activation.id,
      customer_id: doc.customer_id,
    });
    await trackActivationUsage(svc, ctx, doc._id);
  }
  return {
    message: created ? 'License activated successfully' : 'License already activated on this machine',
    activation: {
      id: activation.id,
      license_key: doc.key,
      hardware_hash: activation.hardware_hash,
      machine_name: activation.machine_name,
      activated_at: activation.activated_at,
      last_heartbeat: activation.last_heartbeat,
      is_active: activation.is_active,
    },
  };
}
