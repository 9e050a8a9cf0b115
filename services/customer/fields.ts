/**
 * The fields an admin may set on a customer, as param schemas (anything else, `_id`, `id`, `$set`,
 * `created_at`, ..., is a 400), and how they are stored: with the normalised copies that the
 * case-insensitive indexes, search and sorting use (models/customer.model.ts).
 */
import type { JsonSchema, ObjectSchema } from '../../lib/core/validation.ts';
import type { ParamsOf } from '../../lib/core/schema-types.ts';
import { CUSTOMER_LIMITS, type CustomerDoc } from '../../models/customer.model.ts';

// A name needs one visible character; surrounding blanks are trimmed before storing.
const NAME_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: CUSTOMER_LIMITS.name,
  pattern: '\\S',
  example: 'ACME Corp',
} as const satisfies JsonSchema;

const EMAIL_SCHEMA = {
  type: 'string',
  format: 'email',
  maxLength: CUSTOMER_LIMITS.email,
  example: 'admin@acme.com',
} as const satisfies JsonSchema;

export const CUSTOMER_FIELDS = {
  name: NAME_SCHEMA,
  email: EMAIL_SCHEMA,
  company: { type: 'string', maxLength: CUSTOMER_LIMITS.company },
  phone: { type: 'string', maxLength: CUSTOMER_LIMITS.phone },
  notes: { type: 'string', maxLength: CUSTOMER_LIMITS.notes },
  is_active: { type: 'boolean' },
} as const satisfies Record<string, JsonSchema>;

/** Some of the customer's own fields, as validated params carry them. */
export type CustomerFields = ParamsOf<ObjectSchema<typeof CUSTOMER_FIELDS, never>>;

/** Stored values for the given fields, with the normalised copies the indexes use. */
export function storedFields(p: CustomerFields): Partial<CustomerDoc> {
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
