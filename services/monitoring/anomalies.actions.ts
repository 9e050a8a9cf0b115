/**
 * The anomaly list (viewer) and resolution (admin). Resolving records who and when; resolving an
 * anomaly that is resolved already answers 200 and changes nothing (the first resolution stands).
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, PAGE_SCHEMA } from '../../lib/core/schemas.ts';
import { pagination } from '../../lib/core/values.ts';
import type { AdminPrincipal } from '../../lib/security/admin-tokens.ts';
import { ANOMALY_TYPES, AnomalyModel } from '../../models/anomaly.model.ts';
import { resolveAnomaly } from './anomaly-records.ts';
import { toAnomalyAnswer, type AnomalyAnswer } from './contract.ts';
import type { MonitoringThis } from './state.ts';

/** The gateway puts the checked caller in ctx.meta (services/api/request-pipeline.ts). */
interface CallerMeta {
  principal?: AdminPrincipal | { kind: string };
}

const action = actionFor<MonitoringThis, CallerMeta>();

const LIMIT_SCHEMA = { type: 'integer', minimum: 1, maximum: 100, default: 20 } as const satisfies JsonSchema;

export const anomalyActions = {
  /** GET /api/monitoring/anomalies: newest first, filtered by type, resolved, license. */
  anomalies: action({
    params: objectSchema({
      type: { type: 'string', enum: [...ANOMALY_TYPES] },
      resolved: { type: 'boolean' },
      license_id: ID_SCHEMA,
      page: PAGE_SCHEMA,
      limit: LIMIT_SCHEMA,
    }),
    async handler(ctx) {
      const p = ctx.params;
      const filter = {
        ...(p.type !== undefined ? { type: p.type } : {}),
        ...(p.resolved !== undefined ? { resolved: p.resolved } : {}),
        ...(p.license_id !== undefined ? { license_id: p.license_id } : {}),
      };
      const [total, docs] = await Promise.all([
        AnomalyModel.countDocuments(filter),
        AnomalyModel.find(filter)
          .sort({ _id: -1 })
          .skip((p.page - 1) * p.limit)
          .limit(p.limit)
          .lean(),
      ]);
      return { anomalies: docs.map(toAnomalyAnswer), pagination: pagination(p.page, p.limit, total) };
    },
  }),

  /** POST /api/monitoring/anomaly/:anomaly_id/resolve */
  resolveAnomaly: action({
    params: objectSchema({ anomaly_id: ID_SCHEMA, note: { type: 'string', maxLength: 500 } }, ['anomaly_id']),
    async handler(ctx): Promise<{ success: true; message: string; anomaly: AnomalyAnswer }> {
      const caller = ctx.meta.principal;
      // Internal callers (no gateway in between) resolve as `system`.
      const resolver =
        caller?.kind === 'admin'
          ? { id: (caller as AdminPrincipal).userId, username: (caller as AdminPrincipal).username }
          : { id: null, username: 'system' };
      const { doc, changed } = await resolveAnomaly(ctx.params.anomaly_id, resolver, ctx.params.note ?? '');
      return {
        success: true,
        message: changed ? 'Anomaly resolved' : 'Anomaly was already resolved',
        anomaly: toAnomalyAnswer(doc),
      };
    },
  }),
};
