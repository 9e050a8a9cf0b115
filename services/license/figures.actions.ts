/**
 * Figures the monitoring service asks for (broker only, no HTTP route): the active license count, the
 * heartbeat rate, the licenses at 100% of a limit, and the owners of licenses an anomaly names. Each is an indexed read,
 * cheap enough to be asked every few seconds.
 */
import { LicenseModel } from '../../models/license.model.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { statusFilter } from './contract.ts';
import type { LicenseThis } from './state.ts';

const action = actionFor<LicenseThis>();

/** A license whose seats (activations) or live sessions (users) fill its limit. */
export interface FullUsageAnswer {
  license_id: number;
  key: string;
  customer_id: number | null;
  metric: 'activations' | 'users';
  limit: number;
}

const LIMIT_SCHEMA = { type: 'integer', minimum: 1, maximum: 500, default: 50 } as const;

export const figureActions = {
  /** Licenses that verify today by their own rules: active and not expired (GET live-stats). */
  countActive: action({
    visibility: 'public',
    params: objectSchema({}),
    async handler(): Promise<{ count: number }> {
      return { count: await LicenseModel.countDocuments(statusFilter('active')) };
    },
  }),

  /**
   * Active licenses at 100% of max_activations (their stored level) and licenses whose live sessions
   * fill max_users (Redis), `limit` of each.
   */
  fullUsage: action({
    visibility: 'public',
    params: objectSchema({ limit: LIMIT_SCHEMA }),
    async handler(ctx): Promise<FullUsageAnswer[]> {
      const projection = { key: 1, customer_id: 1, max_activations: 1, max_users: 1 };
      const [seats, userIds] = await Promise.all([
        LicenseModel.find({ activation_level: 100, is_active: true }, projection)
          .sort({ _id: 1 })
          .limit(ctx.params.limit)
          .lean(),
        this.sessions.fullLicenses(ctx.params.limit),
      ]);
      const users =
        userIds.length === 0
          ? []
          : await LicenseModel.find({ _id: { $in: userIds } }, projection)
              .sort({ _id: 1 })
              .lean();
      return [
        ...seats.map(d => ({
          license_id: d._id,
          key: d.key,
          customer_id: d.customer_id,
          metric: 'activations' as const,
          limit: d.max_activations,
        })),
        ...users.map(d => ({
          license_id: d._id,
          key: d.key,
          customer_id: d.customer_id,
          metric: 'users' as const,
          limit: d.max_users,
        })),
      ];
    },
  }),

  /** Heartbeats admitted in the last complete minute, cluster-wide (GET live-stats). */
  heartbeatRate: action({
    visibility: 'public',
    params: objectSchema({}),
    async handler(): Promise<{ per_minute: number }> {
      return { per_minute: await this.sessions.heartbeatsLastMinute() };
    },
  }),

  /** The customer of each license: `{ [license_id]: customer_id | null }` (absent: no such license). */
  owners: action({
    visibility: 'public',
    params: objectSchema({ license_ids: { type: 'array', items: ID_SCHEMA, minItems: 1, maxItems: 1000 } }, [
      'license_ids',
    ]),
    async handler(ctx): Promise<Record<string, number | null>> {
      const docs = await LicenseModel.find({ _id: { $in: ctx.params.license_ids } }, { customer_id: 1 }).lean();
      return Object.fromEntries(docs.map(d => [d._id, d.customer_id]));
    },
  }),
};
