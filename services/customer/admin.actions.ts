/**
 * The admin API's customer routes (services/api/routes/customer.routes.ts).
 *
 * Deletion is refused (409 CUSTOMER_HAS_LICENSES) while the customer has licenses: licenses carry the
 * business history (activations, allocations), so they are deleted deliberately first, never as a side
 * effect. The check and the delete are two steps (no transactions); a license created for the customer
 * in between is caught by a second look after the delete, which puts the customer back and refuses.
 */
import type { Context } from 'moleculer';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, PAGE_SCHEMA } from '../../lib/core/schemas.ts';
import { ConflictError, isDuplicateKeyError } from '../../lib/core/errors.ts';
import { CustomerModel, type CustomerDoc } from '../../models/customer.model.ts';
import { nextId } from '../../models/counter.model.ts';
import type { LicenseListEntry } from '../license/contract.ts';
import type { CustomerAnswer } from './contract.ts';
import type { CustomerThis } from './state.ts';
import { CUSTOMER_FIELDS, storedFields } from './fields.ts';
import { containsFilter, customerNotFound, emailExists, findCustomer, toCustomerAnswer } from './records.ts';

const action = actionFor<CustomerThis>();

/** Select2 pages: the limit bound keeps every answer small (PAGE_SCHEMA bounds `skip`). */
const PAGE_LIMIT_SCHEMA = { type: 'integer', minimum: 1, maximum: 100, default: 20 } as const satisfies JsonSchema;

const CUSTOMER_PARAMS = objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']);

function licensesOf(ctx: Context, customerId: number): Promise<LicenseListEntry[]> {
  return ctx.call<LicenseListEntry[], { customer_id: number }>('license.forCustomer', { customer_id: customerId });
}

/**
 * A changed or deleted customer may be in many verify views (its licenses'); every license node drops
 * those, and only those, before the answer goes out, so the next verify anywhere sees the change while
 * every other license's view stays warm. (A new customer is in no view yet.)
 */
function dropViewsOfCustomer(service: CustomerThis, customerId: number): Promise<void> {
  return service.dropLicenseViews({ customers: [customerId] });
}

export const adminActions = {
  /** POST /api/customers */
  create: action({
    params: objectSchema(CUSTOMER_FIELDS, ['name', 'email']),
    async handler(ctx): Promise<CustomerAnswer> {
      const now = new Date();
      let doc: CustomerDoc;
      try {
        const created = await CustomerModel.create({
          _id: await nextId('customer'),
          ...storedFields(ctx.params),
          created_at: now,
          updated_at: now,
        });
        doc = created.toObject();
      } catch (err) {
        if (isDuplicateKeyError(err)) throw emailExists();
        throw err;
      }
      ctx.meta.$location = `/api/customer/${doc._id}`;
      await this.announce(ctx, 'customer.created', { customer_id: doc._id });
      return toCustomerAnswer(doc);
    },
  }),

  /** GET /api/customer/:customer_id */
  read: action({
    params: CUSTOMER_PARAMS,
    async handler(ctx): Promise<{ customer: CustomerAnswer }> {
      return { customer: toCustomerAnswer(await findCustomer(ctx.params.customer_id)) };
    },
  }),

  /** PUT /api/customer/:customer_id: only the customer's own fields, at least one. */
  update: action({
    params: objectSchema({ customer_id: ID_SCHEMA, ...CUSTOMER_FIELDS }, ['customer_id'], { minProperties: 2 }),
    async handler(ctx) {
      const { customer_id: id, ...fields } = ctx.params;
      let doc: CustomerDoc | null;
      try {
        doc = await CustomerModel.findOneAndUpdate(
          { _id: id },
          { $set: { ...storedFields(fields), updated_at: new Date() } },
          { returnDocument: 'after', lean: true },
        );
      } catch (err) {
        if (isDuplicateKeyError(err)) throw emailExists();
        throw err;
      }
      if (!doc) throw customerNotFound(id);
      await dropViewsOfCustomer(this, id);
      await this.announce(ctx, 'customer.updated', { customer_id: id });
      return { success: true, message: 'Customer updated successfully', customer: toCustomerAnswer(doc) };
    },
  }),

  /** DELETE /api/customer/:customer_id: refused while the customer has licenses (see the header). */
  remove: action({
    params: CUSTOMER_PARAMS,
    async handler(ctx) {
      const id = ctx.params.customer_id;
      const refuse = (count: number) =>
        new ConflictError(`Customer ${id} still has ${count} licenses; delete them first`, 'CUSTOMER_HAS_LICENSES', {
          field: 'customer_id',
          reason: 'has_licenses',
          license_count: count,
        });
      const doc = await findCustomer(id);
      const before = await licensesOf(ctx, id);
      if (before.length > 0) throw refuse(before.length);
      const { deletedCount } = await CustomerModel.deleteOne({ _id: id });
      if (deletedCount === 0) throw customerNotFound(id);
      const late = await licensesOf(ctx, id);
      if (late.length > 0) {
        await CustomerModel.create(doc).catch((err: Error) => {
          this.logger.error('Could not restore a customer whose deletion raced with a new license', {
            customer_id: id,
            message: err.message,
          });
        });
        await dropViewsOfCustomer(this, id);
        throw refuse(late.length);
      }
      await dropViewsOfCustomer(this, id);
      await this.announce(ctx, 'customer.deleted', { customer_id: id });
      return { success: true, message: 'Customer deleted successfully' };
    },
  }),

  /** GET /api/customers: Select2 search on name and email, by name, `{results, pagination: {more}}`. */
  select: action({
    params: objectSchema({ q: { type: 'string', maxLength: 100 }, page: PAGE_SCHEMA, limit: PAGE_LIMIT_SCHEMA }),
    async handler(ctx) {
      const { page, limit } = ctx.params;
      const q = ctx.params.q?.trim() ?? '';
      // One extra document tells whether another page exists, without counting the collection.
      const docs = await CustomerModel.find(q ? containsFilter(q) : {}, { name: 1, email: 1 })
        .sort({ name_lower: 1, _id: 1 })
        .skip((page - 1) * limit)
        .limit(limit + 1)
        .lean();
      return {
        results: docs.slice(0, limit).map(d => ({ id: d._id, text: `${d.name} - ${d.email}` })),
        pagination: { more: docs.length > limit },
      };
    },
  }),

  /** GET /api/customer/:customer_id/licenses */
  licenses: action({
    params: CUSTOMER_PARAMS,
    async handler(ctx) {
      await findCustomer(ctx.params.customer_id);
      const licenses = await licensesOf(ctx, ctx.params.customer_id);
      return {
        licenses: licenses.map(l => ({
          id: l.id,
          license_key: l.license_key,
          type: l.type,
          status: l.status,
          valid_until: l.valid_until,
          max_activations: l.max_activations,
          current_activations: l.current_activations,
        })),
      };
    },
  }),

  /**
   * GET /api/customer/:customer_id/quick-stats. total_activations counts the active devices of all
   * the customer's licenses; total_users is the sum of max_users (concurrent sessions) of the licenses
   * that are active now (active flag set and not expired), i.e. the sessions the customer can run today.
   */
  quickStats: action({
    params: CUSTOMER_PARAMS,
    async handler(ctx) {
      await findCustomer(ctx.params.customer_id);
      const licenses = await licensesOf(ctx, ctx.params.customer_id);
      const active = licenses.filter(l => l.status === 'active');
      return {
        total_licenses: licenses.length,
        active_licenses: active.length,
        total_activations: licenses.reduce((sum, l) => sum + l.current_activations, 0),
        total_users: active.reduce((sum, l) => sum + l.max_users, 0),
      };
    },
  }),
};
