/**
 * The params an action receives, built once per request from the path, and the query string (GET,
 * DELETE) or the JSON body (other methods), never both: a query string cannot smuggle fields into a
 * body. Strings from the path and query are converted to the types the action's schema declares.
 */
import { AppError, ValidationError } from '../../lib/core/errors.ts';
import { isJsonSchema } from '../../lib/core/validation.ts';
import { coerceFromStrings } from './coerce.ts';
import type { GatewayRequest } from './request.ts';
import type { RouteSpec } from './routes/index.ts';

const METHODS_WITH_QUERY = new Set(['GET', 'DELETE']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Query keys that name an object's prototype: the query parser drops them silently, we refuse them. */
const PROTOTYPE_KEY = /(?:^|[[.])(?:__proto__|constructor|prototype)(?:[\].[]|$)/;

function refusePrototypeKeys(url: string | undefined): void {
  const query = url?.split('?')[1];
  if (!query) return;
  for (const pair of query.split('&')) {
    let key = pair.split('=')[0] ?? '';
    try {
      key = decodeURIComponent(key);
    } catch {
      // Left as sent: the parser drops what it cannot decode.
    }
    if (PROTOTYPE_KEY.test(key)) {
      throw new ValidationError(`${key} is not a parameter of this route`, { field: key, reason: 'unknown_field' });
    }
  }
}

export function buildParams(req: GatewayRequest, spec: RouteSpec): Record<string, unknown> {
  const raw = req.$params;
  let source: unknown;
  if (METHODS_WITH_QUERY.has(spec.method)) {
    refusePrototypeKeys(req.originalUrl ?? req.url);
    source = raw.query ?? {};
  } else {
    // json-body.ts reads only JSON: a body that was sent but not read had another type.
    const sent = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (raw.body === undefined && sent) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json');
    }
    source = raw.body ?? {};
  }
  if (!isPlainObject(source)) {
    throw new ValidationError('The request body must be a JSON object', { field: '', reason: 'type_invalid' });
  }
  const fromStrings: Record<string, unknown> = METHODS_WITH_QUERY.has(spec.method) ? { ...source } : {};
  for (const [name, value] of Object.entries(raw.params ?? {})) fromStrings[name] = value;
  const schema = req.$action?.params;
  const typed = isJsonSchema(schema) ? coerceFromStrings(fromStrings, schema) : fromStrings;
  return METHODS_WITH_QUERY.has(spec.method) ? typed : { ...source, ...typed };
}
