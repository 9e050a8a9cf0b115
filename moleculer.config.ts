/**
 * Broker options for every node, whatever services it runs (SERVICES). Values come from config/.
 */
import * as moleculer from 'moleculer';
import type { BrokerOptions, ServiceBroker } from 'moleculer';
import { config } from './config/index.ts';
import { AjvValidator } from './lib/core/validation.ts';
import { PRIVATE_METRICS, ScrapeReporter } from './lib/observability/metrics.ts';
import { ActionMetricsMiddleware } from './lib/observability/hot-metrics.ts';
import { QuietRedisCacher, redisOptionsFromUrl } from './lib/infra/cacher.ts';
import { ExpiredWorkMiddleware } from './lib/infra/expired-work.ts';

/**
 * Moleculer's circuit breaker for calls to other nodes only. A node whose calls mostly fail is skipped
 * for a while, so a broken replica is routed around. On a call to this node's own services it does
 * harm: a shared dependency's outage (or the gateway's own deadline) would trip it, and then the
 * gateway's local license service, which answers warm verifies without any dependency, would be
 * "not available" until the breaker half-opens.
 */
function remoteCircuitBreaker(broker: ServiceBroker): object {
  // Moleculer exports its built-in middlewares at run time; its typings do not list them.
  const { CircuitBreaker } = (moleculer as unknown as { Middlewares: Record<string, (b: ServiceBroker) => object> })
    .Middlewares;
  const middleware = CircuitBreaker!.call(broker, broker) as Record<string, unknown>;
  delete middleware.localAction;
  return middleware;
}

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
      // Not a timeout: the call may still be running there, its deadline is spent anyway, and during an
      // outage retries would triple the load that a recovering dependency meets first.
      check: err =>
        !!(err as { retryable?: boolean }).retryable && (err as { type?: string }).type !== 'REQUEST_TIMEOUT',
    },
    // A node whose calls mostly fail is skipped, and tried again after 2 s (a dependency back from an
    // outage must not keep a healthy node out for long); failures count over 10 s windows.
    circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 20, windowTime: 10, halfOpenTime: 2000 },
    registry: { strategy: 'RoundRobin', preferLocal: true },
    // Shared cache for read-mostly answers (versions, stats). The verify hot path keeps its own
    // in-process cache instead: a Redis round trip per verify halves throughput (docs/performance.md).
    // Quiet and bounded during a Redis outage (lib/infra/cacher.ts).
    cacher: new QuietRedisCacher({
      prefix: `${cfg.namespace || 'default'}:cache`,
      ttl: 60,
      redis: redisOptionsFromUrl(cfg.redisUrl),
      monitor: false,
    }),
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
    // replaced by a lean one (lib/hot-metrics.ts; docs/performance.md has the measurement), the
    // circuit breaker for remote calls only, and the context tracker moved outside the timeout.
    internalMiddlewares: false,
    middlewares: [
      'ActionHook',
      // Calls that arrive after their request's deadline are not run (lib/infra/expired-work.ts).
      ExpiredWorkMiddleware as never,
      'Validator',
      'Bulkhead',
      'Cacher',
      remoteCircuitBreaker as never,
      'Timeout',
      // Outside Timeout, not inside as in Moleculer's own order: a call that timed out counts as ended.
      // Inside, a remote call whose answer never comes (NATS or the other node away) stayed tracked
      // forever: memory grew with every such timeout and a graceful stop waited for it in vain.
      'ContextTracker',
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
