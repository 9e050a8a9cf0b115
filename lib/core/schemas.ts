/**
 * Param schemas shared by several actions. Every key and id is typed, so a query operator
 * (`{"$ne": null}`, `?license_key[$ne]=x`) fails validation before any handler runs.
 */
import type { JsonSchema } from './validation.ts';

export const LICENSE_KEY_PATTERN = '^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$';

export const LICENSE_KEY_SCHEMA = {
  type: 'string',
  pattern: LICENSE_KEY_PATTERN,
  'x-error-code': 'INVALID_LICENSE',
  example: 'TEST-TEST-TEST-TEST',
} as const satisfies JsonSchema;

export const HARDWARE_HASH_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^[\\x21-\\x7E]+$',
  example: 'unique-hardware-identifier',
} as const satisfies JsonSchema;

export const MACHINE_NAME_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  example: 'DESKTOP-ABC123',
} as const satisfies JsonSchema;

export const APP_VERSION_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  example: '1.0.0',
} as const satisfies JsonSchema;

export const ID_SCHEMA = {
  type: 'integer',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  example: 123,
} as const satisfies JsonSchema;

/** Free text of a search box: matched literally (escaped), bounded so a pattern stays cheap. */
export const SEARCH_TEXT_SCHEMA = { type: 'string', minLength: 1, maxLength: 100 } as const satisfies JsonSchema;

/** A calendar date (UTC), as the API shows valid_from / valid_until. */
export const DATE_SCHEMA = { type: 'string', format: 'date', example: '2027-01-01' } as const satisfies JsonSchema;

/** Page number of a list; bounded so that `skip` stays small. */
export const PAGE_SCHEMA = { type: 'integer', minimum: 1, maximum: 10_000, default: 1 } as const satisfies JsonSchema;

/** A license's seat limit (`max_activations`), as the license and device services both accept it. */
export const MAX_ACTIVATIONS_SCHEMA = { type: 'integer', minimum: 1, maximum: 100_000 } as const satisfies JsonSchema;
