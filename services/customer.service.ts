/**
 * Customers: the admin API's customer routes (customer/admin.actions.ts), plus what other services ask
 * about customers (customer/internal.actions.ts: `statuses` for the license service's views, `search`
 * for the global search), and the Admin Panel's paged list (customer/list.actions.ts).
 *
 * Every change is announced once as a fact (`customer.created`, `customer.updated`,
 * `customer.deleted` with `customer_id`). An update or a deletion first makes every license node drop
 * its verify views and waits for them, so a disabled customer's licenses stop verifying at the very
 * next verify, on every replica.
 */
import { dbMixin } from '../mixins/db.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { viewInvalidationMixin } from '../mixins/view-invalidation.mixin.ts';
import { CustomerModel } from '../models/customer.model.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { CustomerThis } from './customer/state.ts';
import { adminActions } from './customer/admin.actions.ts';
import { internalActions } from './customer/internal.actions.ts';
import { listActions } from './customer/list.actions.ts';

const CustomerService: ServiceSchemaOf<CustomerThis> = {
  name: 'customer',
  mixins: [dbMixin([CustomerModel]), factsMixin(), viewInvalidationMixin()],

  actions: { ...adminActions, ...internalActions, ...listActions },
};

export default CustomerService;
