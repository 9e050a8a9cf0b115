/**
 * The admin API's device routes (a device is an activation, docs/glossary.md) and the live session
 * count. The device service owns activations; these actions check the license first, then ask it.
 */
import type { ActivationAnswer, DeactivationAnswer } from '../device/contract.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { APP_VERSION_SCHEMA, HARDWARE_HASH_SCHEMA, ID_SCHEMA, MACHINE_NAME_SCHEMA } from '../../lib/core/schemas.ts';
import { toLicenseActivationAnswer } from './client.actions.ts';
import { findLicense } from './records.ts';
import type { LicenseThis } from './state.ts';
import { trackActivationUsage } from './usage.ts';

const action = actionFor<LicenseThis>();

export const deviceActions = {
  /** GET /api/license/:license_id/devices */
  devices: action({
    params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
    async handler(ctx) {
      const doc = await findLicense(ctx.params.license_id);
      const activations = await ctx.call<ActivationAnswer[], { license_id: number }>('device.forLicense', {
        license_id: doc._id,
      });
      return { devices: activations.map(a => ({ ...toLicenseActivationAnswer(a), app_version: a.app_version })) };
    },
  }),

  /** POST /api/license/:license_id/register-device: an admin claims a seat for a machine. */
  registerDevice: action({
    params: objectSchema(
      {
        license_id: ID_SCHEMA,
        hardware_hash: HARDWARE_HASH_SCHEMA,
        machine_name: MACHINE_NAME_SCHEMA,
        app_version: APP_VERSION_SCHEMA,
      },
      ['license_id', 'hardware_hash'],
    ),
    async handler(ctx) {
      const doc = await findLicense(ctx.params.license_id);
      const { license_id: _id, ...device } = ctx.params;
      const { activation, created } = await ctx.call<{ activation: ActivationAnswer; created: boolean }, object>(
        'device.register',
        { license_id: doc._id, license_key: doc.key, max_activations: doc.max_activations, ...device },
      );
      if (created) {
        this.counters.activations.inc();
        await trackActivationUsage(this, ctx, doc._id);
        Object.assign(ctx.meta, { $statusCode: 201, $location: `/api/license/${doc._id}/devices` });
      }
      return {
        success: true,
        device_id: activation.id,
        message: created ? 'Device registered successfully' : 'Device was already registered',
      };
    },
  }),

  /**
   * POST /api/license/:license_id/deactivate-device/:device_id. `license.deactivated` is announced
   * only when this call freed the seat (a second call is a success that changes nothing).
   */
  deactivateDevice: action({
    params: objectSchema({ license_id: ID_SCHEMA, device_id: ID_SCHEMA }, ['license_id', 'device_id']),
    async handler(ctx): Promise<{ success: true; message: string }> {
      const doc = await findLicense(ctx.params.license_id);
      const result = await ctx.call<DeactivationAnswer, { license_id: number; device_id: number }>(
        'device.deactivate',
        ctx.params,
      );
      if (result.changed) {
        await this.announce(ctx, 'license.deactivated', {
          license_id: doc._id,
          activation_id: ctx.params.device_id,
          customer_id: doc.customer_id,
        });
        await trackActivationUsage(this, ctx, doc._id);
      }
      return { success: result.success, message: result.message };
    },
  }),

  /** GET /api/sessions/active-count */
  activeSessions: action({
    params: objectSchema({}),
    async handler() {
      return { count: await this.sessions.liveCount() };
    },
  }),
};
