/**
 * A license's history for the Admin Panel's license page (broker only, no HTTP route): the facts
 * about it that history.ts recorded, newest first. The license need not exist any more: the history
 * of a deleted license stays readable until it is pruned.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, PAGE_SCHEMA } from '../../lib/core/schemas.ts';
import { licenseHistory, type LicenseHistoryAnswer } from './history.ts';
import type { MonitoringThis } from './state.ts';

const action = actionFor<MonitoringThis>();

const LIMIT_SCHEMA = { type: 'integer', minimum: 1, maximum: 100, default: 20 } as const satisfies JsonSchema;

export const historyActions = {
  /** The recorded facts about one license, newest first, a page at a time. */
  licenseHistory: action({
    visibility: 'public',
    params: objectSchema({ license_id: ID_SCHEMA, page: PAGE_SCHEMA, limit: LIMIT_SCHEMA }, ['license_id']),
    handler(ctx): Promise<LicenseHistoryAnswer> {
      return licenseHistory(ctx.params.license_id, ctx.params.page, ctx.params.limit);
    },
  }),
};
