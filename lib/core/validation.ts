/**
 * Action params are JSON Schemas, checked by ajv before a handler runs, on the node that runs the
 * action (so internal broker callers get the same checks as HTTP clients). The same schemas feed the
 * gateway's string coercion and the OpenAPI document.
 *
 * Only schemas with `type: "object"` are JSON Schemas; Moleculer's own internal actions ($node.*) keep
 * their fastest-validator shorthand and are left alone.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Validators, type ServiceBroker, type Context } from 'moleculer';
import { ValidationError } from './errors.ts';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  description?: string;
  'x-error-code'?: string;
  // Moleculer types action params as an index of `any`-like values; JSON Schema keywords fit it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [keyword: string]: any;
}

// ajv-formats is CommonJS with a default export; under nodenext its namespace object arrives.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true, verbose: true, coerceTypes: false });
addFormats(ajv);
// Annotations used by the error mapping and the OpenAPI document, not validation keywords.
ajv.addKeyword({ keyword: 'x-error-code', schemaType: 'string' });
ajv.addKeyword({ keyword: 'example', schemaType: ['string', 'number', 'boolean', 'object', 'array'] });

export function isJsonSchema(schema: unknown): schema is JsonSchema {
  return typeof schema === 'object' && schema !== null && (schema as JsonSchema).type === 'object';
}

const REASONS: Record<string, string> = {
  required: 'required',
  type: 'type_invalid',
  pattern: 'format_invalid',
  format: 'format_invalid',
  additionalProperties: 'unknown_field',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  exclusiveMinimum: 'out_of_range',
  exclusiveMaximum: 'out_of_range',
  enum: 'not_allowed',
  const: 'not_allowed',
  minLength: 'too_short',
  maxLength: 'too_long',
  minItems: 'too_few_items',
  maxItems: 'too_many_items',
  uniqueItems: 'duplicate_items',
  minProperties: 'empty',
};

function describe(field: string, reason: string, error: ErrorObject): string {
  const subject = field || 'the request';
  switch (reason) {
    case 'required':
      return `${subject} is required`;
    case 'unknown_field':
      return `${subject} is not an accepted field`;
    case 'type_invalid':
      return `${subject} must be of type ${String(error.params.type)}`;
    case 'format_invalid':
      return `${subject} has an invalid format`;
    default:
      return `${subject} ${error.message ?? 'is invalid'}`;
  }
}

/** Turns ajv's first error into the reference's error format: a code, a message and {field, reason}. */
export function toValidationError(error: ErrorObject): ValidationError {
  let field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') field = joinPath(field, String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') field = joinPath(field, String(error.params.additionalProperty));
  const reason = REASONS[error.keyword] ?? 'invalid';
  const parent = error.parentSchema;
  const propertyCode =
    error.keyword === 'required'
      ? parent?.properties?.[String(error.params.missingProperty)]?.['x-error-code']
      : parent?.['x-error-code'];
  const details: Record<string, unknown> = { field, reason };
  if (reason === 'not_allowed' && Array.isArray(error.params.allowedValues)) {
    details.allowed = error.params.allowedValues;
  }
  return new ValidationError(describe(field, reason, error), details, propertyCode ?? 'VALIDATION_ERROR');
}

function joinPath(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}

const compiled = new WeakMap<object, ValidateFunction>();

export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** Validates (and fills defaults into) `value`; throws ValidationError on the first problem. */
export function assertValid(schema: JsonSchema, value: unknown): void {
  const validate = compileSchema(schema);
  if (!validate(value)) throw toValidationError(validate.errors![0]!);
}

/** Moleculer validator plugged into the broker (moleculer.config.ts). */
export class AjvValidator extends Validators.Base {
  override compile(schema: Record<string, unknown>) {
    const validate = compileSchema(schema);
    return ((params: unknown) => validate(params) || (validate.errors ?? [])) as never;
  }

  override validate(params: Record<string, unknown>, schema: Record<string, unknown>): boolean {
    assertValid(schema, params);
    return true;
  }

  override convertSchemaToMoleculer(schema: Record<string, unknown>): Record<string, unknown> {
    return schema;
  }

  override middleware(_broker: ServiceBroker) {
    return {
      name: 'AjvValidator',
      localAction(handler: (ctx: Context) => unknown, action: { params?: unknown }) {
        const schema = action.params;
        if (!isJsonSchema(schema)) return handler;
        const validate = compileSchema(schema);
        return function validateParams(ctx: Context) {
          ctx.params ??= {};
          if (!validate(ctx.params)) return Promise.reject(toValidationError(validate.errors![0]!));
          return handler(ctx);
        };
      },
    } as never;
  }
}

/** An action's params schema: a closed object whose property schemas and required names are known to TS. */
export interface ObjectSchema<P extends Record<string, JsonSchema>, R extends string> extends JsonSchema {
  type: 'object';
  properties: P;
  required: R[];
  additionalProperties: false;
}

/**
 * Shorthand for the object schemas that every action declares. Declare shared field schemas
 * `as const satisfies JsonSchema`, so that `ParamsOf<typeof schema>` (lib/core/schema-types.ts) can
 * derive the params type from the schema itself.
 */
export function objectSchema<const P extends Record<string, JsonSchema>, const R extends keyof P & string = never>(
  properties: P,
  required: readonly R[] = [],
  extra: Partial<JsonSchema> = {},
): ObjectSchema<P, R> {
  // A deep copy: Moleculer drops an object that appears twice in one action's params when it sends the
  // action list to other nodes (shared field schemas such as ID_SCHEMA would vanish on the gateway).
  // (structuredClone would keep the shared references; a JSON round trip does not.)
  return JSON.parse(
    JSON.stringify({ type: 'object', properties, required, additionalProperties: false, ...extra }),
  ) as ObjectSchema<P, R>;
}
