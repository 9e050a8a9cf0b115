/**
 * Counters and histograms for the per-request paths. Moleculer's own registry hashes the labels and
 * notifies its reporters on every update, which measured at about 15% of a verify's CPU; here a call
 * site binds its labels once and an update is an addition. The numbers are rendered in the Prometheus
 * text format at scrape time, after Moleculer's own metrics (lib/metrics.ts).
 */
import type { ServiceBroker } from 'moleculer';

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

export class CounterChild {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
  inc(by = 1): void {
    this.value += by;
  }
}

/** A value that goes up and down (a level read from a shared store, a queue depth): set, not added. */
export class GaugeChild {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
  set(value: number): void {
    this.value = value;
  }
}

export class HistogramChild {
  readonly labels: Labels;
  readonly counts: number[];
  readonly bounds: readonly number[];
  sum = 0;
  count = 0;
  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length).fill(0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i += 1) {
      if (value <= bounds[i]!) {
        this.counts[i]! += 1;
        return;
      }
    }
  }
}

abstract class Family<C extends { labels: Labels }> {
  readonly name: string;
  readonly help: string;
  protected readonly children = new Map<string, C>();
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  protected abstract make(labels: Labels): C;
  /** The child for these labels; bind it once per call site where the labels are fixed. */
  child(labels: Labels): C {
    const key = JSON.stringify(labels);
    let child = this.children.get(key);
    if (!child) {
      child = this.make(labels);
      this.children.set(key, child);
    }
    return child;
  }
  all(): C[] {
    return [...this.children.values()];
  }
  abstract render(base: Labels): string;
}

export class CounterFamily extends Family<CounterChild> {
  protected make(labels: Labels): CounterChild {
    return new CounterChild(labels);
  }
  render(base: Labels): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const c of this.children.values()) lines.push(`${this.name}${labelText({ ...base, ...c.labels })} ${c.value}`);
    return lines.join('\n');
  }
}

export class GaugeFamily extends Family<GaugeChild> {
  protected make(labels: Labels): GaugeChild {
    return new GaugeChild(labels);
  }
  render(base: Labels): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const c of this.children.values()) lines.push(`${this.name}${labelText({ ...base, ...c.labels })} ${c.value}`);
    return lines.join('\n');
  }
}

export class HistogramFamily extends Family<HistogramChild> {
  readonly bounds: readonly number[];
  constructor(name: string, help: string, bounds: readonly number[]) {
    super(name, help);
    this.bounds = bounds;
  }
  protected make(labels: Labels): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }
  render(base: Labels): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const c of this.children.values()) {
      const labels = { ...base, ...c.labels };
      let cumulative = 0;
      c.bounds.forEach((bound, i) => {
        cumulative += c.counts[i]!;
        lines.push(`${this.name}_bucket${labelText(labels, ['le', String(bound)])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${c.count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${c.sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${c.count}`);
    }
    return lines.join('\n');
  }
}

/** Latency buckets in seconds, from a warm verify (sub-millisecond) to a slow admin request. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export class HotMetrics {
  private readonly families = new Map<string, Family<{ labels: Labels }>>();

  counter(name: string, help: string): CounterFamily {
    return this.family(name, () => new CounterFamily(name, help)) as CounterFamily;
  }

  gauge(name: string, help: string): GaugeFamily {
    return this.family(name, () => new GaugeFamily(name, help)) as GaugeFamily;
  }

  histogram(name: string, help: string, bounds: readonly number[] = LATENCY_BUCKETS): HistogramFamily {
    return this.family(name, () => new HistogramFamily(name, help, bounds)) as HistogramFamily;
  }

  render(base: Labels): string {
    return [...this.families.values()].map(f => f.render(base)).join('\n');
  }

  /** Sum of a counter's children whose labels include `match` (tests, diagnostics). */
  total(name: string, match: Labels = {}): number {
    const family = this.families.get(name);
    if (!(family instanceof CounterFamily)) return 0;
    return family
      .all()
      .filter(c => Object.entries(match).every(([k, v]) => c.labels[k] === v))
      .reduce((sum, c) => sum + c.value, 0);
  }

  private family(name: string, make: () => Family<{ labels: Labels }>) {
    let family = this.families.get(name);
    if (!family) {
      family = make();
      this.families.set(name, family);
    }
    return family;
  }
}

const perBroker = new WeakMap<ServiceBroker, HotMetrics>();

/** The hot metrics of a broker (several brokers share a process in tests; each keeps its own). */
export function hotMetrics(broker: ServiceBroker): HotMetrics {
  let metrics = perBroker.get(broker);
  if (!metrics) {
    metrics = new HotMetrics();
    perBroker.set(broker, metrics);
  }
  return metrics;
}

/**
 * Per-action call counts and latencies, in place of Moleculer's built-in request metrics middleware
 * (moleculer.config.ts lists the internal middlewares without it).
 */
/**
 * An action's call counters and duration on this node: the middleware's, and those of answers given in
 * process without a call (lib/infra/local-answers.ts), so both count the same.
 */
export function actionCallMetrics(
  broker: ServiceBroker,
  action: string,
): { ok: CounterChild; failed: CounterChild; time: HistogramChild } {
  const metrics = hotMetrics(broker);
  const calls = metrics.counter('moleculer_action_calls_total', 'Action calls handled by this node, by outcome');
  const duration = metrics.histogram('moleculer_action_duration_seconds', 'Time to handle an action call on this node');
  return {
    ok: calls.child({ action, outcome: 'ok' }),
    failed: calls.child({ action, outcome: 'error' }),
    time: duration.child({ action }),
  };
}

export function ActionMetricsMiddleware(broker: ServiceBroker) {
  return {
    name: 'ActionMetrics',
    localAction(next: (ctx: unknown) => Promise<unknown>, action: { name: string }) {
      const { ok, failed, time } = actionCallMetrics(broker, action.name);
      return function actionMetrics(ctx: unknown) {
        const start = performance.now();
        return next(ctx).then(
          result => {
            ok.inc();
            time.observe((performance.now() - start) / 1000);
            return result;
          },
          (err: unknown) => {
            failed.inc();
            time.observe((performance.now() - start) / 1000);
            throw err;
          },
        );
      };
    },
  };
}
