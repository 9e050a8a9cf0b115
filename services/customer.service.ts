/**
 * Customers: the admin API's customer routes, plus what other services ask about customers
 * (`statuses` for the license service's views, `search` for the global search).
 *
 * Every change is announced once as a fact (`customer.created`, `customer.updated`,
 * `customer.deleted` with `customer_id`). An update or a deletion first makes every
 * license node drop its verify views and waits for them (lib/invalidation.ts), so a disabled customer's
 * licenses stop verifying at the very next verify, on every replica.
 *
 * Deletion is refused (409 CUSTOMER_HAS_LICENSES) while the customer has licenses: licenses carry the
 * business history (activations, allocations), so they are deleted deliberately first, never as a side
 * effect. The check and the delete are two steps (no transactions); a license created for the customer
 * in between is caught by a second look after the delete, which puts the customer back and refuses.
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import { config } from '../config/index.ts';
import type { CustomerAnswer, CustomerSearchAnswer } from './customer/contract.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { CUSTOMER_LIMITS, CustomerModel, type CustomerDoc } from '../models/customer.model.ts';
import { nextId } from '../models/counter.model.ts';
import { ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/core/errors.ts';
import { objectSchema, type JsonSchema } from '../lib/core/validation.ts';
import { ID_SCHEMA } from '../lib/core/schemas.ts';
import type { LicenseAnswer } from './license/contract.ts';
import { escapeRegex } from '../lib/core/values.ts';
import { dropLicenseViews } from '../mixins/view-invalidation.mixin.ts';

type CustomerLicense = LicenseAnswer & { current_activations: number };

interface CustomerThis extends Service {
  licensesOf(ctx: Context, customerId: number): Promise<CustomerLicense[]>;
  announce(ctx: Context, id: number, fact: 'customer.created' | 'customer.updated' | 'customer.deleted'): Promise<void>;
}

export const TEST_CUSTOMER = { name: 'ACME Corp', email: 'admin@acme.com' } as const;

interface CustomerFields {
  name?: string;
  email?: string;
  company?: string;
  phone?: string;
  notes?: string;
  is_active?: boolean;
}

// A name needs one visible character; surrounding blanks are trimmed before storing.
const NAME_SCHEMA: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: CUSTOMER_LIMITS.name,
  pattern: '\\S',
  example: 'ACME Corp',
};
const EMAIL_SCHEMA: JsonSchema = {
  type: 'string',
  format: 'email',
  maxLength: CUSTOMER_LIMITS.email,
  example: 'admin@acme.com',
};

/** The fields an admin may set; anything else (`_id`, `id`, `$set`, `created_at`, ...) is a 400. */
const CUSTOMER_FIELDS: Record<keyof CustomerFields, JsonSchema> = {
  name: NAME_SCHEMA,
  email: EMAIL_SCHEMA,
  company: { type: 'string', maxLength: CUSTOMER_LIMITS.company },
  phone: { type: 'string', maxLength: CUSTOMER_LIMITS.phone },
  notes: { type: 'string', maxLength: CUSTOMER_LIMITS.notes },
  is_active: { type: 'boolean' },
};

const SEARCH_TEXT_SCHEMA: JsonSchema = { type: 'string', minLength: 1, maxLength: 100 };

/** Select2 pages; the page bound keeps `skip` small, the limit bound keeps every answer small. */
const PAGE_SCHEMA: JsonSchema = { type: 'integer', minimum: 1, maximum: 10_000, default: 1 };
const PAGE_LIMIT_SCHEMA: JsonSchema = { type: 'integer', minimum: 1, maximum: 100, default: 20 };

function toOut(doc: CustomerDoc): CustomerAnswer {
  return {
    id: doc._id,
    name: doc.name,
    email: doc.email,
    company: doc.company ?? '',
    phone: doc.phone ?? '',
    notes: doc.notes ?? '',
    is_active: doc.is_active,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

function customerNotFound(id: number): NotFoundError {
  return new NotFoundError(`Customer ${id} not found`, 'CUSTOMER_NOT_FOUND', {
    field: 'customer_id',
    reason: 'not_found',
  });
}

function emailExists(): ConflictError {
  return new ConflictError('A customer with this email already exists', 'CUSTOMER_EMAIL_EXISTS', {
    field: 'email',
    reason: 'duplicate',
  });
}

async function findCustomer(id: number): Promise<CustomerDoc> {
  const doc = await CustomerModel.findById(id).lean();
  if (!doc) throw customerNotFound(id);
  return doc;
}

/** Stored values for the given fields, with the normalised copies the indexes use. */
function storedFields(p: CustomerFields): Partial<CustomerDoc> {
  const set: Partial<CustomerDoc> = {};
  if (p.name !== undefined) {
    set.name = p.name.trim();
    set.name_lower = set.name.toLowerCase();
  }
  if (p.email !== undefined) {
    set.email = p.email;
    set.email_lower = p.email.toLowerCase();
  }
  if (p.company !== undefined) set.company = p.company;
  if (p.phone !== undefined) set.phone = p.phone;
  if (p.notes !== undefined) set.notes = p.notes;
  if (p.is_active !== undefined) set.is_active = p.is_active;
  return set;
}

/** Name or email containing the (lower-cased, escaped) text: never a pattern or an operator. */
function containsFilter(q: string): Record<string, unknown> {
  const pattern = { $regex: escapeRegex(q.toLowerCase()) };
  return { $or: [{ name_lower: pattern }, { email_lower: pattern }] };
}

const CustomerService: ServiceSchema<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  CustomerThis
> = {
  name: 'customer',
  mixins: [dbMixin([CustomerModel])],

  actions: {
    /** POST /api/customers */
    create: {
      params: objectSchema(CUSTOMER_FIELDS, ['name', 'email']),
      async handler(this: CustomerThis, ctx: Context<CustomerFields & { name: string; email: string }>) {
        const now = new Date();
        try {
          const doc = await CustomerModel.create({
            _id: await nextId('customer'),
            ...storedFields(ctx.params),
            created_at: now,
            updated_at: now,
          });
          (ctx.meta as { $location?: string }).$location = `/api/customer/${doc._id}`;
          await this.announce(ctx, doc._id, 'customer.created');
          return toOut(doc.toObject());
        } catch (err) {
          if (isDuplicateKeyError(err)) throw emailExists();
          throw err;
        }
      },
    },

    /** GET /api/customer/:customer_id */
    read: {
      params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
      async handler(ctx: Context<{ customer_id: number }>) {
        return { customer: toOut(await findCustomer(ctx.params.customer_id)) };
      },
    },

    /** PUT /api/customer/:customer_id: only the customer's own fields, at least one. */
    update: {
      params: objectSchema({ customer_id: ID_SCHEMA, ...CUSTOMER_FIELDS }, ['customer_id'], { minProperties: 2 }),
      async handler(this: CustomerThis, ctx: Context<CustomerFields & { customer_id: number }>) {
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
        await this.announce(ctx, id, 'customer.updated');
        return { success: true, message: 'Customer updated successfully', customer: toOut(doc) };
      },
    },

    /** DELETE /api/customer/:customer_id: refused while the customer has licenses (see the header). */
    remove: {
      params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
      async handler(this: CustomerThis, ctx: Context<{ customer_id: number }>) {
        const id = ctx.params.customer_id;
        const refuse = (count: number) =>
          new ConflictError(`Customer ${id} still has ${count} licenses; delete them first`, 'CUSTOMER_HAS_LICENSES', {
            field: 'customer_id',
            reason: 'has_licenses',
            license_count: count,
          });
        const doc = await findCustomer(id);
        const before = await this.licensesOf(ctx, id);
        if (before.length > 0) throw refuse(before.length);
        const { deletedCount } = await CustomerModel.deleteOne({ _id: id });
        if (deletedCount === 0) throw customerNotFound(id);
        const late = await this.licensesOf(ctx, id);
        if (late.length > 0) {
          await CustomerModel.create(doc).catch((err: Error) => {
            this.logger.error('Could not restore a customer whose deletion raced with a new license', {
              customer_id: id,
              message: err.message,
            });
          });
          await dropLicenseViews(this.broker, { all: true });
          throw refuse(late.length);
        }
        await this.announce(ctx, id, 'customer.deleted');
        return { success: true, message: 'Customer deleted successfully' };
      },
    },

    /** GET /api/customers: Select2 search on name and email, by name, `{results, pagination: {more}}`. */
    select: {
      params: objectSchema({ q: { type: 'string', maxLength: 100 }, page: PAGE_SCHEMA, limit: PAGE_LIMIT_SCHEMA }),
      async handler(ctx: Context<{ q?: string; page: number; limit: number }>) {
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
    },

    /** GET /api/customer/:customer_id/licenses */
    licenses: {
      params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
      async handler(this: CustomerThis, ctx: Context<{ customer_id: number }>) {
        await findCustomer(ctx.params.customer_id);
        const licenses = await this.licensesOf(ctx, ctx.params.customer_id);
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
    },

    /**
     * GET /api/customer/:customer_id/quick-stats. total_activations counts the active devices of all
     * the customer's licenses; total_users is the sum of max_users (concurrent user seats) of the
     * licenses that are active now (active flag set and not expired), i.e. the seats the customer can
     * use today.
     */
    quickStats: {
      params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
      async handler(this: CustomerThis, ctx: Context<{ customer_id: number }>) {
        await findCustomer(ctx.params.customer_id);
        const licenses = await this.licensesOf(ctx, ctx.params.customer_id);
        const active = licenses.filter(l => l.status === 'active');
        return {
          total_licenses: licenses.length,
          active_licenses: active.length,
          total_activations: licenses.reduce((sum, l) => sum + l.current_activations, 0),
          total_users: active.reduce((sum, l) => sum + l.max_users, 0),
        };
      },
    },

    /**
     * Customers whose name or email contains the text, case-insensitively, best first: exact matches,
     * then prefixes, then the rest (each group by name). Internal: global search.
     */
    search: {
      visibility: 'public',
      params: objectSchema({ q: SEARCH_TEXT_SCHEMA, limit: { type: 'integer', minimum: 1, maximum: 100 } }, [
        'q',
        'limit',
      ]),
      async handler(ctx: Context<{ q: string; limit: number }>): Promise<CustomerSearchAnswer[]> {
        const { limit } = ctx.params;
        const lower = ctx.params.q.toLowerCase();
        const prefix = { $regex: `^${escapeRegex(lower)}` };
        const projection = { name: 1, email: 1, company: 1, is_active: 1 };
        // Three bounded queries instead of one: with many partial matches, a limit on a single
        // "contains" query could cut off the exact match the admin typed.
        const groups = await Promise.all(
          [
            { $or: [{ name_lower: lower }, { email_lower: lower }] },
            { $or: [{ name_lower: prefix }, { email_lower: prefix }] },
            containsFilter(lower),
          ].map(filter => CustomerModel.find(filter, projection).sort({ name_lower: 1, _id: 1 }).limit(limit).lean()),
        );
        const seen = new Set<number>();
        const matches: CustomerSearchAnswer[] = [];
        for (const doc of groups.flat()) {
          if (seen.has(doc._id) || matches.length >= limit) continue;
          seen.add(doc._id);
          matches.push({
            id: doc._id,
            name: doc.name,
            email: doc.email,
            company: doc.company ?? '',
            is_active: doc.is_active,
          });
        }
        return matches;
      },
    },

    /** Name and status of some customers, for the license service's views. Internal only. */
    statuses: {
      visibility: 'public',
      params: objectSchema({ ids: { type: 'array', items: ID_SCHEMA, maxItems: 1000 } }, ['ids']),
      async handler(ctx: Context<{ ids: number[] }>) {
        const docs = await CustomerModel.find(
          { _id: { $in: ctx.params.ids } },
          { name: 1, email: 1, is_active: 1 },
        ).lean();
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

  methods: {
    licensesOf(this: CustomerThis, ctx: Context, customerId: number) {
      return ctx.call<CustomerLicense[], { customer_id: number }>('license.forCustomer', { customer_id: customerId });
    },

    async announce(
      this: CustomerThis,
      ctx: Context,
      id: number,
      fact: 'customer.created' | 'customer.updated' | 'customer.deleted',
    ) {
      // A new customer is in no verify view yet; a changed or deleted one may be in many, and every
      // license node drops them before the answer goes out, so the next verify anywhere sees the change.
      if (fact !== 'customer.created') await dropLicenseViews(this.broker, { all: true });
      await ctx.emit(fact, { customer_id: id });
    },
  },
};

export default CustomerService as unknown as ServiceSchema;
