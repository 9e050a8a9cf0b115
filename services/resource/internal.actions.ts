/** What other services ask of the resource service over the broker (`visibility: 'public'`, no HTTP route). */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { ResourceModel } from '../../models/resource.model.ts';
import type { ReleasedAnswer } from './contract.ts';
import type { ResourceThis } from './state.ts';
import { byLicense } from './records.ts';
import { releasedFields } from './allocation.ts';

const action = actionFor<ResourceThis>();

export const internalActions = {
  /** Releases everything allocated (or being allocated) to some licenses. Idempotent. License deletion calls it. */
  releaseForLicenses: action({
    visibility: 'public',
    params: objectSchema({ license_ids: { type: 'array', items: ID_SCHEMA, maxItems: 1000 } }, ['license_ids']),
    async handler(ctx): Promise<ReleasedAnswer> {
      if (ctx.params.license_ids.length === 0) return { released: 0 };
      const filter = { license_id: { $in: ctx.params.license_ids } };
      const committed = await ResourceModel.find({ ...filter, pending: false }, { license_id: 1 }).lean();
      const { modifiedCount } = await ResourceModel.updateMany(filter, { $set: releasedFields(new Date()) });
      // Claims still pending were never an allocation: only committed ones are announced as released.
      for (const [licenseId, resourceIds] of byLicense(committed)) {
        await this.announce(ctx, 'resource.released', { license_id: licenseId, resource_ids: resourceIds });
      }
      return { released: modifiedCount };
    },
  }),
};
