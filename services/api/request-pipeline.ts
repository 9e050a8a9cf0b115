/**
 * What the gateway does around every call, as moleculer-web's route hooks (`this` is the service):
 * once per request and in this order, the shared rate limit, authentication, then the params from
 * path + (query | body). Errors become HTTP answers in http-errors.ts only. The client routes (verify,
 * heartbeat) run through here at high rates: nothing here allocates a closure or awaits when it need not.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'moleculer';
import { config } from '../../config/index.ts';
import { AppError, RateLimitError } from '../../lib/core/errors.ts';
import type { LimitDecision } from '../../lib/infra/rate-limiter.ts';
import { authenticateAdmin } from './admin-auth.ts';
import { toHttpError } from './http-errors.ts';
import { pageLimitKey, preparePage, sendPageError, wantsHtml } from './pages.ts';
import { buildParams } from './params.ts';
import type { Alias, GatewayRequest, HttpMeta } from './request.ts';
import { routeKey } from './routes/index.ts';
import type { GatewayThis } from './state.ts';

function clientIp(req: IncomingMessage): string {
  if (config().trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

function applyLimit(res: ServerResponse, decision: LimitDecision): void {
  res.setHeader('X-RateLimit-Limit', decision.limit);
  res.setHeader('X-RateLimit-Remaining', decision.remaining);
  res.setHeader('X-RateLimit-Reset', decision.resetSeconds);
  if (!decision.allowed) throw new RateLimitError(decision.resetSeconds);
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
  const ip = clientIp(req);
  // Admin and login calls record the caller's IP (throttling, audit); client calls carry
  // nothing extra in ctx.meta, which travels with every call and answer over NATS.
  if (spec.auth !== 'apiKey') (ctx.meta as Record<string, unknown>).ip = ip;
  if (spec.limit === 'public') {
    applyLimit(res, this.publicLimiter.hit(ip));
  } else if (spec.limit === 'admin') {
    // Per token; hashed so that no token sits in memory or Redis keys in clear.
    applyLimit(
      res,
      this.adminLimiter.hit(
        createHash('sha1')
          .update(String(req.headers.authorization ?? ''))
          .digest('hex'),
      ),
    );
  } else if (spec.limit === 'page') {
    // The admin figure per session (per IP before login), hashed like tokens.
    applyLimit(res, this.adminLimiter.hit(createHash('sha1').update(pageLimitKey(req, ip)).digest('hex')));
  }
  if (spec.auth === 'apiKey') {
    // Client calls carry no principal: ctx.meta travels with every call and answer over NATS.
    await this.apiKey.check(req.headers['x-api-key']);
  } else if (spec.html) {
    // HTML pages: session cookie, role, CSRF token and params from forms (pages.ts).
    await preparePage(this, ctx, req, res, spec);
    return;
  } else if (spec.auth !== 'none') {
    (ctx.meta as Record<string, unknown>).principal = await authenticateAdmin(
      { broker: this.broker, redis: this.redis },
      req.headers.authorization,
      // Only viewer and admin reach here (pages returned above); anything else needs the admin role.
      spec.auth === 'viewer' ? 'viewer' : 'admin',
    );
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

export function onError(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown): void {
  const answer = toHttpError(err);
  if (answer.status >= 500) {
    const e = err as { name?: string; message?: string; stack?: string };
    this.logger.error('Request failed', { method: req.method, url: req.url, error: e?.name, message: e?.message });
  }
  this.requestMetrics.record(req, answer.status);
  if (res.headersSent) return;
  res.statusCode = answer.status;
  // A limit enforced inside a service (heartbeats) reports its numbers in the error's details.
  const limit = (err as { data?: { limit?: number; reset?: number } }).data;
  if (answer.status === 429 && typeof limit?.limit === 'number') {
    res.setHeader('X-RateLimit-Limit', limit.limit);
    res.setHeader('X-RateLimit-Remaining', 0);
    res.setHeader('X-RateLimit-Reset', limit.reset ?? 60);
  }
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

/** The page routes' error answer: an HTML page, or the way to the login page (pages.ts). */
export function onPageError(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown): void {
  const status = sendPageError(req, res, err);
  if (status >= 500) {
    const e = err as { name?: string; message?: string };
    this.logger.error('Page request failed', { method: req.method, url: req.url, error: e?.name, message: e?.message });
  }
  this.requestMetrics.record(req, status);
}

/** Replaces moleculer-web's send404: an unmatched path gets our error format and code. */
export function send404(this: GatewayThis, req: GatewayRequest, res: ServerResponse): void {
  // A browser asking for a page that does not exist gets a page that says so.
  if (wantsHtml(req)) {
    this.requestMetrics.record(
      req,
      sendPageError(req, res, new AppError('ROUTE_NOT_FOUND', 'There is no page at this address.')),
    );
    return;
  }
  this.sendError(
    req,
    res,
    new AppError('ROUTE_NOT_FOUND', `No route for ${req.method} ${(req.url ?? '').split('?')[0]}`),
  );
}
