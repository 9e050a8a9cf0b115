/**
 * The shape of a route and the builders every route list uses. A leaf module: the lists import it,
 * nothing here imports them.
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
  /** Status of a successful answer (201 for creations). */
  status?: number;
}

export function routeKey(method: string, fullPath: string): string {
  return `${method.toUpperCase()} ${fullPath}`;
}

export function operations(path: string, action: string, summary: string): RouteSpec {
  return { method: 'GET', path, action, auth: 'none', limit: 'none', tag: 'Operations', summary };
}

/** A page (or a file of a page) of the API reference: public, under the public limit per IP. */
export function page(path: string, action: string, summary: string): RouteSpec {
  return { method: 'GET', path, action, auth: 'none', limit: 'public', tag: 'Operations', summary };
}

export function client(
  method: HttpMethod,
  path: string,
  action: string,
  summary: string,
  tag = 'License API',
): RouteSpec {
  return { method, path, action, auth: 'apiKey', limit: 'public', tag, summary };
}

export function read(path: string, action: string, summary: string, tag: string): RouteSpec {
  return { method: 'GET', path, action, auth: 'viewer', limit: 'admin', tag, summary };
}

export function write(
  method: HttpMethod,
  path: string,
  action: string,
  summary: string,
  tag: string,
  status?: number,
): RouteSpec {
  return { method, path, action, auth: 'admin', limit: 'admin', tag, summary, ...(status ? { status } : {}) };
}
