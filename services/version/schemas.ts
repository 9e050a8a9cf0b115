/** A release's version string, as both the client update check and the admin publish take it. */
import type { JsonSchema } from '../../lib/core/validation.ts';
import { SEMVER_PATTERN } from '../../lib/domain/releases.ts';

export const VERSION_SCHEMA = {
  type: 'string',
  pattern: SEMVER_PATTERN,
  maxLength: 64,
  example: '1.0.0',
} as const satisfies JsonSchema;
