/** Admin API: global search across customers, licenses and devices. */
import { read, type RouteSpec } from './spec.ts';

export const SEARCH_ROUTES: RouteSpec[] = [
  read('/api/global-search', 'search.global', 'Search customers, licenses and devices (q, type, limit)', 'Search'),
];
