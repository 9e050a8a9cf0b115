/**
 * What the gateway does around every call, as moleculer-web's route hooks (`this` is the service):
 * once per request and in this order, the deadline, the rate limits, authentication, then the params
 * from path + (query | body). Errors become HTTP answers in http-errors.ts only, and are logged here
 * without the URL (a URL can hold a license key). The client routes (verify, heartbeat) run through
 * here at high rates: nothing here allocates a closure or awaits when it need not.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'moleculer';
import { config } from '../../config/index.ts';
import { AppError } from '../../lib/core/errors.ts';
import { sealPrincipal } from '../../lib/security/principal-proof.ts';
import type { DeadlineMeta } from '../../lib/infra/expired-work.ts';
import { authenticateAdmin } from './admin-auth.ts';
import { clientIp, limitKeyOf } from './client-ip.ts';
import { setApiSecurityHeaders } from './front.ts';
import { toHttpError } from './http-errors.ts';
import { applyLimit, setLimitHeaders, tokenLimitKey } from './limits.ts';
import { preparePage, sendPageError, wantsHtml } from './pages.ts';
import { buildParams } from './params.ts';
import type { Alias, GatewayRequest, HttpMeta } from './request.ts';
import { allowedMethods } from './route-match.ts';
import { routeKey } from './routes/index.ts';
import type { GatewayThis } from './state.ts';

/** The rest action's context, whose sub-call (the route's action) takes its deadline from it. */
interface TimedContext {
  options: { timeout?: number | null };
  startHrTime?: [number, number] | null;
}

export async function onBeforeCall(
  this: GatewayThis,
  ctx: Context,
  _route: unknown,
  req: GatewayRequest,
  res: ServerResponse,
  alias: Alias,
): Promise<void> {
  const spec = (alias.$spec ??= this.specs.get(routeKey(alias.method, alias.fullPath)));
  if (!spec) throw new AppError('ROUTE_NOT_FOUND', 'No such route');
  req.$spec = spec;
  const cfg = config();
  // One deadline for the whole request, counted from its arrival: the route's action and every call
  // it makes get what is left (Moleculer's distributed timeouts), so a dependency that hangs costs a
  // client call CLIENT_REQUEST_TIMEOUT_MS at most, then a 503 with Retry-After.
  const timed = ctx as unknown as TimedContext;
  const timeout = spec.auth === 'apiKey' ? cfg.clientRequestTimeoutMs : cfg.requestTimeoutMs;
  timed.options.timeout = timeout;
  timed.startHrTime = req.$startTime ?? process.hrtime();
  // The same end, absolute, for the nodes the calls reach: they skip work that arrives too late
  // (lib/infra/expired-work.ts).
  (ctx.meta as DeadlineMeta).deadlineAt = Date.now() + timeout;
  const ip = clientIp(req, cfg.trustProxy);
  // Admin and login calls record the caller's IP (throttling, audit); client calls carry
  // nothing extra in ctx.meta, which travels with every call and answer over NATS.
  if (spec.auth !== 'apiKey') (ctx.meta as Record<string, unknown>).ip = ip;
  if (spec.limit === 'public') {
    applyLimit(res, this.publicLimiter.hit(limitKeyOf(ip)));
  } else if (spec.limit === 'admin' || spec.limit === 'page') {
    // Before any credential is looked at: a flood of made-up tokens or cookies is one address's flood.
    applyLimit(res, this.adminIpLimiter.hit(limitKeyOf(ip)));
  }
  if (spec.auth === 'apiKey') {
    // Client calls carry no principal (ctx.meta travels with every call and answer over NATS): only
    // their deadline.
    await this.apiKey.check(req.headers['x-api-key']);
  } else if (spec.html) {
    // HTML pages: session cookie, role, CSRF token and params from forms (pages.ts); the session's
    // own limit is counted there, once the session is known.
    await preparePage(this, ctx, req, res, spec);
    return;
  } else if (spec.auth !== 'none') {
    const principal = await authenticateAdmin(
      { broker: this.broker, redis: this.redis },
      req.headers.authorization,
      // Only viewer and admin reach here (pages returned above); anything else needs the admin role.
      spec.auth === 'viewer' ? 'viewer' : 'admin',
    );
    // Per verified token: a made-up bearer value never reaches this line.
    if (spec.limit === 'admin') applyLimit(res, this.adminLimiter.hit(tokenLimitKey(principal.tokenId)));
    // Sealed: the sensitive actions check the seal themselves (lib/security/principal-proof.ts).
    (ctx.meta as Record<string, unknown>).principal = sealPrincipal(principal);
  }
  req.$params = buildParams(req, spec);
}

export function onAfterCall(
  this: GatewayThis,
  ctx: Context<unknown, HttpMeta>,
  _route: unknown,
  req: GatewayRequest,
  _res: ServerResponse,
  data: unknown,
): unknown {
  const status = ctx.meta.$statusCode ?? req.$spec?.status ?? 200;
  ctx.meta.$statusCode = status;
  this.requestMetrics.record(req, status);
  return data;
}

/**
 * How a failed request is logged: the method and the route pattern, never the URL (a path or query can
 * hold a license key) and never a stack with request data. A 503 is a dependency's outage, already
 * visible in /health and the metrics: a warning per request, no stack; other 5xx are errors.
 */
export function logFailure(gateway: GatewayThis, req: GatewayRequest, status: number, err: unknown): void {
  if (status < 500) return;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    type?: unknown;
    message?: unknown;
  };
  const fields = {
    method: req.method,
    // The pattern (`/api/license/info/:license_key`), also when the call failed before onBeforeCall.
    route: req.$spec?.path ?? (req as { $alias?: { fullPath?: string } }).$alias?.fullPath ?? 'unmatched',
    status,
    error: typeof e.name === 'string' ? e.name : undefined,
    code: typeof e.type === 'string' ? e.type : undefined,
  };
  if (status !== 503) {
    gateway.logger.error('Request failed', fields);
    return;
  }
  // An outage answers every request of a route 503: one warning per route and 10 s, with the count.
  const key = `${fields.method} ${fields.route}`;
  const now = Date.now();
  const seen = unavailableLogs.get(key);
  if (seen && now - seen.at < UNAVAILABLE_LOG_EVERY_MS) {
    seen.unlogged += 1;
    return;
  }
  gateway.logger.warn('Request answered 503 (a dependency is unavailable)', {
    ...fields,
    ...(seen?.unlogged ? { more_503s_since_last_warning: seen.unlogged } : {}),
  });
  unavailableLogs.set(key, { at: now, unlogged: 0 });
}

/** Per method and route pattern (a bounded set): when a 503 was last logged, and how many since. */
const unavailableLogs = new Map<string, { at: number; unlogged: number }>();
const UNAVAILABLE_LOG_EVERY_MS = 10_000;

export function onError(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown): void {
  const answer = toHttpError(err);
  logFailure(this, req, answer.status, err);
  this.requestMetrics.record(req, answer.status);
  if (res.headersSent) return;
  res.statusCode = answer.status;
  // A limit enforced inside a service (heartbeats) reports its numbers in the error's details.
  const limit = (err as { data?: { limit?: number; reset?: number } }).data;
  if (answer.status === 429 && typeof limit?.limit === 'number') {
    setLimitHeaders(res, { limit: limit.limit, remaining: 0, resetSeconds: limit.reset ?? 60 });
  }
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  // Errors raised before the route's first step (no route matched, a wrong method) get them here.
  setApiSecurityHeaders(res);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

/** The page routes' error answer: an HTML page, or the way to the login page (pages.ts). */
export function onPageError(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown): void {
  const status = sendPageError(req, res, err);
  logFailure(this, req, status, err);
  this.requestMetrics.record(req, status);
}

/**
 * Replaces moleculer-web's own error log ("Request error!" with the stack and the error's data for
 * every 5xx): the answer goes out through onError / onPageError, which log it as logFailure says.
 */
export function errorHandler(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown): void {
  this.sendError(req, res, err);
}

/**
 * Replaces moleculer-web's send404: an unmatched path gets our error format and code, and a path that a
 * route serves under other methods gets 405 with Allow (route-match.ts).
 */
export function send404(this: GatewayThis, req: GatewayRequest, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const allowed = allowedMethods(this.aliases, (req as { parsedUrl?: string }).parsedUrl ?? path);
  const err =
    allowed.length > 0
      ? new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allowed.join(' or ')}`, {
          allowed,
        })
      : null;
  if (err) res.setHeader('Allow', allowed.join(', '));
  // A browser asking for a page that does not exist (or with another method) gets a page that says so.
  if (wantsHtml(req)) {
    this.requestMetrics.record(
      req,
      sendPageError(req, res, err ?? new AppError('ROUTE_NOT_FOUND', 'There is no page at this address.')),
    );
    return;
  }
  this.sendError(req, res, err ?? new AppError('ROUTE_NOT_FOUND', `No route for ${req.method} ${path}`));
}
