/**
 * Releases and update checks: the client apps' version API (version/client.actions.ts), publishing and
 * listing releases (version/admin.actions.ts), and the release list the license service's verify
 * answers use (version/internal.actions.ts). Every node keeps the list in memory
 * (version/release-list.ts); publishing a release drops it on every version and license node before
 * answering, and is announced as `release.published`.
 */
import { config } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { viewInvalidationMixin } from '../mixins/view-invalidation.mixin.ts';
import { ReleaseModel } from '../models/release.model.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { VersionThis } from './version/state.ts';
import { ReleaseList } from './version/release-list.ts';
import { seedReleases } from './version/seed.ts';
import { clientActions } from './version/client.actions.ts';
import { adminActions } from './version/admin.actions.ts';
import { internalActions } from './version/internal.actions.ts';

const VersionService: ServiceSchemaOf<VersionThis> = {
  name: 'version',
  mixins: [dbMixin([ReleaseModel]), factsMixin(), viewInvalidationMixin()],

  actions: { ...clientActions, ...adminActions, ...internalActions },

  created(this: VersionThis) {
    this.releases = new ReleaseList();
  },

  async started(this: VersionThis) {
    if (!config().isProduction) await seedReleases();
  },
};

export default VersionService;
