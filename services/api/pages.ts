/**
 * What the gateway does for the staff's HTML pages (PAGE_ROUTES), instead of tokens and JSON:
 *   - every answer carries the pages' security headers (services/web/headers.ts);
 *   - the session cookie becomes the same principal the admin API uses (ctx.meta.principal), so the
 *     page handlers call the same actions under the same role rules; without a session a page
 *     answers 303 to /login?next=<the page>; a viewer on an admin page (every form) gets 403;
 *   - every POST carries the CSRF token of its session (of the login page's cookie for the login
 *     form), compared in constant time: missing or wrong, 403 and nothing happens;
 *   - params come from the query string (GET) or the form (POST), never both, path params on top;
 *   - errors become HTML pages, never the API's JSON.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'moleculer';
import { config } from '../../config/index.ts';
import { AppError, ForbiddenError, UnauthorizedError, ValidationError } from '../../lib/core/errors.ts';
import { isJsonSchema } from '../../lib/core/validation.ts';
import { errorPageText } from '../web/error-page.ts';
import { HTML_TYPE, PAGE_HEADERS } from '../web/headers.ts';
import { sealPrincipal } from '../../lib/security/principal-proof.ts';
import { cookieNames, readCookie, secretsEqual, setCookie, type PageSession } from '../web/sessions.ts';
import { stashUploads } from '../web/uploads.ts';
import { coerceFromStrings } from './coerce.ts';
import { applyLimit, sessionLimitKey } from './limits.ts';
import { toHttpError } from './http-errors.ts';
import type { GatewayRequest } from './request.ts';
import type { RouteSpec } from './routes/index.ts';
import type { GatewayThis } from './state.ts';

const CSRF_FIELD = '_csrf';

/** What a page handler finds in ctx.meta besides the principal. */
export interface PageMetaSession {
  key: PageSession['key'];
  csrf: PageSession['csrf'];
}

function secureCookies(): boolean {
  return config().isProduction;
}

function csrfRefused(): ForbiddenError {
  return new ForbiddenError(
    'This form has expired or did not come from this site. Go back, reload the page and try again.',
    'CSRF_TOKEN_INVALID',
  );
}

export async function preparePage(
  gateway: GatewayThis,
  ctx: Context,
  req: GatewayRequest,
  res: ServerResponse,
  spec: RouteSpec,
): Promise<void> {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value);
  const meta = ctx.meta as Record<string, unknown>;
  const names = cookieNames(secureCookies());
  let form: Record<string, unknown> | null;
  if (spec.auth === 'none') {
    form = spec.method === 'POST' ? formOf(req, spec) : null;
    // The login form: a double-submit token, set as a cookie by the login page.
    if (form && !secretsEqual(form[CSRF_FIELD], readCookie(req.headers.cookie, names.loginCsrf) ?? '')) {
      throw csrfRefused();
    }
  } else {
    const session = await gateway.sessions.resolve(readCookie(req.headers.cookie, names.session));
    if (!session) throw new UnauthorizedError('Sign in to see this page');
    // Per session, once it is known to exist (the client IP was counted before, pipeline).
    applyLimit(res, gateway.adminLimiter.hit(sessionLimitKey(session.key)));
    // Sealed like a token's principal: sensitive actions check it (lib/security/principal-proof.ts).
    meta.principal = sealPrincipal(session.principal);
    meta.session = { key: session.key, csrf: session.csrf } satisfies PageMetaSession;
    form = spec.method === 'POST' ? formOf(req, spec) : null;
    if (form && !secretsEqual(form[CSRF_FIELD], session.csrf)) throw csrfRefused();
    if (spec.auth === 'pageAdmin' && session.principal.role !== 'admin') {
      throw new ForbiddenError('Your account can only read: changes need the admin role.');
    }
    // Checked, so worth keeping: the file waits in Redis, the call carries its key (web/uploads.ts).
    if (form && spec.body === 'multipart') await stashUploads(gateway.redis, form);
  }
  req.$params = pageParams(req, spec, form);
}

/** The form of a POST, or 415 when the body was of another type than the route takes. */
function formOf(req: GatewayRequest, spec: RouteSpec): Record<string, unknown> {
  const body = req.$params.body;
  const sent = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (body === undefined && sent) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      spec.body === 'multipart'
        ? 'The form must be sent as multipart/form-data'
        : 'The form must be sent as a web form',
    );
  }
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

function pageParams(
  req: GatewayRequest,
  spec: RouteSpec,
  form: Record<string, unknown> | null,
): Record<string, unknown> {
  const source: Record<string, unknown> = { ...(form ?? req.$params.query ?? {}) };
  delete source[CSRF_FIELD];
  const fromPath: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.$params.params ?? {})) fromPath[name] = value;
  const schema = req.$action?.params;
  const typedPath = isJsonSchema(schema) ? coerceFromStrings(fromPath, schema) : fromPath;
  if (spec.method === 'GET') {
    // Query values are strings: a list page converts them itself (a bad filter is ignored there).
    for (const [name, value] of Object.entries(source)) {
      if (typeof value !== 'string')
        throw new ValidationError(`${name} is given twice`, { field: name, reason: 'type_invalid' });
    }
  }
  return { ...source, ...typedPath };
}

/** A browser navigating (not a script or an API client): it asked for HTML first. */
export function wantsHtml(req: GatewayRequest): boolean {
  const url = req.url ?? '';
  return /^\s*text\/html/i.test(String(req.headers.accept ?? '')) && !url.startsWith('/api/');
}

/** Where a page without a session sends the browser: the login page, back to the page after it. */
function loginLocation(req: GatewayRequest): string {
  if (req.method !== 'GET') return '/login';
  const url = req.originalUrl ?? req.url ?? '/';
  return `/login?next=${encodeURIComponent(url)}`;
}

/** Sends the HTML answer of a failed page request; returns its status. */
export function sendPageError(req: GatewayRequest, res: ServerResponse, err: unknown): number {
  const answer = toHttpError(err);
  if (res.headersSent) return answer.status;
  for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  if (answer.status === 401 && req.$spec?.html) {
    res.statusCode = 303;
    res.setHeader('Location', loginLocation(req));
    // A cookie that named no live session is dropped, so the browser stops sending it.
    res.setHeader(
      'Set-Cookie',
      setCookie(cookieNames(secureCookies()).session, '', { secure: secureCookies(), maxAge: 0 }),
    );
    res.end();
    return 303;
  }
  const error = (answer.body as { error?: { message?: string } }).error;
  const principal = (req as { $ctx?: { meta?: { principal?: { username: string; role: 'admin' | 'viewer' } } } }).$ctx
    ?.meta?.principal;
  const csrf = (req as { $ctx?: { meta?: { session?: PageMetaSession } } }).$ctx?.meta?.session?.csrf;
  const viewer = principal && csrf ? { username: principal.username, role: principal.role, csrf } : null;
  res.statusCode = answer.status;
  res.setHeader('Content-Type', HTML_TYPE);
  res.end(errorPageText(answer.status, error?.message ?? 'The request failed.', viewer));
  return answer.status;
}
