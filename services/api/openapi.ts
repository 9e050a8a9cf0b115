/**
 * OpenAPI 3.1 document generated from the route table and the params schemas of the running actions,
 * so the document cannot drift from what the gateway validates.
 */
import type { AddressInfo } from 'node:net';
import type { RouteSpec } from './routes/index.ts';
import type { JsonSchema } from '../../lib/core/validation.ts';

export interface OpenApiServer {
  url: string;
  description: string;
}

export type OpenApiDocument = ReturnType<typeof buildOpenApi>;

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

/**
 * `/` first: a URL relative to wherever the document was fetched from, so "Try it out" in the API
 * reference works through a proxy, a load balancer or a port mapping, where this process's own address
 * is not what clients reach. Then the address this gateway really listens on (a wildcard host shown as
 * localhost), for a reader who has the document without knowing where it came from.
 */
export function serversFor(address: AddressInfo | string | null | undefined): OpenApiServer[] {
  const servers: OpenApiServer[] = [{ url: '/', description: 'The server this document was fetched from' }];
  if (address && typeof address === 'object') {
    const wildcard = address.address === '0.0.0.0' || address.address === '::';
    const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    servers.push({ url: `http://${host}:${address.port}`, description: 'The address this gateway listens on' });
  }
  return servers;
}

export function buildOpenApi(
  routes: RouteSpec[],
  paramsOf: (action: string) => JsonSchema | undefined,
  version: string,
  servers: OpenApiServer[],
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
      // Which role a token needs: tools (test/integration/security.test.ts) read it from here.
      operation['x-required-role'] = route.auth === 'admin' ? 'admin' : 'viewer';
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
    servers,
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
