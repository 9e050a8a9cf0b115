/**
 * What the security suite (test/integration/security.test.ts) needs to attack every route of the
 * OpenAPI document without knowing it in advance: the operations with their auth and role, sample
 * values from their parameter schemas (the base of each attack), values of a wrong type, and checks of
 * an answer (the common error format, nothing internal in it).
 */
import { expect } from 'chai';
import type { HttpAnswer } from './system.ts';

export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  example?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maxLength?: number;
  minLength?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
}

export interface Operation {
  method: string;
  /** OpenAPI path, `{name}` parameters. */
  path: string;
  operationId: string;
  auth: 'none' | 'apiKey' | 'bearer';
  role: 'viewer' | 'admin' | null;
  pathParams: string[];
  query: Record<string, Schema>;
  body: Schema | null;
}

interface OpenApiOperation {
  operationId: string;
  security?: Array<Record<string, unknown>>;
  'x-required-role'?: 'viewer' | 'admin';
  parameters?: Array<{ name: string; in: string; schema: Schema }>;
  requestBody?: { content: { 'application/json': { schema: Schema } } };
}

export function operationsOf(doc: { paths: Record<string, Record<string, OpenApiOperation>> }): Operation[] {
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const scheme = op.security?.[0] ? Object.keys(op.security[0])[0] : undefined;
      const params = op.parameters ?? [];
      found.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        auth: scheme === 'ApiKey' ? 'apiKey' : scheme === 'BearerAuth' ? 'bearer' : 'none',
        role: op['x-required-role'] ?? null,
        pathParams: params.filter(p => p.in === 'path').map(p => p.name),
        query: Object.fromEntries(params.filter(p => p.in === 'query').map(p => [p.name, p.schema])),
        body: op.requestBody?.content['application/json'].schema ?? null,
      });
    }
  }
  return found;
}

function types(schema: Schema): string[] {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.flatMap(types);
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

/** Whether the schema lets an object through (an operator object is then a legitimate value). */
export function acceptsObject(schema: Schema): boolean {
  const t = types(schema);
  return t.length === 0 || t.includes('object');
}

/** A plausible value for a schema: its example, first enum value, or one built from its type. */
export function sample(schema: Schema, name = ''): unknown {
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return sample(alternatives[0]!, name);
  const type = types(schema)[0];
  if (type === 'integer' || type === 'number') return Math.max(1, schema.minimum ?? 1);
  if (type === 'boolean') return true;
  if (type === 'null') return null;
  if (type === 'array')
    return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items ?? {}));
  if (type === 'object') {
    const out: Record<string, unknown> = {};
    for (const field of schema.required ?? []) out[field] = sample(schema.properties?.[field] ?? {}, field);
    return out;
  }
  if (schema.format === 'date' || /date|until|from/.test(name)) return '2030-01-01';
  if (schema.format === 'email' || name.includes('email')) return 'probe@example.com';
  if (schema.format === 'uri' || name === 'url') return 'https://example.com/hook';
  if (schema.pattern?.includes('[A-Z')) return 'ACEF-ACEF-ACEF-ACEF';
  return 'probe';
}

/** A value of a type the schema does not take. */
export function wrongType(schema: Schema): unknown {
  const t = types(schema);
  if (!t.includes('boolean')) return true;
  if (!t.includes('integer') && !t.includes('number')) return 12345;
  return ['not', 'this'];
}

/**
 * A query value the schema does not take, as a query string can send it: words where a number or a
 * boolean is expected, the key twice (a list) where one string is.
 */
export function wrongQueryValue(schema: Schema): string | string[] {
  const t = types(schema);
  if (t.includes('integer') || t.includes('number')) return 'not-a-number';
  if (t.includes('boolean')) return 'maybe';
  if (schema.enum) return 'not-one-of-them';
  return ['twice', 'given'];
}

/** A body with every required field sampled (and optional ones too, when `all`). */
export function sampleBody(schema: Schema, all = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, prop] of Object.entries(schema.properties ?? {})) {
    if (all || schema.required?.includes(field)) out[field] = sample(prop, field);
  }
  return out;
}

/** Signs of internals that no answer may show: stack frames, file paths, driver and runtime errors. */
const INTERNALS =
  /\bat \S+ \(|node_modules|\/work\/|\.ts:\d|Mongo[A-Z]|E11000|ioredis|ECONNREFUSED|TypeError|ReferenceError|SyntaxError|RangeError|\bstack\b/;

/** A 4xx in the reference's common format (or the API key's own body), with nothing internal in it. */
export function expectClientError(res: HttpAnswer, what: string, statuses: number[] = []): void {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).to.be.within(400, 499);
  if (statuses.length > 0) expect(statuses, `${what}: ${res.text.slice(0, 300)}`).to.include(res.status);
  expect(res.text, what).not.to.match(INTERNALS);
  if (res.status === 401 && res.body?.code === 'INVALID_API_KEY') {
    expect(res.body, what).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
    return;
  }
  expect(res.headers.get('content-type'), what).to.match(/^application\/json/);
  expect(res.body, what).to.have.all.keys('error');
  expect(res.body.error, what).to.have.all.keys('code', 'message', 'details');
}

/** Any answer: never a 5xx, never internals. */
export function expectNoServerError(res: HttpAnswer, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).to.be.below(500);
  expect(res.text, what).not.to.match(INTERNALS);
}
