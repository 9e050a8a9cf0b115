/**
 * The HTTP surface: every documented route, the action behind it and who may call it. The gateway
 * builds its aliases from this table and the OpenAPI document is generated from it plus the actions'
 * params schemas, so a route exists in exactly one place.
 *
 * Params: GET and DELETE take the query string, other methods the JSON body (never both: a query
 * string cannot smuggle fields into a body); path params are added on top. Strings from the path and
 * query are converted to the types the action's schema declares.
 */

import { CLIENT_ROUTES, OPERATION_ROUTES } from './routes/client.routes.ts';
import { ADMIN_ROUTES } from './routes/admin.routes.ts';
import { LICENSE_ADMIN_ROUTES } from './routes/license-admin.routes.ts';
import { CUSTOMER_ROUTES } from './routes/customer.routes.ts';
import { RESOURCE_ROUTES } from './routes/resource.routes.ts';
import { SEARCH_ROUTES } from './routes/search.routes.ts';

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
  /** Status of a successful answer (201 for creations). */
  status?: number;
}

export const ROUTES: RouteSpec[] = [
  ...OPERATION_ROUTES,
  ...CLIENT_ROUTES,
  ...ADMIN_ROUTES,
  ...LICENSE_ADMIN_ROUTES,
  ...CUSTOMER_ROUTES,
  ...RESOURCE_ROUTES,
  ...SEARCH_ROUTES,
];

export function routeKey(method: string, fullPath: string): string {
  return `${method.toUpperCase()} ${fullPath}`;
}
