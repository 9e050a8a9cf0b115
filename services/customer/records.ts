/**
 * Reading customer records the way every customer action needs them: found or a 404 with the
 * catalogued code, matched by literal text, and shown as answers.
 */
import { ConflictError, NotFoundError } from '../../lib/core/errors.ts';
import { escapeRegex } from '../../lib/core/values.ts';
import { CustomerModel, type CustomerDoc } from '../../models/customer.model.ts';
import type { CustomerAnswer } from './contract.ts';

export function toCustomerAnswer(doc: CustomerDoc): CustomerAnswer {
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

export function customerNotFound(id: number): NotFoundError {
  return new NotFoundError(`Customer ${id} not found`, 'CUSTOMER_NOT_FOUND', {
    field: 'customer_id',
    reason: 'not_found',
  });
}

export function emailExists(): ConflictError {
  return new ConflictError('A customer with this email already exists', 'CUSTOMER_EMAIL_EXISTS', {
    field: 'email',
    reason: 'duplicate',
  });
}

export async function findCustomer(id: number): Promise<CustomerDoc> {
  const doc = await CustomerModel.findById(id).lean();
  if (!doc) throw customerNotFound(id);
  return doc;
}

/** Name or email containing the (lower-cased, escaped) text: never a pattern or an operator. */
export function containsFilter(q: string): Record<string, unknown> {
  const pattern = { $regex: escapeRegex(q.toLowerCase()) };
  return { $or: [{ name_lower: pattern }, { email_lower: pattern }] };
}
