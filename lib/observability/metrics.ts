/**
 * Prometheus output: Moleculer's built-in metrics (process, event loop, broker, transit) followed by
 * the per-request counters of lib/hot-metrics.ts. Moleculer's reporter always opens its own HTTP port;
 * this one does so only when METRICS_PORT is set (service-only nodes), and otherwise just renders the
 * text that the gateway serves at GET /metrics on its own port.
 */
import { MetricReporters, type ServiceBroker } from 'moleculer';
import { hotMetrics } from './hot-metrics.ts';

const PrometheusBase = (MetricReporters as unknown as { Prometheus: new (opts: object) => object }).Prometheus;
const BaseReporter = (MetricReporters as unknown as { Base: { prototype: { init(registry: unknown): void } } }).Base;

interface PrometheusLike {
  opts: { port: number | false; defaultLabels: unknown };
  defaultLabels: unknown;
  registry: { broker: ServiceBroker };
  generatePrometheusResponse(): string;
}

export class ScrapeReporter extends (PrometheusBase as new (
  opts: object,
) => PrometheusLike & { init(r: unknown): void; stop(): Promise<void> }) {
  override init(registry: unknown): void {
    if (this.opts.port !== false) {
      super.init(registry);
      return;
    }
    BaseReporter.prototype.init.call(this, registry);
    const labels = this.opts.defaultLabels;
    this.defaultLabels =
      typeof labels === 'function' ? (labels as (r: unknown) => unknown).call(this, registry) : labels;
  }

  override generatePrometheusResponse(): string {
    const broker = this.registry.broker;
    const base = { namespace: broker.namespace, nodeID: broker.nodeID };
    return `${super.generatePrometheusResponse()}\n${hotMetrics(broker).render(base)}\n`;
  }

  override stop(): Promise<void> {
    return this.opts.port === false ? Promise.resolve() : super.stop();
  }
}

/**
 * Moleculer's metrics that describe the host rather than the service (user name, home folder, network
 * addresses and MAC, process arguments and ids, host name): published to nobody.
 */
export const PRIVATE_METRICS = [
  'os.user.*',
  'os.network.*',
  'os.hostname',
  'os.type',
  'process.arguments',
  'process.pid',
  'process.ppid',
];

export function renderMetrics(broker: ServiceBroker): string {
  const reporters = (broker.metrics as unknown as { reporter?: unknown[] }).reporter ?? [];
  const reporter = reporters.find((r): r is ScrapeReporter => r instanceof ScrapeReporter);
  return reporter ? reporter.generatePrometheusResponse() : '';
}
