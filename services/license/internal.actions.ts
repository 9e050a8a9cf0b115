/**
 * Actions for other services (broker only, no HTTP route): license existence checks, a customer's
 * licenses, the global search, and dropping this node's verify views when their sources change.
 */
import { LicenseModel } from '../../models/license.model.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, LICENSE_KEY_SCHEMA, SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { escapeRegex } from '../../lib/core/values.ts';
import { toLicenseAnswer, type LicenseAnswer, type LicenseListEntry } from './contract.ts';
import { findLicense, withActivationCounts } from './records.ts';
import type { LicenseThis } from './state.ts';

const action = actionFor<LicenseThis>();

export const internalActions = {
  /** The license exists, or LICENSE_NOT_FOUND (resource allocation checks it). */
  assertExists: action({
    visibility: 'public',
    params: objectSchema({ id: ID_SCHEMA }, ['id']),
    async handler(ctx): Promise<{ id: number }> {
      const doc = await findLicense(ctx.params.id);
      return { id: doc._id };
    },
  }),

  /** A customer's licenses with their current activation counts. */
  forCustomer: action({
    visibility: 'public',
    params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
    async handler(ctx): Promise<LicenseListEntry[]> {
      const docs = await LicenseModel.find({ customer_id: ctx.params.customer_id })
        .sort({ _id: 1 })
        .limit(10_000)
        .lean();
      return withActivationCounts(ctx, docs);
    },
  }),

  /** Licenses whose key contains the text (global search). */
  search: action({
    visibility: 'public',
    params: objectSchema({ q: SEARCH_TEXT_SCHEMA, limit: { type: 'integer', minimum: 1, maximum: 100 } }, [
      'q',
      'limit',
    ]),
    async handler(ctx): Promise<LicenseAnswer[]> {
      const pattern = new RegExp(escapeRegex(ctx.params.q.toUpperCase()));
      const docs = await LicenseModel.find({ key: pattern }).sort({ _id: -1 }).limit(ctx.params.limit).lean();
      return docs.map(toLicenseAnswer);
    },
  }),

  /** Drops this node's views (mixins/view-invalidation.mixin.ts calls it on every license node). */
  dropViews: action({
    visibility: 'public',
    params: objectSchema({
      keys: { type: 'array', items: LICENSE_KEY_SCHEMA, maxItems: 1000 },
      customers: { type: 'array', items: ID_SCHEMA, maxItems: 1000 },
      all: { type: 'boolean' },
      releases: { type: 'boolean' },
      ended: {
        type: 'array',
        maxItems: 10_000,
        items: objectSchema({ license_id: ID_SCHEMA, activation_id: ID_SCHEMA }, ['license_id', 'activation_id']),
      },
    }),
    async handler(ctx) {
      const change = ctx.params;
      if (change.all) this.verifier.dropAllViews();
      if (change.releases) this.verifier.dropReleases();
      if (change.customers) this.verifier.dropCustomerViews(change.customers);
      for (const key of change.keys ?? []) this.verifier.dropView(key);
      // A deactivated device's session seat must not outlive it (idempotent on every node).
      for (const { license_id, activation_id } of change.ended ?? [])
        await this.sessions.end(license_id, activation_id);
      return true;
    },
  }),
};
