/**
 * The Monitoring page: open alerts (monitoring.liveStats) and anomalies (monitoring.anomalies,
 * filtered and paged on the server), resolved through monitoring.resolveAnomaly, the admin API's own
 * action, so the resolver recorded is the signed-in admin.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { ANOMALY_TYPES } from '../../models/anomaly.model.ts';
import type { AnomalyStatsAnswer, LiveStatsAnswer } from '../monitoring/contract.ts';
import { FIELD, SHORT, idOf, oneOf, pageOf, settle } from './admin-ops-common.ts';
import {
  RESOLVED_STATES,
  monitoringPage,
  type AnomalyListAnswer,
  type AnomalyQuery,
} from './admin-ops-monitoring-views.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const PER_PAGE = 20;
const NOTICES: Record<string, string> = {
  resolved: 'Anomaly resolved.',
  already: 'This anomaly had been resolved already; its first resolution stands.',
};
/** Where a resolve form may send the browser back to: the monitoring page with its filters. */
const BACK_QUERY = /^\/admin\/monitoring\?[\w=&%.-]{1,300}$/;

function backOf(value: string | undefined): string {
  return value !== undefined && BACK_QUERY.test(value) ? value : '/admin/monitoring';
}

export function anomalyQueryOf(p: Record<string, string | undefined>): AnomalyQuery {
  return {
    type: oneOf(p.type, ANOMALY_TYPES, ''),
    state: oneOf(p.state, RESOLVED_STATES, 'unresolved') || 'unresolved',
    license_id: idOf(p.license_id),
    page: pageOf(p.page),
  };
}

async function renderMonitoring(
  ctx: PageContext<unknown>,
  query: AnomalyQuery,
  notice: string | null,
  alert: string | null = null,
  status = 200,
): Promise<string> {
  const viewer = viewerOf(ctx);
  const [live, stats, list] = await Promise.all([
    settle(ctx.call<LiveStatsAnswer, object>('monitoring.liveStats', {})),
    settle(ctx.call<AnomalyStatsAnswer, object>('monitoring.anomalyStats', {})),
    ctx.call<AnomalyListAnswer, object>('monitoring.anomalies', {
      ...(query.type ? { type: query.type } : {}),
      ...(query.state === 'all' ? {} : { resolved: query.state === 'resolved' }),
      ...(query.license_id !== undefined ? { license_id: query.license_id } : {}),
      page: query.page,
      limit: PER_PAGE,
    }),
  ]);
  const page = monitoringPage({ viewer, query, alerts: live?.alerts ?? null, stats, list, notice, alert });
  return sendPage(ctx, page, status);
}

export const monitoringActions = {
  /** GET /admin/monitoring */
  opsMonitoring: action({
    params: objectSchema({ type: SHORT, state: SHORT, license_id: SHORT, page: SHORT, notice: SHORT }),
    handler(ctx) {
      return renderMonitoring(ctx, anomalyQueryOf(ctx.params), NOTICES[ctx.params.notice ?? ''] ?? null);
    },
  }),

  /** POST /admin/monitoring/anomalies/:anomaly_id/resolve */
  opsResolveAnomaly: action({
    params: objectSchema({ anomaly_id: ID_SCHEMA, note: FIELD, back: FIELD }, ['anomaly_id']),
    async handler(ctx) {
      const back = backOf(ctx.params.back);
      const note = (ctx.params.note ?? '').trim();
      try {
        const answer = await ctx.call<{ message: string }, object>('monitoring.resolveAnomaly', {
          anomaly_id: ctx.params.anomaly_id,
          ...(note ? { note } : {}),
        });
        const notice = answer.message === 'Anomaly resolved' ? 'resolved' : 'already';
        return redirect(ctx, `${back}${back.includes('?') ? '&' : '?'}notice=${notice}`);
      } catch (err) {
        const e = err as { type?: unknown; message?: string; code?: unknown };
        if (e.type !== 'VALIDATION_ERROR') throw err;
        const query = anomalyQueryOf(Object.fromEntries(new URL(back, 'http://panel').searchParams));
        return renderMonitoring(ctx, query, null, `The anomaly was not resolved: ${e.message ?? 'refused'}.`, 400);
      }
    },
  }),
};
