/**
 * The customer list of the Admin Panel (broker only, no HTTP route): the Select2 search's match on
 * name and email, plus the company, filtered by status, counted and paged. The Select2 route keeps
 * its own answer shape (`{results, pagination: {more}}`), which has no total and no fields to show.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { PAGE_SCHEMA } from '../../lib/core/schemas.ts';
import { escapeRegex, pagination } from '../../lib/core/values.ts';
import { CustomerModel } from '../../models/customer.model.ts';
import type { CustomerAnswer } from './contract.ts';
import { containsFilter, toCustomerAnswer } from './records.ts';
import type { CustomerThis } from './state.ts';

const action = actionFor<CustomerThis>();

const LIMIT_SCHEMA = { type: 'integer', minimum: 1, maximum: 100, default: 25 } as const satisfies JsonSchema;
export const CUSTOMER_LIST_STATUSES = ['active', 'inactive'] as const;

export interface CustomerListAnswer {
  customers: CustomerAnswer[];
  pagination: ReturnType<typeof pagination>;
}

/** Name or email (the Select2 match, on the stored lower-case copies) or company containing the text. */
function textFilter(q: string): Record<string, unknown> {
  const names = containsFilter(q).$or as Record<string, unknown>[];
  // The company has no lower-case copy: a case-insensitive match of the escaped text.
  return { $or: [...names, { company: { $regex: escapeRegex(q), $options: 'i' } }] };
}

export const listActions = {
  /** Customers by name (then id), matching `q` on name, email or company, `status` active or inactive. */
  list: action({
    visibility: 'public',
    params: objectSchema({
      q: { type: 'string', maxLength: 100 },
      status: { type: 'string', enum: [...CUSTOMER_LIST_STATUSES] },
      page: PAGE_SCHEMA,
      limit: LIMIT_SCHEMA,
    }),
    async handler(ctx): Promise<CustomerListAnswer> {
      const { page, limit, status } = ctx.params;
      const q = ctx.params.q?.trim() ?? '';
      const filter: Record<string, unknown> = {
        ...(q ? textFilter(q) : {}),
        ...(status !== undefined ? { is_active: status === 'active' } : {}),
      };
      const [total, docs] = await Promise.all([
        CustomerModel.countDocuments(filter),
        CustomerModel.find(filter)
          .sort({ name_lower: 1, _id: 1 })
          .skip((page - 1) * limit)
          .limit(limit)
          .lean(),
      ]);
      return { customers: docs.map(toCustomerAnswer), pagination: pagination(page, limit, total) };
    },
  }),
};
