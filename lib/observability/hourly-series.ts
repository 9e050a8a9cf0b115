/**
 * Hourly counters in Redis for the dashboard's charts: one integer key per series and hour,
 * `series:<name>:<hour>` (hour: whole hours since the epoch, UTC), kept a little over 30 days. The
 * writers add to the current hour: the monitoring service one activation per `license.activated` fact,
 * the license service its verifications counted in memory and added every few seconds in one
 * pipeline (services/license/verify-series.ts). The monitoring service reads a range with one MGET
 * per series (services/monitoring/series.ts).
 */
import type { ChainableCommander, Redis } from 'ioredis';

export const SERIES_NAMES = ['activations', 'verifications'] as const;
export type SeriesName = (typeof SERIES_NAMES)[number];

export const HOUR_MS = 3_600_000;
/** The daily chart reaches 30 days back (today included); a key lives a day longer than that. */
export const SERIES_TTL_SECONDS = 31 * 86_400;

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

export function seriesKey(name: SeriesName, hour: number): string {
  return `series:${name}:${hour}`;
}

/** Queues `count` more for the current hour (and the key's lifetime) on a pipeline or transaction. */
export function addToSeries(
  commands: ChainableCommander,
  name: SeriesName,
  count: number,
  now = Date.now(),
): ChainableCommander {
  const key = seriesKey(name, hourOf(now));
  return commands.incrby(key, count).expire(key, SERIES_TTL_SECONDS);
}

/** The counts of `hours` consecutive hours from `firstHour` on, 0 where nothing was counted. */
export async function readSeries(redis: Redis, name: SeriesName, firstHour: number, hours: number): Promise<number[]> {
  const keys = Array.from({ length: hours }, (_, i) => seriesKey(name, firstHour + i));
  const values = await redis.mget(keys);
  return values.map(v => {
    const n = Number(v ?? 0);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  });
}
