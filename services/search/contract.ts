/** What the search service answers (GET /api/global-search). */

export const SEARCH_TYPES = ['customer', 'license', 'device'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/** One match of the global search. */
export interface SearchAnswer {
  type: SearchType;
  id: number;
  title: string;
  subtitle: string;
  url: string;
}

/** `results` is the first `limit` of the ranked matches; `total` how many were found (see ranking.ts). */
export interface GlobalSearchAnswer {
  results: SearchAnswer[];
  total: number;
}
