/** What other nodes ask of the version service over the broker (`visibility: 'public'`, no HTTP route). */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import type { ReleaseInfo } from '../../lib/domain/releases.ts';
import type { VersionThis } from './state.ts';

const action = actionFor<VersionThis>();

export const internalActions = {
  /** Every release, newest first: what license.verify uses for its update fields. */
  all: action({
    visibility: 'public',
    params: objectSchema({}),
    handler(): Promise<ReleaseInfo[]> {
      return this.releases.get();
    },
  }),

  /** Drops this node's release list (the view-invalidation mixin calls it on every version node). */
  dropReleases: action({
    visibility: 'public',
    params: objectSchema({}),
    handler(): boolean {
      this.releases.drop();
      return true;
    },
  }),
};
