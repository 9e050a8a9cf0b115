/**
 * Param schemas shared by several actions. Every key and id is typed, so a query operator
 * (`{"$ne": null}`, `?license_key[$ne]=x`) fails validation before any handler runs.
 */
import type { JsonSchema } from './validation.ts';

export const LICENSE_KEY_PATTERN = '^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$';

export const LICENSE_KEY_SCHEMA: JsonSchema = {
  type: 'string',
  pattern: LICENSE_KEY_PATTERN,
  'x-error-code': 'INVALID_LICENSE',
  example: 'TEST-TEST-TEST-TEST',
};

export const HARDWARE_HASH_SCHEMA: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^[\\x21-\\x7E]+$',
  example: 'unique-hardware-identifier',
};

export const MACHINE_NAME_SCHEMA: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  example: 'DESKTOP-ABC123',
};

export const APP_VERSION_SCHEMA: JsonSchema = { type: 'string', minLength: 1, maxLength: 64, example: '1.0.0' };

export const ID_SCHEMA: JsonSchema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 123 };
