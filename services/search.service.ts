/**
 * Global search over customers, licenses and devices (GET /api/global-search, search/admin.actions.ts):
 * it asks each owner for matches and ranks them (search/ranking.ts).
 */
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { SearchThis } from './search/state.ts';
import { adminActions } from './search/admin.actions.ts';

const SearchService: ServiceSchemaOf<SearchThis> = {
  name: 'search',

  actions: { ...adminActions },
};

export default SearchService;
