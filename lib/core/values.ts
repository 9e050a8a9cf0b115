/**
 * Conversions of values that cross the API: calendar dates (`YYYY-MM-DD`, UTC) and user text used in
 * searches.
 */

/** A calendar date from the API as stored: midnight UTC of that day. */
export function fromDay(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

/** Midnight UTC of the day `now` falls in. */
export function startOfDay(now = Date.now()): Date {
  return fromDay(dateOnly(new Date(now))!);
}

/** A stored date as the API shows calendar dates; null stays null (e.g. no end date). */
export function dateOnly(date: Date | null): string | null {
  return date ? date.toISOString().slice(0, 10) : null;
}

/** A user's text as a literal inside a regular expression: never interpreted as a pattern. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pagination block of list answers: where this page is, and whether more follow. */
export function pagination(page: number, limit: number, total: number) {
  return { page, limit, total, pages: Math.ceil(total / limit), more: page * limit < total };
}

/** "1 license", "3 licenses": counts in messages read as a person would write them. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/**
 * An integer as text for a header that changes with every request (a limit's remaining count).
 * `String(n)` and Node's own conversion of a number header keep each new number's text in V8's
 * number-string cache, which is in the old generation: at thousands of distinct values a second that
 * text outlives two scavenges and is promoted, ~30 B of old-generation garbage per request, bringing the
 * next full collection (and its marking threads on the server's core) that much sooner
 * (docs/performance.md). `toFixed(0)` writes the digits without going through the cache.
 */
export function headerInt(n: number): string {
  return n.toFixed(0);
}
