/**
 * What other services ask about customers over the broker (`visibility: 'public'`, no HTTP route): the
 * global search, names and statuses for the license service's views, and the reference's test customer.
 */
import { config } from '../../config/index.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import { escapeRegex } from '../../lib/core/values.ts';
import { CustomerModel } from '../../models/customer.model.ts';
import { nextId } from '../../models/counter.model.ts';
import type { CustomerSearchAnswer, CustomerStatusAnswer } from './contract.ts';
import type { CustomerThis } from './state.ts';
import { containsFilter } from './records.ts';

const action = actionFor<CustomerThis>();

const TEST_CUSTOMER = { name: 'ACME Corp', email: 'admin@acme.com' } as const;

export const internalActions = {
  /**
   * Customers whose name or email contains the text, case-insensitively, best first: exact matches,
   * then prefixes, then the rest (each group by name). For the global search.
   */
  search: action({
    visibility: 'public',
    params: objectSchema({ q: SEARCH_TEXT_SCHEMA, limit: { type: 'integer', minimum: 1, maximum: 100 } }, [
      'q',
      'limit',
    ]),
    async handler(ctx): Promise<CustomerSearchAnswer[]> {
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
  }),

  /** Name and status of some customers (those not found are left out), for the license service's views. */
  statuses: action({
    visibility: 'public',
    params: objectSchema({ ids: { type: 'array', items: ID_SCHEMA, maxItems: 1000 } }, ['ids']),
    async handler(ctx): Promise<CustomerStatusAnswer[]> {
      const docs = await CustomerModel.find(
        { _id: { $in: ctx.params.ids } },
        { name: 1, email: 1, is_active: 1 },
      ).lean();
      return docs.map(d => ({ id: d._id, name: d.name, email: d.email, is_active: d.is_active }));
    },
  }),

  /** The reference's test customer (development and test data); its id, null in production. */
  ensureTestCustomer: action({
    visibility: 'public',
    params: objectSchema({}),
    async handler(): Promise<number | null> {
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
  }),
};
