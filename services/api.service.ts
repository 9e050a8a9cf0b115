/**
 * The HTTP gateway (moleculer-web). It maps the routes of services/api/routes/ onto actions (ids in
 * paths match digits only, services/api/route-match.ts) and does, once per request and in this order:
 * security headers and CORS (services/api/front.ts), deadline, shared rate limits, authentication,
 * params from path + (query | body) (services/api/request-pipeline.ts). Errors become HTTP answers in
 * services/api/http-errors.ts.
 */
import ApiGateway from 'moleculer-web';
import type { ServiceSchema } from 'moleculer';
import { config } from '../config/index.ts';
import { SyncedWindowLimiter } from '../lib/infra/rate-limiter.ts';
import { redisMixin } from '../mixins/redis.mixin.ts';
import { SystemApiKey } from './api/api-key.ts';
import { DocsAssets } from './api/docs.ts';
import { DependencyHealth } from './api/health.ts';
import { jsonBody } from './api/json-body.ts';
import { apiFront, corsPolicy } from './api/front.ts';
import { resolveAlias } from './api/route-match.ts';
import { formBody, multipartBody } from './api/form-body.ts';
import { SessionStore } from './web/sessions.ts';
import { operationsActions } from './api/operations.actions.ts';
import { errorHandler, onAfterCall, onBeforeCall, onError, onPageError, send404 } from './api/request-pipeline.ts';
import { RequestMetrics } from './api/request-metrics.ts';
import { PAGE_ROUTES, ROUTES, routeKey, type RouteSpec } from './api/routes/index.ts';
import { installClientFastPath } from './api/client-fast-path.ts';
import type { GatewayThis } from './api/state.ts';

const API_KEY_REFRESH_MS = 30_000;

/** The moleculer-web settings this gateway uses (its own typings do not know our hooks' `this`). */
interface GatewaySettings {
  port?: number;
  ip?: string;
  routes: Array<{
    /** api: the JSON API; pages and uploads: the staff's HTML pages (form and file bodies). */
    name: 'api' | 'pages' | 'uploads';
    path: string;
    aliases: Record<string, string>;
    mappingPolicy: 'restrict';
    autoAliases: boolean;
    mergeParams: boolean;
    authentication: boolean;
    authorization: boolean;
    bodyParsers: boolean;
    use: unknown[];
    /** The route's action call: never retried as a whole (its deadline would start again). */
    callOptions: { retries: number };
    logging: boolean;
    onBeforeCall: typeof onBeforeCall;
    onAfterCall: typeof onAfterCall;
    onError?: typeof onPageError;
  }>;
  onError: typeof onError;
}

/** Moleculer calls `merged` once the mixins are merged; its typings do not list it. */
type GatewaySchema = ServiceSchema<GatewaySettings, Record<string, never>, Record<string, never>, GatewayThis> & {
  merged(schema: ServiceSchema<GatewaySettings>): void;
};

function aliasesFor(routes: RouteSpec[]): Record<string, string> {
  return Object.fromEntries(routes.map(r => [`${r.method} ${r.path}`, r.action]));
}

function pageRoute(name: 'pages' | 'uploads', routes: RouteSpec[]): GatewaySettings['routes'][number] {
  return {
    name,
    path: '',
    aliases: aliasesFor(routes),
    mappingPolicy: 'restrict',
    autoAliases: false,
    mergeParams: false,
    authentication: false,
    authorization: false,
    bodyParsers: false,
    use: [],
    callOptions: { retries: 0 },
    logging: false,
    onBeforeCall,
    onAfterCall,
    onError: onPageError,
  };
}

const schema: GatewaySchema = {
  name: 'api',
  mixins: [ApiGateway, redisMixin()],

  settings: {
    // port, ip and the body limit are filled from config() in merged(), per service instance.
    // Explicit aliases only: nothing reachable that the route table does not name.
    routes: [
      {
        name: 'api',
        path: '',
        aliases: aliasesFor(ROUTES),
        mappingPolicy: 'restrict',
        autoAliases: false,
        mergeParams: false,
        authentication: false,
        authorization: false,
        bodyParsers: false,
        // front.ts and json-body.ts; filled in merged() with CORS_ORIGINS and MAX_BODY_BYTES.
        use: [],
        callOptions: { retries: 0 },
        logging: false,
        onBeforeCall,
        onAfterCall,
      },
      // The HTML pages: web forms, and on upload routes one file (services/api/pages.ts).
      pageRoute(
        'pages',
        PAGE_ROUTES.filter(r => r.body !== 'multipart'),
      ),
      pageRoute(
        'uploads',
        PAGE_ROUTES.filter(r => r.body === 'multipart'),
      ),
    ],
    onError,
  },

  merged(merged) {
    const cfg = config();
    const settings = merged.settings!;
    settings.port = cfg.port;
    settings.ip = cfg.host;
    for (const route of settings.routes) {
      route.use = [
        route.name === 'pages'
          ? formBody(cfg.maxBodyBytes)
          : route.name === 'uploads'
            ? multipartBody(cfg.web.uploadMaxBytes)
            : apiFront(corsPolicy(cfg.corsOrigins), jsonBody(cfg.maxBodyBytes)),
      ];
    }
  },

  actions: {
    // moleculer-web's HTTP entry action: never retried, since a retry would read an already consumed
    // request body and hang. Errors of the calls it makes are retried where they are made.
    rest: { retryPolicy: { enabled: false } },
    ...operationsActions,
  },

  events: {
    // From the auth service (lib/core/events.ts): the system key changed, so every gateway drops the old
    // one now.
    'apikey.rotated'(this: GatewayThis) {
      void this.apiKey
        .rotated()
        .catch(err => this.logger.warn('Could not reload the API key', { message: (err as Error).message }));
    },
  },

  methods: {
    send404,
    errorHandler,
    resolveAlias(this: GatewayThis, url: string, method?: string) {
      return resolveAlias(this.aliases, url, method);
    },
  },

  created(this: GatewayThis) {
    this.specs = new Map([...ROUTES, ...PAGE_ROUTES].map(r => [routeKey(r.method, r.path), r]));
    this.apiKey = new SystemApiKey(this.broker);
    this.health = new DependencyHealth(this.broker);
    this.requestMetrics = new RequestMetrics(this.broker);
    this.openApi = null;
    this.docsAssets = new DocsAssets();
    // moleculer-web's created() (a mixin's, so it ran first) made the server with its listener.
    if (config().clientFastPath) {
      installClientFastPath(
        this,
        (this as unknown as { httpHandler: Parameters<typeof installClientFastPath>[1] }).httpHandler,
      );
    }
  },

  // After the mixins' started(): moleculer-web listens and redisMixin has set this.redis.
  started(this: GatewayThis) {
    const { rateLimit } = config();
    this.publicLimiter = new SyncedWindowLimiter(
      this.redis,
      'public',
      rateLimit.publicPerMinute,
      rateLimit.syncIntervalMs,
    );
    this.adminIpLimiter = new SyncedWindowLimiter(
      this.redis,
      'admin-ip',
      rateLimit.adminIpPerMinute,
      rateLimit.syncIntervalMs,
    );
    this.adminLimiter = new SyncedWindowLimiter(
      this.redis,
      'admin',
      rateLimit.adminPerMinute,
      rateLimit.syncIntervalMs,
    );
    this.sessions = new SessionStore(this.redis, config().web.sessionIdleSeconds, config().web.sessionMaxSeconds);
    this.publicLimiter.start();
    this.adminIpLimiter.start();
    this.adminLimiter.start();
    this.apiKey.startRefresh(API_KEY_REFRESH_MS);
  },

  // Before the mixins' stopped(): the limiters write out their last counts while Redis is still held.
  async stopped(this: GatewayThis) {
    this.apiKey.stop();
    await Promise.all([this.publicLimiter?.stop(), this.adminIpLimiter?.stop(), this.adminLimiter?.stop()]);
  },
};

export default schema;
