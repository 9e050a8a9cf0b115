/**
 * What every JSON API answer carries before anything else runs, whatever its status, and CORS.
 *
 * Security headers: an API answer is data, never a page: no content sniffing, a Content-Security-Policy
 * that allows nothing (a JSON body opened in a browser runs nothing, loads nothing and cannot be
 * framed), and no Referer sent onwards. The API reference page and its files set their own headers
 * (services/api/docs.ts) and the staff pages theirs (services/web/headers.ts); both replace these.
 *
 * CORS (CORS_ORIGINS, off when empty): a browser on an allowed origin may call the API with the
 * X-API-Key, Authorization and Content-Type headers. A preflight (OPTIONS with
 * Access-Control-Request-Method) is answered here, before rate limits and authentication, with 204;
 * an origin outside the list gets no Access-Control-Allow-* header, so the browser refuses the call.
 * Credentials (cookies) are never allowed across origins: the API authenticates by header, and the
 * pages, which use a cookie, are not served to other origins at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
});

const SECURITY_HEADER_ENTRIES = Object.entries(API_SECURITY_HEADERS);

export const CORS_ALLOWED_METHODS = 'GET, POST, PUT, DELETE';
export const CORS_ALLOWED_HEADERS = 'Content-Type, X-API-Key, Authorization';
/** Answer headers a browser script may read (limits, retries, where a creation went). */
const CORS_EXPOSED_HEADERS = 'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Location';
const CORS_MAX_AGE_SECONDS = '600';

export function setApiSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of SECURITY_HEADER_ENTRIES) res.setHeader(name, value);
}

export interface CorsPolicy {
  /** `*`: any origin (never with credentials); otherwise the exact origins allowed. */
  any: boolean;
  origins: ReadonlySet<string>;
}

export function corsPolicy(origins: readonly string[]): CorsPolicy | null {
  if (origins.length === 0) return null;
  return { any: origins.includes('*'), origins: new Set(origins) };
}

/**
 * Sets the CORS headers of an answer; true when this was a preflight, now answered (nothing else may
 * run for it: no limit is counted, no credential is asked for).
 */
export function answerCors(policy: CorsPolicy | null, req: IncomingMessage, res: ServerResponse): boolean {
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (policy) {
    // Caches must keep answers to different origins apart.
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (typeof origin === 'string' && (policy.any || policy.origins.has(origin))) {
      res.setHeader('Access-Control-Allow-Origin', policy.any ? '*' : origin);
      if (preflight) {
        res.setHeader('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS);
        res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
        res.setHeader('Access-Control-Max-Age', CORS_MAX_AGE_SECONDS);
      } else {
        res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
      }
    }
  }
  if (!preflight) return false;
  res.statusCode = 204;
  res.setHeader('Content-Length', '0');
  res.end();
  return true;
}

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next) => void;

/** The JSON API's first step: its headers, CORS, then the body reader. */
export function apiFront(policy: CorsPolicy | null, readBody: Middleware): Middleware {
  return function apiFrontStep(req, res, next) {
    setApiSecurityHeaders(res);
    if (answerCors(policy, req, res)) return;
    readBody(req, res, next);
  };
}
