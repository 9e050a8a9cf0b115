/**
 * Activations and verifications over time, for the dashboard's charts: the last 24 hours hour by hour
 * and the last 30 days day by day (UTC), from the hourly counters of lib/observability/hourly-series.ts.
 * Activations are counted here, one per `license.activated` fact (emitted: each reaches one monitoring
 * replica, so each is counted once); verifications are counted by the license service in memory and
 * added every few seconds (services/license/verify-series.ts).
 *
 * Reading is two MGETs of 720 keys (30 days of hours), a few milliseconds; the answer is reused for a
 * few seconds like live stats, so dashboards polling hard cost nothing more.
 */
import type { Context, ServiceSchema } from 'moleculer';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import type { Fact } from '../../lib/core/events.ts';
import { HOUR_MS, addToSeries, hourOf, readSeries } from '../../lib/observability/hourly-series.ts';
import type { SeriesAnswer, SeriesPoint } from './contract.ts';
import type { MonitoringThis } from './state.ts';

const action = actionFor<MonitoringThis>();

const HOURS = 24;
const DAYS = 30;

/** Counts one activation in its hour. A failure (Redis away) loses that one count, never the fact. */
export async function countActivation(svc: MonitoringThis, fact: Fact<'license.activated'>): Promise<void> {
  const at = Date.parse(fact.at);
  try {
    await addToSeries(svc.redis.multi(), 'activations', 1, Number.isFinite(at) ? at : Date.now()).exec();
  } catch (err) {
    svc.logger.warn('Could not count an activation for the dashboard', { message: (err as Error).message });
  }
}

export async function computeSeries(svc: MonitoringThis, now = Date.now()): Promise<SeriesAnswer> {
  const currentHour = hourOf(now);
  const today = Math.floor(now / (24 * HOUR_MS));
  const firstHour = (today - DAYS + 1) * 24;
  const span = currentHour - firstHour + 1;
  const [activations, verifications] = await Promise.all([
    readSeries(svc.redis, 'activations', firstHour, span),
    readSeries(svc.redis, 'verifications', firstHour, span),
  ]);
  const point = (start: number, from: number, to: number): SeriesPoint => ({
    start: new Date(start * HOUR_MS).toISOString(),
    activations: sum(activations, from, to),
    verifications: sum(verifications, from, to),
  });
  const hourly: SeriesPoint[] = [];
  for (let h = currentHour - HOURS + 1; h <= currentHour; h += 1) {
    hourly.push(point(h, h - firstHour, h - firstHour + 1));
  }
  const daily: SeriesPoint[] = [];
  for (let d = 0; d < DAYS; d += 1) daily.push(point(firstHour + d * 24, d * 24, d * 24 + 24));
  return { timestamp: new Date(now).toISOString(), hourly, daily };
}

function sum(values: number[], from: number, to: number): number {
  let total = 0;
  for (let i = Math.max(from, 0); i < Math.min(to, values.length); i += 1) total += values[i]!;
  return total;
}

export const seriesActions = {
  /** Activations and verifications: 24 hourly and 30 daily points (the Admin Panel's dashboard). */
  series: action({
    params: objectSchema({}),
    handler(): Promise<SeriesAnswer> {
      return this.series.get();
    },
  }),
};

/** The listener that counts activations: merged into the service as a mixin, beside the detectors' listener on the same fact. */
export const seriesListeners: Partial<ServiceSchema> = {
  events: {
    'license.activated'(this: MonitoringThis, ctx: Context<Fact<'license.activated'>>) {
      return countActivation(this, ctx.params);
    },
  },
};
