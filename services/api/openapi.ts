/**
 * OpenAPI 3.1 document generated from the route table and the params schemas of the running actions,
 * so the document cannot drift from what the gateway validates.
 */
import type { RouteSpec } from './routes/index.ts';
import type { JsonSchema } from '../../lib/core/validation.ts';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', example: 'VALIDATION_ERROR' },
        message: { type: 'string' },
        details: { type: 'object', example: { field: 'license_key', reason: 'format_invalid' } },
      },
      required: ['code', 'message', 'details'],
    },
  },
  required: ['error'],
};

const API_KEY_ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', const: 'Invalid or missing API key' },
    code: { type: 'string', const: 'INVALID_API_KEY' },
    status: { type: 'integer', const: 401 },
  },
  required: ['error', 'code', 'status'],
};

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map(m => m[1]!);
}

function errorRef(description: string, schema = 'Error') {
  return { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } };
}

export function buildOpenApi(
  routes: RouteSpec[],
  paramsOf: (action: string) => JsonSchema | undefined,
  version: string,
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const schema = paramsOf(route.action);
    const inPath = pathParamNames(route.path);
    const properties = schema?.properties ?? {};
    const required = new Set(schema?.required ?? []);
    const parameters: unknown[] = inPath.map(name => ({
      name,
      in: 'path',
      required: true,
      schema: properties[name] ?? { type: 'string' },
    }));
    const operation: Record<string, unknown> = {
      tags: [route.tag],
      summary: route.summary,
      operationId: route.action,
      parameters,
      responses: {
        [String(route.status ?? 200)]: {
          description: 'Success',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        400: errorRef('Invalid request (field and reason in details)'),
        ...(route.limit !== 'none' ? { 429: errorRef('Rate limit exceeded (Retry-After header)') } : {}),
        500: errorRef('Internal error'),
      },
    };
    const rest = Object.fromEntries(Object.entries(properties).filter(([name]) => !inPath.includes(name)));
    if (route.method === 'GET' || route.method === 'DELETE') {
      for (const [name, prop] of Object.entries(rest)) {
        parameters.push({ name, in: 'query', required: required.has(name), schema: prop });
      }
    } else if (schema) {
      operation.requestBody = {
        required: [...required].some(name => !inPath.includes(name)),
        content: {
          'application/json': {
            schema: { ...schema, properties: rest, required: [...required].filter(n => !inPath.includes(n)) },
          },
        },
      };
    }
    const responses = operation.responses as Record<string, unknown>;
    if (route.auth === 'apiKey') {
      operation.security = [{ ApiKey: [] }];
      responses[401] = errorRef('Missing or invalid API key', 'ApiKeyError');
    } else if (route.auth !== 'none') {
      operation.security = [{ BearerAuth: [] }];
      responses[401] = errorRef('Missing, invalid or expired token');
      responses[403] = errorRef(route.auth === 'admin' ? 'Requires the admin role' : 'Forbidden');
    }
    const key = toOpenApiPath(route.path);
    paths[key] ??= {};
    paths[key][route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'V2 License Server',
      version,
      description:
        'Client licensing API (X-API-Key), admin API (Bearer token) and operations endpoints. Ids are integers and opaque to clients.',
    },
    servers: [{ url: 'http://localhost:8080', description: 'Development' }],
    components: {
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: { Error: ERROR_SCHEMA, ApiKeyError: API_KEY_ERROR_SCHEMA },
    },
    paths,
  };
}
