/**
 * The HTTP surface: every documented route, the action behind it and who may call it. The gateway
 * builds its aliases from this table and the OpenAPI document is generated from it plus the actions'
 * params schemas, so a route exists in exactly one place.
 *
 * Params: GET and DELETE take the query string, other methods the JSON body (never both: a query
 * string cannot smuggle fields into a body); path params are added on top. Strings from the path and
 * query are converted to the types the action's schema declares.
 */

/** none: public; apiKey: X-API-Key (client apps); viewer: any admin token; admin: admin role. */
export const AUTH_KINDS = ['none', 'apiKey', 'viewer', 'admin'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/** Which shared limit applies: public 100/min per IP, admin 1000/min per token. */
export const LIMIT_KINDS = ['none', 'public', 'admin'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** moleculer-web path syntax: `/api/license/info/:license_key`. */
  path: string;
  action: string;
  auth: AuthKind;
  limit: LimitKind;
  tag: string;
  summary: string;
  /** Also limited per activation (heartbeats: 1/min per activation). */
  perActivation?: boolean;
  /** Status of a successful answer (201 for creations). */
  status?: number;
}

function client(method: HttpMethod, path: string, action: string, summary: string, tag = 'License API'): RouteSpec {
  return { method, path, action, auth: 'apiKey', limit: 'public', tag, summary };
}

function operations(path: string, action: string, summary: string): RouteSpec {
  return { method: 'GET', path, action, auth: 'none', limit: 'none', tag: 'Operations', summary };
}

export const ROUTES: RouteSpec[] = [
  operations('/', 'api.root', 'Service status'),
  operations('/health', 'api.health', 'Health of the service and its dependencies (503 when one is down)'),
  operations('/health/live', 'api.live', 'Liveness probe: the process answers'),
  operations('/health/ready', 'api.ready', 'Readiness probe: dependencies reachable (503 otherwise)'),
  operations('/metrics', 'api.metrics', 'Prometheus metrics (text format 0.0.4)'),
  operations('/api/docs/openapi.json', 'api.openapi', 'This OpenAPI 3.1 document'),

  // Client licensing API (X-API-Key).
  client('POST', '/api/license/activate', 'license.activate', 'Activate a license on a machine'),
  client('POST', '/api/license/verify', 'license.verify', 'Verify a license on this machine'),
  client('GET', '/api/license/info/:license_key', 'license.info', 'License information and activations'),
  { ...client('POST', '/api/license/heartbeat', 'device.heartbeat', 'Heartbeat of a running activation'), perActivation: true },
  client('POST', '/api/version/check', 'version.check', 'Check for an update', 'Version API'),
  client('GET', '/api/version/latest', 'version.latest', 'Latest release', 'Version API'),
  client('POST', '/api/v1/activate', 'license.activateLegacy', 'Activate (legacy client route)', 'Legacy client API'),
  client('POST', '/api/v1/validate', 'license.validateLegacy', 'Validate (legacy client route)', 'Legacy client API'),
];

export function routeKey(method: string, fullPath: string): string {
  return `${method.toUpperCase()} ${fullPath}`;
}
