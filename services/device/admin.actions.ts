/**
 * What admins do to activations ("devices" in the admin routes): give a seat back. The license
 * service's deactivate-device route checks the license and calls it.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { NotFoundError } from '../../lib/core/errors.ts';
import { ActivationModel } from '../../models/activation.model.ts';
import type { DeactivationAnswer } from './contract.ts';
import type { DeviceThis } from './state.ts';
import { giveBackSeat } from './seats.ts';
import { deviceFact, dropViewsAfterSeatChange } from './changes.ts';

const action = actionFor<DeviceThis>();

const DEACTIVATE_PARAMS = objectSchema({ license_id: ID_SCHEMA, device_id: ID_SCHEMA }, ['license_id', 'device_id']);

export const adminActions = {
  /**
   * Gives a seat back. A device of another license is a 404, not a silent success; `changed` tells the
   * caller whether this call freed the seat, so facts are announced once per real change.
   */
  deactivate: action({
    params: DEACTIVATE_PARAMS,
    async handler(ctx): Promise<DeactivationAnswer> {
      const { license_id, device_id } = ctx.params;
      const doc = await giveBackSeat(license_id, device_id);
      if (doc) {
        await dropViewsAfterSeatChange(this, doc);
        await this.announce(ctx, 'device.deactivated', deviceFact(doc));
        return { success: true, message: 'Device deactivated successfully', changed: true };
      }
      const existing = await ActivationModel.exists({ _id: device_id, license_id });
      if (!existing) {
        throw new NotFoundError(`Device ${device_id} not found on license ${license_id}`, 'DEVICE_NOT_FOUND', {
          field: 'device_id',
          reason: 'not_found',
        });
      }
      return { success: true, message: 'Device was already deactivated', changed: false };
    },
  }),
};
