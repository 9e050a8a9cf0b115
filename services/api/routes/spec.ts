/**
 * The shape of a route and the builders every route list uses. A leaf module: the lists import it,
 * nothing here imports them.
 */

/**
 * none: public; apiKey: X-API-Key (client apps); viewer: any admin token; admin: admin role.
 * The staff's HTML pages (PAGE_ROUTES) are signed in with a session cookie instead of a token
 * (services/web/sessions.ts): page: any signed-in user; pageAdmin: the admin role.
 */
export const AUTH_KINDS = ['none', 'apiKey', 'viewer', 'admin', 'page', 'pageAdmin'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/**
 * Which shared limit applies: public 100/min per client IP; admin: 2000/min per client IP before
 * authentication, then 1000/min per verified token; page: the same per IP, then per session
 * (services/api/limits.ts).
 */
export const LIMIT_KINDS = ['none', 'public', 'admin', 'page'] as const;
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
  /** An HTML page (PAGE_ROUTES): form params, HTML errors, the pages' security headers. */
  html?: true;
  /** Page routes only: the body a POST takes (default `form`); `multipart` also takes one file. */
  body?: 'form' | 'multipart';
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

/** An HTML page open to everyone (the login page, its form, the pages' static files). */
export function publicPage(method: HttpMethod, path: string, action: string, summary: string): RouteSpec {
  return { method, path, action, auth: 'none', limit: 'public', tag: 'Pages', summary, html: true };
}

/** An HTML page any signed-in user may see (viewers read-only). */
export function staffPage(path: string, action: string, summary: string, tag: string): RouteSpec {
  return { method: 'GET', path, action, auth: 'page', limit: 'page', tag, summary, html: true };
}

/**
 * A form a page posts (with its CSRF token): the admin role, unless `anyRole` (logout); `multipart`
 * for the routes that take a file.
 */
export function staffForm(
  path: string,
  action: string,
  summary: string,
  tag: string,
  options: { anyRole?: boolean; body?: 'form' | 'multipart'; method?: 'GET' | 'POST' } = {},
): RouteSpec {
  return {
    method: options.method ?? 'POST',
    path,
    action,
    auth: options.anyRole ? 'page' : 'pageAdmin',
    limit: 'page',
    tag,
    summary,
    html: true,
    ...(options.body ? { body: options.body } : {}),
  };
}
