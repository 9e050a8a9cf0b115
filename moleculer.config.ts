/**
 * Broker options for every node, whatever services it runs (SERVICES). Values come from config/.
 */
import type { BrokerOptions } from 'moleculer';
import { config } from './config/index.ts';
import { AjvValidator } from './lib/core/validation.ts';
import { PRIVATE_METRICS, ScrapeReporter } from './lib/observability/metrics.ts';
import { ActionMetricsMiddleware } from './lib/observability/hot-metrics.ts';

export function brokerOptions(): BrokerOptions {
  const cfg = config();
  return {
    namespace: cfg.namespace,
    nodeID: cfg.nodeId ?? undefined,
    transporter: (cfg.transporter ?? undefined) as BrokerOptions['transporter'],
    logger: {
      type: 'Console',
      options: {
        level: cfg.logLevel,
        // One JSON object per line in production (for log shippers), readable lines elsewhere.
        formatter: cfg.isProduction ? 'json' : 'short',
        colors: !cfg.isProduction,
        moduleColors: false,
        autoPadding: false,
      },
    },
    requestTimeout: cfg.requestTimeoutMs,
    // Only errors marked retryable (a node left mid-call, a dependency hiccup) are retried.
    retryPolicy: {
      enabled: true,
      retries: 2,
      delay: 50,
      maxDelay: 500,
      factor: 2,
      check: err => !!(err as { retryable?: boolean }).retryable,
    },
    circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 20, windowTime: 60, halfOpenTime: 10_000 },
    registry: { strategy: 'RoundRobin', preferLocal: true },
    // Shared cache for read-mostly answers (versions, stats). The verify hot path keeps its own
    // in-process cache instead: a Redis round trip per verify halves throughput (docs/performance.md).
    cacher: {
      type: 'Redis',
      options: { prefix: `${cfg.namespace || 'default'}:cache`, ttl: 60, redis: cfg.redisUrl as never, monitor: false },
    },
    // JSON: the binary serializers tried (Notepack here; CBOR cannot be installed from this registry)
    // did not make the two-node verify cheaper (docs/performance.md).
    serializer: 'JSON',
    validator: new AjvValidator({}),
    metrics: {
      enabled: true,
      // Moleculer skips process and OS metrics under NODE_ENV=test; tests run the production wiring.
      collectProcessMetrics: true,
      reporter: [new ScrapeReporter({ port: cfg.metricsPort ?? false, excludes: PRIVATE_METRICS }) as never],
    },
    tracing: { enabled: false },
    // Moleculer's internal middlewares in their usual order, with its request-metrics middleware
    // replaced by a lean one (lib/hot-metrics.ts; docs/performance.md has the measurement).
    internalMiddlewares: false,
    middlewares: [
      'ActionHook',
      'Validator',
      'Bulkhead',
      'Cacher',
      'ContextTracker',
      'CircuitBreaker',
      'Timeout',
      'Retry',
      'Fallback',
      'ErrorHandler',
      ActionMetricsMiddleware as never,
      'Debounce',
      'Throttle',
    ],
    tracking: { enabled: true, shutdownTimeout: 10_000 },
    heartbeatInterval: 5,
    heartbeatTimeout: 15,
  };
}
