/**
 * The gateway's `this`: Moleculer's Service, what its mixins add (moleculer-web, Redis) and the fields
 * set in created/started. The only declaration of it; the hooks and actions are typed with it.
 */
import type { Server } from 'node:http';
import type { Service } from 'moleculer';
import type { RedisVars } from '../../mixins/redis.mixin.ts';
import type { SyncedWindowLimiter } from '../../lib/infra/rate-limiter.ts';
import type { RouteSpec } from './routes/index.ts';
import type { SystemApiKey } from './api-key.ts';
import type { DependencyHealth } from './health.ts';
import type { RequestMetrics } from './request-metrics.ts';
import type { OpenApiDocument } from './openapi.ts';
import type { DocsAssets } from './docs.ts';
import type { SessionStore } from '../web/sessions.ts';
import type { MatchableAlias } from './route-match.ts';

/** What moleculer-web's mixin adds to `this` and the gateway uses (the package exports no type for it). */
export interface ApiGatewayVars {
  /** Created by moleculer-web in created(), listening from its started() on. */
  server: Server | null;
  sendError(req: unknown, res: unknown, err: unknown): void;
  /** The aliases of every route, in table order (route-match.ts reads them). */
  aliases: MatchableAlias[];
}

export interface GatewayState {
  /** The route table by `METHOD /path`, to find a request's spec from moleculer-web's alias. */
  specs: Map<string, RouteSpec>;
  apiKey: SystemApiKey;
  /** Client API requests per client IP. */
  publicLimiter: SyncedWindowLimiter;
  /** Admin API and page requests per client IP, before authentication. */
  adminIpLimiter: SyncedWindowLimiter;
  /** Admin API requests per verified token, page requests per session. */
  adminLimiter: SyncedWindowLimiter;
  health: DependencyHealth;
  requestMetrics: RequestMetrics;
  /** Built on the first request: the action schemas do not change while the process runs. */
  openApi: OpenApiDocument | null;
  docsAssets: DocsAssets;
  /** The staff pages' sessions, resolved from their cookie on every page request (pages.ts). */
  sessions: SessionStore;
}

export type GatewayThis = Service & RedisVars & ApiGatewayVars & GatewayState;
