/**
 * The gateway's own endpoints: status, health probes, metrics and the API reference. The status and
 * probe actions declare no params (a query string on a probe is ignored); only the asset action does.
 */
import type { Context } from 'moleculer';
import { config } from '../../config/index.ts';
import { AppError } from '../../lib/core/errors.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { isJsonSchema, objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { renderMetrics } from '../../lib/observability/metrics.ts';
import { DOCS_ASSET_HEADERS, DOCS_PAGE, DOCS_PAGE_HEADERS } from './docs.ts';
import { buildOpenApi, serversFor, type OpenApiDocument } from './openapi.ts';
import type { HealthReport, ReadinessReport } from './health.ts';
import type { HttpMeta } from './request.ts';
import { ROUTES } from './routes/index.ts';
import type { GatewayThis } from './state.ts';

const action = actionFor<GatewayThis, HttpMeta>();

interface StatusAnswer {
  status: string;
  timestamp: string;
}

interface HealthAnswer extends StatusAnswer {
  checks: HealthReport['checks'];
}

interface ReadyAnswer extends StatusAnswer {
  checks: ReadinessReport['checks'];
}

// No pattern or length: any name outside the allow-list, `../x` included, is a plain 404.
const DOCS_ASSET_PARAMS = objectSchema({ file: { type: 'string' } }, ['file']);

function buildDocument(gateway: GatewayThis): OpenApiDocument {
  const schemas = new Map<string, JsonSchema>();
  for (const item of gateway.broker.registry.getActionList({ skipInternal: true, withEndpoints: false }) as Array<{
    name: string;
    action?: { params?: unknown };
  }>) {
    if (isJsonSchema(item.action?.params)) schemas.set(item.name, item.action.params);
  }
  return buildOpenApi(
    ROUTES,
    name => schemas.get(name),
    process.env.npm_package_version ?? '0.1.0',
    serversFor(gateway.server?.address()),
  );
}

export const operationsActions = {
  root: {
    handler(): StatusAnswer & { service: string } {
      return { status: 'ok', service: 'V2 License Server', timestamp: new Date().toISOString() };
    },
  },

  health: {
    async handler(this: GatewayThis, ctx: Context<unknown, HttpMeta>): Promise<HealthAnswer> {
      const report = await this.health.report(this.redis);
      if (!report.healthy) ctx.meta.$statusCode = 503;
      return {
        status: report.healthy ? 'healthy' : 'unhealthy',
        timestamp: new Date().toISOString(),
        checks: report.checks,
      };
    },
  },

  live: {
    handler(): StatusAnswer {
      return { status: 'alive', timestamp: new Date().toISOString() };
    },
  },

  // Readiness is this pod's own state only (services/api/health.ts); shared dependencies are /health's.
  ready: {
    async handler(this: GatewayThis, ctx: Context<unknown, HttpMeta>): Promise<ReadyAnswer> {
      // Probes come every few seconds: they keep dependency_up fresh for the scrapes in between.
      void this.health.report(this.redis).catch(() => undefined);
      const report = await this.health.readiness(this.apiKey);
      if (!report.ready) ctx.meta.$statusCode = 503;
      return {
        status: report.ready ? 'ready' : report.draining ? 'draining' : 'not_ready',
        timestamp: new Date().toISOString(),
        checks: report.checks,
      };
    },
  },

  metrics: {
    handler(this: GatewayThis, ctx: Context<unknown, HttpMeta>): string {
      // Production: metrics are on METRICS_PORT, an internal port, not on the public API port.
      if (!config().metricsOnApiPort) throw new AppError('ROUTE_NOT_FOUND', 'No route for GET /metrics');
      ctx.meta.$responseType = 'text/plain; version=0.0.4; charset=utf-8';
      return renderMetrics(this.broker);
    },
  },

  openapi: {
    handler(this: GatewayThis): OpenApiDocument {
      // Built once: the routes and the action schemas do not change while the process runs.
      return (this.openApi ??= buildDocument(this));
    },
  },

  docsPage: {
    handler(ctx: Context<unknown, HttpMeta>): string {
      ctx.meta.$responseType = 'text/html; charset=utf-8';
      ctx.meta.$responseHeaders = DOCS_PAGE_HEADERS;
      return DOCS_PAGE;
    },
  },

  docsAsset: action({
    params: DOCS_ASSET_PARAMS,
    async handler(ctx): Promise<Buffer> {
      const asset = await this.docsAssets.get(ctx.params.file);
      if (!asset) throw new AppError('ROUTE_NOT_FOUND', 'No such file in the API reference');
      ctx.meta.$responseType = asset.type;
      ctx.meta.$responseHeaders = DOCS_ASSET_HEADERS;
      return asset.body;
    },
  }),
};
