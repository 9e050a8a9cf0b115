/**
 * Path and query values arrive as strings; the action's schema says what they should be. Only
 * unambiguous conversions are made (digits to integers, true/false to booleans); anything else is left
 * as it is for the schema to reject with a clear error.
 */
import type { JsonSchema } from '../../lib/core/validation.ts';

function typesOf(schema: JsonSchema | undefined): string[] {
  if (!schema?.type) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function convert(value: unknown, schema: JsonSchema | undefined): unknown {
  if (typeof value !== 'string') return value;
  const types = typesOf(schema);
  if (types.includes('string')) return value;
  if ((types.includes('integer') || types.includes('number')) && /^-?\d{1,15}$/.test(value)) return Number(value);
  if (types.includes('number') && /^-?\d{1,15}\.\d{1,15}$/.test(value)) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export function coerceFromStrings(values: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) out[name] = convert(value, schema.properties?.[name]);
  return out;
}
