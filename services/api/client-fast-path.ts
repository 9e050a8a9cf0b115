/**
 * The client API's two hot routes, POST /api/license/verify and POST /api/license/heartbeat, answered by
 * the gateway's own request listener before moleculer-web sees them (CLIENT_FAST_PATH, on by default).
 *
 * It runs the same steps in the same order as every other route (request-pipeline.ts): security
 * headers and CORS, the JSON body, the deadline, the public rate limit, the API key, the params, the
 * action's own params schema; errors go through the same onError, requests into the same metrics. What
 * it skips is moleculer-web's generic work around them (the `rest` action's Context and middlewares,
 * alias matching, query parsing, the response encoder) and, when the license service runs in this
 * process and the answer is in memory, the broker call itself (lib/infra/local-answers.ts). Anything
 * else (another method, a query string, a trailing slash) is left to moleculer-web, which answers it
 * as before. docs/performance.md has the figures.
 *
 * A successful answer is written with one writeHead of a flat header list (the same headers the
 * general path sets one by one); an error answer sets them on the response and goes to onError.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { config } from '../../config/index.ts';
import { headerInt } from '../../lib/core/values.ts';
import { CallBatcher } from '../../lib/infra/call-batcher.ts';
import { assertActionParams, localAnswerer } from '../../lib/infra/local-answers.ts';
import type { LimitDecision } from '../../lib/infra/rate-limiter.ts';
import type { KeyMemo } from './api-key.ts';
import { clientIp, limitKeyOf } from './client-ip.ts';
import { API_SECURITY_HEADERS, answerCors, corsPolicy } from './front.ts';
import { jsonBody } from './json-body.ts';
import { applyLimit, setLimitHeaders } from './limits.ts';
import { buildParams } from './params.ts';
import { onError } from './request-pipeline.ts';
import type { GatewayRequest, HttpMeta } from './request.ts';
import { routeKey, type RouteSpec } from './routes/index.ts';
import type { GatewayThis } from './state.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const FAST_PATHS = ['/api/license/verify', '/api/license/heartbeat'];

/**
 * Actions whose calls to another node travel together (lib/infra/call-batcher.ts): the single action
 * and its batch action. A license service in this process answers its own calls instead.
 */
const BATCH_ACTIONS: Record<string, string> = { 'license.verify': 'license.verifyMany' };

/** The meta a client call carries (request-pipeline.ts): its absolute deadline, nothing else. */
type CallMeta = HttpMeta & { deadlineAt: number };

const SECURITY_HEADER_LIST = Object.entries(API_SECURITY_HEADERS).flat();
const JSON_TYPE = 'application/json; charset=utf-8';

/** What every request of the fast path shares. */
interface HotRoute {
  gw: GatewayThis;
  timeout: number;
  trustProxy: number;
  /** By single action (BATCH_ACTIONS). */
  batchers: Map<string, CallBatcher<Record<string, unknown>, unknown>>;
}

/** One request on its way through the fast path. */
interface Exchange {
  hot: HotRoute;
  spec: RouteSpec;
  req: GatewayRequest;
  res: ServerResponse;
  /** moleculer-web's request id: the client's X-Request-ID (or X-Correlation-ID), else a fresh one. */
  requestId: string;
  /** The public limit's decision, once counted: its headers go on every answer after it. */
  limit: LimitDecision | undefined;
  meta: CallMeta;
}

/**
 * Replaces moleculer-web's request listener on the gateway's server by one that answers the hot
 * routes itself and hands every other request to moleculer-web unchanged.
 */
export function installClientFastPath(gw: GatewayThis, httpHandler: Listener): void {
  const server = gw.server;
  if (!server || !server.listeners('request').includes(httpHandler)) {
    throw new Error('client fast path: moleculer-web request listener not found on the gateway server');
  }
  const routes = new Map<string, RouteSpec>();
  for (const path of FAST_PATHS) {
    const spec = gw.specs.get(routeKey('POST', path));
    if (!spec) throw new Error(`client fast path: ${path} is not in the route table`);
    routes.set(path, spec);
  }
  const cfg = config();
  const cors = corsPolicy(cfg.corsOrigins);
  const readBody = jsonBody(cfg.maxBodyBytes);
  const hot: HotRoute = {
    gw,
    timeout: cfg.clientRequestTimeoutMs,
    trustProxy: cfg.trustProxy,
    batchers: new Map(
      Object.entries(BATCH_ACTIONS).map(([single, many]) => [
        single,
        new CallBatcher<Record<string, unknown>, unknown>(gw.broker, many),
      ]),
    ),
  };

  const listener: Listener = (req, res) => {
    const spec = req.method === 'POST' ? routes.get(req.url ?? '') : undefined;
    if (!spec) {
      httpHandler(req, res);
      return;
    }
    const request = req as GatewayRequest;
    request.$startTime = process.hrtime();
    request.$spec = spec;
    request.originalUrl = req.url;
    const correlation = req.headers['x-correlation-id'] ?? req.headers['x-request-id'];
    const ex: Exchange = {
      hot,
      spec,
      req: request,
      res,
      requestId: typeof correlation === 'string' && correlation ? correlation : randomUUID(),
      limit: undefined,
      // One deadline for the whole request, counted from its arrival (request-pipeline.ts).
      meta: { deadlineAt: Date.now() + hot.timeout },
    };
    answerCors(cors, req, res);
    readBody(request, res, err => {
      if (err) fail(ex, err);
      else serve(ex);
    });
  };
  server.removeListener('request', httpHandler);
  server.on('request', listener);
}

/** The limit and the key (as onBeforeCall), then the answer: in memory, batched to another node, or called. */
function serve(ex: Exchange): void {
  const { hot, spec, req } = ex;
  const gw = hot.gw;
  let answer: unknown;
  try {
    const limit = gw.publicLimiter.hit(limitKeyOf(clientIp(req, hot.trustProxy)));
    ex.limit = limit;
    if (!limit.allowed) applyLimit(ex.res, limit);
    // Synchronous once the key's digest is in memory; only the first calls wait for it.
    if (!gw.apiKey.checkSync(req.headers['x-api-key'], req.socket as KeyMemo)) {
      gw.apiKey.check(req.headers['x-api-key']).then(
        () => callWithParams(ex),
        (err: unknown) => fail(ex, err),
      );
      return;
    }
    req.$params = { body: req.body };
    const params = buildParams(req, spec);
    const local = localAnswerer(gw.broker, spec.action);
    if (local) {
      assertActionParams(gw.broker, spec.action, local, params);
      answer = local.answer(params);
    }
    if (answer === undefined) {
      const batcher = local ? undefined : hot.batchers.get(spec.action);
      if (batcher) {
        batcher.call(params, ex.meta.deadlineAt).then(
          result => send(ex, result),
          (err: unknown) => fail(ex, err),
        );
      } else {
        callAction(ex, params);
      }
      return;
    }
  } catch (err) {
    fail(ex, err);
    return;
  }
  send(ex, answer);
}

/** After an API key check that had to wait: the params, then the action. */
function callWithParams(ex: Exchange): void {
  let params: Record<string, unknown>;
  try {
    ex.req.$params = { body: ex.req.body };
    params = buildParams(ex.req, ex.spec);
  } catch (err) {
    fail(ex, err);
    return;
  }
  callAction(ex, params);
}

/** The route's action through the broker, with what is left of the request's deadline. */
function callAction(ex: Exchange, params: Record<string, unknown>): void {
  const left = Math.max(1, ex.meta.deadlineAt - Date.now());
  ex.hot.gw.broker
    .call<unknown, Record<string, unknown>>(ex.spec.action, params, { timeout: left, retries: 0, meta: ex.meta })
    .then(
      answer => send(ex, answer),
      (err: unknown) => fail(ex, err),
    );
}

/** The error answer (request-pipeline.ts's onError) with the headers every answer of the route carries. */
function fail(ex: Exchange, err: unknown): void {
  const res = ex.res;
  if (!res.headersSent) {
    res.setHeader('X-Request-ID', ex.requestId);
    if (ex.limit) setLimitHeaders(res, ex.limit);
  }
  onError.call(ex.hot.gw, ex.req, res, err);
}

function send(ex: Exchange, answer: unknown): void {
  const { res, meta } = ex;
  if (res.headersSent) return;
  const status = meta.$statusCode ?? ex.spec.status ?? 200;
  ex.hot.gw.requestMetrics.record(ex.req, status);
  const body = JSON.stringify(answer);
  const limit = ex.limit!;
  const headers: string[] = [
    'X-Request-ID',
    ex.requestId,
    ...SECURITY_HEADER_LIST,
    'X-RateLimit-Limit',
    headerInt(limit.limit),
    'X-RateLimit-Remaining',
    headerInt(limit.remaining),
    'X-RateLimit-Reset',
    headerInt(limit.resetSeconds),
  ];
  // An action's own headers (the heartbeat's limit) replace the public limit's.
  const own = meta.$responseHeaders;
  if (own) {
    for (const name in own) {
      const at = headers.indexOf(name);
      if (at >= 0) headers.splice(at, 2);
      headers.push(name, own[name] as string);
    }
  }
  headers.push('Content-Type', JSON_TYPE, 'Content-Length', headerInt(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(body);
}

/** The paths answered here (the equivalence tests walk them). */
export const FAST_PATH_ROUTES: readonly string[] = FAST_PATHS;
