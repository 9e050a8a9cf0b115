/** The client apps' version API (services/api/routes/client.routes.ts): the latest release, update checks. */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { LICENSE_KEY_SCHEMA } from '../../lib/core/schemas.ts';
import { NotFoundError } from '../../lib/core/errors.ts';
import { updateFor, type ReleaseInfo, type UpdateAnswer } from '../../lib/domain/releases.ts';
import type { VersionThis } from './state.ts';
import { VERSION_SCHEMA } from './schemas.ts';

const action = actionFor<VersionThis>();

export const clientActions = {
  /** GET /api/version/latest */
  latest: action({
    params: objectSchema({}),
    async handler(): Promise<ReleaseInfo> {
      const [latest] = await this.releases.get();
      if (!latest) throw new NotFoundError('No release has been published yet', 'NO_RELEASE');
      return latest;
    },
  }),

  /** POST /api/version/check */
  check: action({
    params: objectSchema({ current_version: VERSION_SCHEMA, license_key: LICENSE_KEY_SCHEMA }, ['current_version']),
    async handler(ctx): Promise<UpdateAnswer> {
      return updateFor(await this.releases.get(), ctx.params.current_version);
    },
  }),
};
