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
import { TrafficCounters } from './traffic-counters.ts';

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

function elapsedSeconds(start: [number, number] | undefined): number {
  if (!start) return 0;
  const [s, ns] = process.hrtime(start);
  return s + ns / 1e9;
}

export class RequestMetrics {
  private readonly requests: CounterFamily;
  private readonly duration: HistogramFamily;
  private readonly series = new Map<string, { count: CounterChild; time: HistogramChild }>();
  /** Cluster-wide requests and 5xx per minute, for the error-rate alert (traffic-counters.ts). */
  private readonly traffic: TrafficCounters;

  constructor(broker: ServiceBroker) {
    this.traffic = new TrafficCounters(broker);
    this.requests = hotMetrics(broker).counter('http_requests_total', 'HTTP requests by route and status');
    this.duration = hotMetrics(broker).histogram('http_request_duration_seconds', 'HTTP request latency by route');
  }

  record(req: GatewayRequest, status: number): void {
    // Unmatched paths share one label value.
    const route = req.$spec ? req.$spec.path : 'unmatched';
    const method = req.$spec ? req.$spec.method : KNOWN_METHODS.has(req.method ?? '') ? req.method! : 'other';
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      const labels = { method, route };
      series = {
        count: this.requests.child({ ...labels, status: String(status) }),
        time: this.duration.child(labels),
      };
      this.series.set(key, series);
    }
    series.count.inc();
    series.time.observe(elapsedSeconds(req.$startTime));
    this.traffic.record(status);
  }
}
