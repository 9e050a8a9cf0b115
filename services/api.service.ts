/**
 * The HTTP gateway (moleculer-web). It maps the routes of lib/routes.ts onto actions and does, once
 * per request and in this order: shared rate limit, authentication, params from path + (query | body),
 * per-activation limit. Errors become HTTP answers in lib/http-errors.ts only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import ApiGateway from 'moleculer-web';
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { Redis } from 'ioredis';
import { config, TEST_CREDENTIALS } from '../config/index.ts';
import { ROUTES, routeKey, type RouteSpec } from './api/routes/index.ts';
import { CLIENT_ROUTES } from './api/routes/client.routes.ts';
import { toHttpError } from './api/http-errors.ts';
import { InvalidApiKeyError, RateLimitError, ValidationError, AppError } from '../lib/core/errors.ts';
import { authenticateAdmin } from './api/admin-auth.ts';
import { acquireRedis, pingRedis, releaseRedis } from '../lib/infra/redis.ts';
import { SyncedWindowLimiter, type LimitDecision } from '../lib/infra/rate-limiter.ts';
import { digestsEqual, hashApiKey } from '../lib/security/api-keys.ts';
import { renderMetrics } from '../lib/observability/metrics.ts';
import {
  hotMetrics,
  type CounterChild,
  type CounterFamily,
  type HistogramChild,
  type HistogramFamily,
} from '../lib/observability/hot-metrics.ts';
import { buildOpenApi } from './api/openapi.ts';
import { isJsonSchema, type JsonSchema } from '../lib/core/validation.ts';
import { coerceFromStrings } from './api/coerce.ts';
import { jsonBody } from './api/json-body.ts';

interface GatewayRequest extends IncomingMessage {
  $params: { body?: unknown; query?: Record<string, unknown>; params?: Record<string, string> } & Record<
    string,
    unknown
  >;
  $action?: { params?: unknown };
  $route?: unknown;
  $startTime?: [number, number];
  $spec?: RouteSpec;
  body?: unknown;
}

interface Alias {
  method: string;
  fullPath: string;
  /** Our route spec, remembered on moleculer-web's alias object after the first request. */
  $spec?: RouteSpec;
}

interface HealthReport {
  healthy: boolean;
  checks: { database: 'up' | 'down'; redis: 'up' | 'down'; broker: 'up' | 'down' };
}

interface GatewayThis extends Service {
  redis: Redis;
  specs: Map<string, RouteSpec>;
  publicLimiter: SyncedWindowLimiter;
  adminLimiter: SyncedWindowLimiter;
  apiKeyDigest: Buffer | null;
  apiKeyLoading: Promise<void> | null;
  /** Bumped by every rotation: a load that started before it must not store the old digest. */
  apiKeyGeneration: number;
  apiKeyTimer: NodeJS.Timeout | undefined;
  healthCache: { at: number; report: Promise<HealthReport> } | null;
  testKeyDigest: Buffer;
  httpRequests: CounterFamily;
  httpDuration: HistogramFamily;
  routeSeries: Map<string, { count: CounterChild; time: HistogramChild }>;
  loadApiKey(): Promise<void>;
  checkApiKey(header: unknown): Promise<void>;
  clientIp(req: IncomingMessage): string;
  applyLimit(res: ServerResponse, decision: LimitDecision): void;
  buildParams(req: GatewayRequest, spec: RouteSpec): Record<string, unknown>;
  dependencyHealth(): Promise<HealthReport>;
  recordRequest(req: GatewayRequest, res: ServerResponse, status: number): void;
}

const METHODS_WITH_QUERY = new Set(['GET', 'DELETE']);
const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

function aliasesFor(routes: RouteSpec[]): Record<string, string> {
  return Object.fromEntries(routes.map(r => [`${r.method} ${r.path}`, r.action]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function elapsedSeconds(start: [number, number] | undefined): number {
  if (!start) return 0;
  const [s, ns] = process.hrtime(start);
  return s + ns / 1e9;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- moleculer-web's settings are untyped
const ApiService: ServiceSchema<any, Record<string, any>, Record<string, any>, GatewayThis> & {
  merged(schema: ServiceSchema): void;
} = {
  name: 'api',
  mixins: [ApiGateway],

  settings: {
    // port, ip and the body limit are filled from config() in merged(), per service instance.
    // Explicit aliases only: nothing reachable that the route table does not name.
    routes: [
      {
        path: '',
        aliases: aliasesFor(ROUTES),
        mappingPolicy: 'restrict',
        autoAliases: false,
        mergeParams: false,
        authentication: false,
        authorization: false,
        bodyParsers: false,
        // lib/json-body.ts; filled in merged() with MAX_BODY_BYTES.
        use: [],
        logging: false,
        async onBeforeCall(
          this: GatewayThis,
          ctx: Context,
          _route: unknown,
          req: GatewayRequest,
          res: ServerResponse,
          alias: Alias,
        ) {
          const spec = (alias.$spec ??= this.specs.get(routeKey(alias.method, alias.fullPath)));
          if (!spec) throw new AppError('ROUTE_NOT_FOUND', 'No such route');
          req.$spec = spec;
          const ip = this.clientIp(req);
          // Admin and login calls record the caller's IP (throttling, audit); client calls carry
          // nothing extra in ctx.meta, which travels with every call and answer over NATS.
          if (spec.auth !== 'apiKey') (ctx.meta as Record<string, unknown>).ip = ip;
          if (spec.limit === 'public') {
            this.applyLimit(res, this.publicLimiter.hit(ip));
          } else if (spec.limit === 'admin') {
            // Per token; hashed so that no token sits in memory or Redis keys in clear.
            this.applyLimit(
              res,
              this.adminLimiter.hit(
                createHash('sha1')
                  .update(String(req.headers.authorization ?? ''))
                  .digest('hex'),
              ),
            );
          }
          if (spec.auth === 'apiKey') {
            // Client calls carry no principal: ctx.meta travels with every call and answer over NATS.
            await this.checkApiKey(req.headers['x-api-key']);
          } else if (spec.auth !== 'none') {
            (ctx.meta as Record<string, unknown>).principal = await authenticateAdmin(
              { broker: this.broker, redis: this.redis },
              req.headers.authorization,
              spec.auth,
            );
          }
          req.$params = this.buildParams(req, spec);
        },
        onAfterCall(
          this: GatewayThis,
          ctx: Context,
          _route: unknown,
          req: GatewayRequest,
          res: ServerResponse,
          data: unknown,
        ) {
          const status = (ctx.meta as { $statusCode?: number }).$statusCode ?? req.$spec?.status ?? 200;
          (ctx.meta as { $statusCode?: number }).$statusCode = status;
          this.recordRequest(req, res, status);
          return data;
        },
      },
    ],
    onError(this: GatewayThis, req: GatewayRequest, res: ServerResponse, err: unknown) {
      const answer = toHttpError(err);
      if (answer.status >= 500) {
        const e = err as { name?: string; message?: string; stack?: string };
        this.logger.error('Request failed', { method: req.method, url: req.url, error: e?.name, message: e?.message });
      }
      this.recordRequest(req, res, answer.status);
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
    },
  },

  merged(schema: ServiceSchema) {
    const cfg = config();
    const settings = schema.settings as { port: number; ip: string; routes: Array<{ use: unknown[] }> };
    settings.port = cfg.port;
    settings.ip = cfg.host;
    for (const route of settings.routes) route.use = [jsonBody(cfg.maxBodyBytes)];
  },

  actions: {
    // moleculer-web's HTTP entry action: never retried, since a retry would read an already consumed
    // request body and hang. Errors of the calls it makes are retried where they are made.
    rest: { retryPolicy: { enabled: false } },

    root() {
      return { status: 'ok', service: 'V2 License Server', timestamp: new Date().toISOString() };
    },

    async health(this: GatewayThis, ctx: Context) {
      const report = await this.dependencyHealth();
      if (!report.healthy) (ctx.meta as { $statusCode?: number }).$statusCode = 503;
      return {
        status: report.healthy ? 'healthy' : 'unhealthy',
        timestamp: new Date().toISOString(),
        checks: report.checks,
      };
    },

    live() {
      return { status: 'alive', timestamp: new Date().toISOString() };
    },

    async ready(this: GatewayThis, ctx: Context) {
      const report = await this.dependencyHealth();
      if (!report.healthy) (ctx.meta as { $statusCode?: number }).$statusCode = 503;
      return {
        status: report.healthy ? 'ready' : 'not_ready',
        timestamp: new Date().toISOString(),
        checks: report.checks,
      };
    },

    metrics(this: GatewayThis, ctx: Context) {
      (ctx.meta as { $responseType?: string }).$responseType = 'text/plain; version=0.0.4; charset=utf-8';
      return renderMetrics(this.broker);
    },

    openapi(this: GatewayThis) {
      const schemas = new Map<string, JsonSchema>();
      for (const item of this.broker.registry.getActionList({ skipInternal: true, withEndpoints: false }) as Array<{
        name: string;
        action?: { params?: unknown };
      }>) {
        if (isJsonSchema(item.action?.params)) schemas.set(item.name, item.action.params);
      }
      return buildOpenApi(ROUTES, action => schemas.get(action), process.env.npm_package_version ?? '0.1.0');
    },
  },

  events: {
    // Facts from the auth service: the system key changed, so every gateway drops the old one now.
    'apikey.rotated'(this: GatewayThis) {
      this.apiKeyGeneration += 1;
      this.apiKeyDigest = null;
      this.apiKeyLoading = null;
      void this.loadApiKey().catch(err =>
        this.logger.warn('Could not reload the API key', { message: (err as Error).message }),
      );
    },
  },

  methods: {
    async loadApiKey(this: GatewayThis) {
      this.apiKeyLoading ??= (async () => {
        const generation = this.apiKeyGeneration;
        try {
          const active = await this.broker.call<{ digest: string } | null>('auth.activeApiKeyDigest');
          if (generation === this.apiKeyGeneration) {
            this.apiKeyDigest = active ? Buffer.from(active.digest, 'hex') : Buffer.alloc(0);
          }
        } finally {
          if (generation === this.apiKeyGeneration) this.apiKeyLoading = null;
        }
      })();
      return this.apiKeyLoading;
    },

    async checkApiKey(this: GatewayThis, header: unknown) {
      if (typeof header !== 'string' || header.length === 0 || header.length > 256) throw new InvalidApiKeyError();
      if (!this.apiKeyDigest) await this.loadApiKey();
      const digest = hashApiKey(header);
      // The reference's test key never opens a production gateway, whatever the database holds.
      if (config().isProduction && digestsEqual(digest, this.testKeyDigest)) throw new InvalidApiKeyError();
      if (!this.apiKeyDigest || !digestsEqual(digest, this.apiKeyDigest)) throw new InvalidApiKeyError();
    },

    clientIp(req: IncomingMessage): string {
      if (config().trustProxy) {
        const forwarded = req.headers['x-forwarded-for'];
        const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
        if (first) return first;
      }
      return req.socket.remoteAddress ?? 'unknown';
    },

    applyLimit(res: ServerResponse, decision: LimitDecision) {
      res.setHeader('X-RateLimit-Limit', decision.limit);
      res.setHeader('X-RateLimit-Remaining', decision.remaining);
      res.setHeader('X-RateLimit-Reset', decision.resetSeconds);
      if (!decision.allowed) throw new RateLimitError(decision.resetSeconds);
    },

    buildParams(req: GatewayRequest, spec: RouteSpec): Record<string, unknown> {
      const raw = req.$params;
      let source: unknown;
      if (METHODS_WITH_QUERY.has(spec.method)) {
        source = raw.query ?? {};
      } else {
        // lib/json-body.ts reads only JSON: a body that was sent but not read had another type.
        const sent = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
        if (raw.body === undefined && sent) {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json');
        }
        source = raw.body ?? {};
      }
      if (!isPlainObject(source)) {
        throw new ValidationError('The request body must be a JSON object', { field: '', reason: 'type_invalid' });
      }
      const fromStrings: Record<string, unknown> = METHODS_WITH_QUERY.has(spec.method) ? { ...source } : {};
      for (const [name, value] of Object.entries(raw.params ?? {})) fromStrings[name] = value;
      const schema = req.$action?.params;
      const typed = isJsonSchema(schema) ? coerceFromStrings(fromStrings, schema) : fromStrings;
      return METHODS_WITH_QUERY.has(spec.method) ? typed : { ...source, ...typed };
    },

    async dependencyHealth(this: GatewayThis): Promise<HealthReport> {
      // Probes and dashboards may poll hard; one real check per second is plenty.
      const now = Date.now();
      if (this.healthCache && now - this.healthCache.at < 1000) return this.healthCache.report;
      const report = (async (): Promise<HealthReport> => {
        const actions = this.broker.registry.getActionList({
          onlyAvailable: true,
          skipInternal: true,
          withEndpoints: false,
        }) as Array<{
          name: string;
        }>;
        const names = new Set(actions.map(a => a.name));
        const dbChecks = [...names].filter(n => n.endsWith('.health') && n !== 'api.health');
        const [redisUp, dbAnswers] = await Promise.all([
          pingRedis(this.redis),
          Promise.all(
            dbChecks.map(action =>
              this.broker
                .call(action, {}, { timeout: 2000, retries: 0 })
                .then(r => (r as { database?: string }).database === 'up')
                .catch(() => false),
            ),
          ),
        ]);
        const transit = (this.broker as unknown as { transit?: { connected: boolean } }).transit;
        // Ready means the client API can be served: an admin-only service being down must not take
        // the gateway out of the load balancer and stop every client verify with it.
        const needed = new Set([...CLIENT_ROUTES.map(r => r.action), 'auth.activeApiKeyDigest']);
        const brokerUp = (!transit || transit.connected) && [...needed].every(a => names.has(a));
        const databaseUp = dbAnswers.length > 0 && dbAnswers.every(Boolean);
        const checks = {
          database: databaseUp ? 'up' : 'down',
          redis: redisUp ? 'up' : 'down',
          broker: brokerUp ? 'up' : 'down',
        } as const;
        return { healthy: databaseUp && redisUp && brokerUp, checks };
      })();
      this.healthCache = { at: now, report };
      return report;
    },

    recordRequest(this: GatewayThis, req: GatewayRequest, _res: ServerResponse, status: number) {
      // Unmatched paths share one label value: a URL must never become a label (unbounded series).
      const route = req.$spec ? req.$spec.path : 'unmatched';
      const method = req.$spec ? req.$spec.method : KNOWN_METHODS.has(req.method ?? '') ? req.method! : 'other';
      const key = `${method} ${route} ${status}`;
      let series = this.routeSeries.get(key);
      if (!series) {
        const labels = { method, route };
        series = {
          count: this.httpRequests.child({ ...labels, status: String(status) }),
          time: this.httpDuration.child(labels),
        };
        this.routeSeries.set(key, series);
      }
      series.count.inc();
      series.time.observe(elapsedSeconds(req.$startTime));
    },

    send404(this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
      (this as unknown as { sendError(req: unknown, res: unknown, err: unknown): void }).sendError(
        req,
        res,
        new AppError('ROUTE_NOT_FOUND', `No route for ${req.method} ${(req.url ?? '').split('?')[0]}`),
      );
    },
  },

  created(this: GatewayThis) {
    this.specs = new Map(ROUTES.map(r => [routeKey(r.method, r.path), r]));
    this.apiKeyDigest = null;
    this.apiKeyLoading = null;
    this.apiKeyGeneration = 0;
    this.healthCache = null;
    this.testKeyDigest = hashApiKey(TEST_CREDENTIALS.apiKey);
    this.httpRequests = hotMetrics(this.broker).counter('http_requests_total', 'HTTP requests by route and status');
    this.httpDuration = hotMetrics(this.broker).histogram(
      'http_request_duration_seconds',
      'HTTP request latency by route',
    );
    this.routeSeries = new Map();
  },

  started(this: GatewayThis) {
    const cfg = config();
    this.redis = acquireRedis();
    this.publicLimiter = new SyncedWindowLimiter(
      this.redis,
      'public',
      cfg.rateLimit.publicPerMinute,
      cfg.rateLimit.syncIntervalMs,
    );
    this.adminLimiter = new SyncedWindowLimiter(
      this.redis,
      'admin',
      cfg.rateLimit.adminPerMinute,
      cfg.rateLimit.syncIntervalMs,
    );
    this.publicLimiter.start();
    this.adminLimiter.start();
    // A missed rotation event (a NATS reconnect) must not keep an old key alive for long.
    this.apiKeyTimer = setInterval(() => {
      void this.loadApiKey().catch(() => undefined);
    }, 30_000);
    this.apiKeyTimer.unref();
  },

  async stopped(this: GatewayThis) {
    clearInterval(this.apiKeyTimer);
    await Promise.all([this.publicLimiter?.stop(), this.adminLimiter?.stop()]);
    await releaseRedis();
  },
};

export default ApiService as unknown as ServiceSchema;
