/**
 * Customers. Other services ask for a customer's name and status through `customer.status`, and drop
 * what they cached when `customer.changed` is broadcast.
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import { config } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { CustomerModel } from '../models/customer.model.ts';
import { nextId } from '../models/counter.model.ts';
import { isDuplicateKeyError } from '../lib/errors.ts';
import { objectSchema } from '../lib/validation.ts';
import { ID_SCHEMA } from '../lib/schemas.ts';

type CustomerThis = Service;

export const TEST_CUSTOMER = { name: 'ACME Corp', email: 'admin@acme.com' } as const;

const CustomerService: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, CustomerThis> = {
  name: 'customer',
  mixins: [dbMixin([CustomerModel])],

  actions: {
    /** Name and status of some customers, for the license service's views. Internal only. */
    statuses: {
      visibility: 'public',
      params: objectSchema({ ids: { type: 'array', items: ID_SCHEMA, maxItems: 1000 } }, ['ids']),
      async handler(ctx: Context<{ ids: number[] }>) {
        const docs = await CustomerModel.find({ _id: { $in: ctx.params.ids } }, { name: 1, email: 1, is_active: 1 }).lean();
        return docs.map(d => ({ id: d._id, name: d.name, email: d.email, is_active: d.is_active }));
      },
    },

    /** The reference's test customer (development and test data); returns its id. Internal only. */
    ensureTestCustomer: {
      visibility: 'public',
      params: objectSchema({}),
      async handler() {
        if (config().isProduction) return null;
        const email_lower = TEST_CUSTOMER.email.toLowerCase();
        const existing = await CustomerModel.findOne({ email_lower }, { _id: 1 }).lean();
        if (existing) return existing._id;
        try {
          const doc = await CustomerModel.create({
            _id: await nextId('customer'),
            name: TEST_CUSTOMER.name,
            name_lower: TEST_CUSTOMER.name.toLowerCase(),
            email: TEST_CUSTOMER.email,
            email_lower,
          });
          return doc._id;
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          return (await CustomerModel.findOne({ email_lower }, { _id: 1 }).lean())?._id ?? null;
        }
      },
    },
  },
};

export default CustomerService as unknown as ServiceSchema;
