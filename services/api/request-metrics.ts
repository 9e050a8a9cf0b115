/**
 * http_requests_total and http_request_duration_seconds by route: each (method, route, status) binds
 * its metric children once, so recording a request is two additions (lib/observability/hot-metrics.ts).
 * Labels are the route table's path, never the URL: a URL as a label would let any client grow the
 * metric set without bound.
 */
import type { ServiceBroker } from 'moleculer';
import {
  hotMetrics,
  type CounterChild,
  type CounterFamily,
  type HistogramChild,
  type HistogramFamily,
} from '../../lib/observability/hot-metrics.ts';
import type { GatewayRequest } from './request.ts';
import type { RouteSpec } from './routes/index.ts';
import { TrafficCounters } from './traffic-counters.ts';

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

function elapsedSeconds(start: [number, number] | undefined): number {
  if (!start) return 0;
  const [s, ns] = process.hrtime(start);
  return s + ns / 1e9;
}

interface Series {
  count: CounterChild;
  time: HistogramChild;
}

export class RequestMetrics {
  private readonly requests: CounterFamily;
  private readonly duration: HistogramFamily;
  private readonly series = new Map<string, Series>();
  private readonly bySpec = new WeakMap<RouteSpec, Map<number, Series>>();
  /** Cluster-wide requests and 5xx per minute, for the error-rate alert (traffic-counters.ts). */
  private readonly traffic: TrafficCounters;

  constructor(broker: ServiceBroker) {
    this.traffic = new TrafficCounters(broker);
    this.requests = hotMetrics(broker).counter('http_requests_total', 'HTTP requests by route and status');
    this.duration = hotMetrics(broker).histogram('http_request_duration_seconds', 'HTTP request latency by route');
  }

  record(req: GatewayRequest, status: number): void {
    // A matched route's series by status, without building a key string (the client routes run here
    // at high rates).
    const spec = req.$spec;
    let bySpec = spec ? this.bySpec.get(spec) : undefined;
    let series = bySpec?.get(status);
    if (!series) {
      // Unmatched paths share one label value.
      const route = spec ? spec.path : 'unmatched';
      const method = spec ? spec.method : KNOWN_METHODS.has(req.method ?? '') ? req.method! : 'other';
      const key = `${method} ${route} ${status}`;
      series = this.series.get(key);
      if (!series) {
        const labels = { method, route };
        series = {
          count: this.requests.child({ ...labels, status: String(status) }),
          time: this.duration.child(labels),
        };
        this.series.set(key, series);
      }
      if (spec) {
        if (!bySpec) this.bySpec.set(spec, (bySpec = new Map()));
        bySpec.set(status, series);
      }
    }
    series.count.inc();
    series.time.observe(elapsedSeconds(req.$startTime));
    this.traffic.record(status);
  }
}
