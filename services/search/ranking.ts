/**
 * Ranking of the global search: by how well the text matches the result's best field (exact, then
 * prefix, then contains; case-insensitive), then by type (customer, license, device), then in the
 * order the owner answered. Fields compared: customer name and email, license key, device machine
 * name and hardware hash.
 */
import type { SearchAnswer } from './contract.ts';

const MATCH_EXACT = 0;
const MATCH_PREFIX = 1;
const MATCH_CONTAINS = 2;
const NO_MATCH = 3;

/** How well `needle` (already lower-case) matches the best of some fields. */
export function matchRank(needle: string, fields: string[]): number {
  let best = NO_MATCH;
  for (const field of fields) {
    const value = field.toLowerCase();
    if (value === needle) return MATCH_EXACT;
    if (value.startsWith(needle)) best = Math.min(best, MATCH_PREFIX);
    else if (value.includes(needle)) best = Math.min(best, MATCH_CONTAINS);
  }
  return best;
}

interface Ranked {
  answer: SearchAnswer;
  rank: number;
  order: number;
}

/** Collects matches, added by type (customers, licenses, devices), and sorts them best first. */
export class Ranking {
  private readonly needle: string;
  private readonly ranked: Ranked[] = [];

  constructor(needle: string) {
    this.needle = needle;
  }

  add(answer: SearchAnswer, fields: string[]): void {
    this.ranked.push({ answer, rank: matchRank(this.needle, fields), order: this.ranked.length });
  }

  get size(): number {
    return this.ranked.length;
  }

  /** The best `limit` matches. */
  best(limit: number): SearchAnswer[] {
    // Matches were added by type, so `order` carries the type order.
    return [...this.ranked]
      .sort((a, b) => a.rank - b.rank || a.order - b.order)
      .slice(0, limit)
      .map(r => r.answer);
  }
}
