/**
 * The resource pool and its allocation to licenses: the admin API (resource/admin.actions.ts), and
 * releasing a deleted license's resources (resource/internal.actions.ts). An allocation is all or
 * nothing without transactions (resource/allocation.ts).
 *
 * Facts: `resource.allocated` and `resource.released` {license_id, resource_ids}, once per license and
 * request; `resource.created` and `resource.deleted` {resource_id}.
 */
import { dbMixin } from '../mixins/db.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { ResourceModel } from '../models/resource.model.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { ResourceThis } from './resource/state.ts';
import { adminActions } from './resource/admin.actions.ts';
import { internalActions } from './resource/internal.actions.ts';

const ResourceService: ServiceSchemaOf<ResourceThis> = {
  name: 'resource',
  mixins: [dbMixin([ResourceModel]), factsMixin()],

  actions: { ...adminActions, ...internalActions },
};

export default ResourceService;
