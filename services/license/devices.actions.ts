/**
 * The admin API's device routes (a device is an activation, docs/glossary.md) and the live session
 * count. The device service owns activations; these actions check the license first, then ask it.
 */
import type { ActivationAnswer } from '../device/contract.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { APP_VERSION_SCHEMA, HARDWARE_HASH_SCHEMA, ID_SCHEMA, MACHINE_NAME_SCHEMA } from '../../lib/core/schemas.ts';
import { toLicenseActivationAnswer } from './client.actions.ts';
import { findLicense } from './records.ts';
import type { LicenseThis } from './state.ts';

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
      if (created) Object.assign(ctx.meta, { $statusCode: 201, $location: `/api/license/${doc._id}/devices` });
      return {
        success: true,
        device_id: activation.id,
        message: created ? 'Device registered successfully' : 'Device was already registered',
      };
    },
  }),

  /** POST /api/license/:license_id/deactivate-device/:device_id */
  deactivateDevice: action({
    params: objectSchema({ license_id: ID_SCHEMA, device_id: ID_SCHEMA }, ['license_id', 'device_id']),
    async handler(ctx) {
      await findLicense(ctx.params.license_id);
      return ctx.call('device.deactivate', ctx.params);
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
