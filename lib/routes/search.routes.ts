/** Admin API: global search across customers, licenses and devices. */
import type { RouteSpec } from '../routes.ts';
import { read } from './admin.routes.ts';

export const SEARCH_ROUTES: RouteSpec[] = [
  read('/api/global-search', 'search.global', 'Search customers, licenses and devices (q, type, limit)', 'Search'),
];
