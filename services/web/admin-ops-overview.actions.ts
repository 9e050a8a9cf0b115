/**
 * The dashboard, its refreshing part and the global search page. Thin: each asks the services the
 * admin API asks (monitoring.liveStats, monitoring.series, monitoring.anomalies, license.list,
 * license.fullUsage, search.global) and renders the answers. A section whose service cannot answer
 * says so; the rest of the dashboard still shows.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import type { CustomerStatusAnswer } from '../customer/contract.ts';
import type { LicenseListEntry } from '../license/contract.ts';
import type { FullUsageAnswer } from '../license/figures.actions.ts';
import type { LiveStatsAnswer, SeriesAnswer } from '../monitoring/contract.ts';
import { SEARCH_TYPES, type GlobalSearchAnswer } from '../search/contract.ts';
import { SEARCH_INPUT, SHORT, oneOf, sendFragment, settle } from './admin-ops-common.ts';
import { dashboardPage, liveFragment, type LicenseRows } from './admin-ops-dashboard-views.ts';
import type { AnomalyListAnswer } from './admin-ops-monitoring-views.ts';
import { SEARCH_LIMIT, searchPage } from './admin-ops-search-views.ts';
import { sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

/** Rows of each license table on the dashboard. */
const DASHBOARD_ROWS = 10;
const EXPIRING_DAYS = 30;

interface LicenseListAnswer {
  licenses: LicenseListEntry[];
  pagination: { total: number };
}

/** The log line of a dashboard section that could not be shown (the page shows the others). */
function unavailableSection(ctx: PageContext<unknown>, section: string): (err: Error) => void {
  return err => ctx.service?.logger.warn('A dashboard section is unavailable', { section, message: err.message });
}

function licenseRows(
  ctx: PageContext<unknown>,
  section: string,
  filter: Record<string, unknown>,
): Promise<LicenseRows | null> {
  return settle(
    ctx
      .call<LicenseListAnswer, object>('license.list', { status: 'active', limit: DASHBOARD_ROWS, ...filter })
      .then(a => ({ licenses: a.licenses, total: a.pagination.total })),
    unavailableSection(ctx, section),
  );
}

async function customerNames(ctx: PageContext<unknown>, ids: Array<number | null>): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const statuses = await settle(
    ctx.call<CustomerStatusAnswer[], { ids: number[] }>('customer.statuses', { ids: wanted }),
  );
  return new Map((statuses ?? []).map(s => [s.id, s.name]));
}

export const overviewActions = {
  /** GET /admin/ */
  opsDashboard: action({
    params: objectSchema({}),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const [live, series, anomalies, nearLimits, fullUsers, expiring] = await Promise.all([
        settle(ctx.call<LiveStatsAnswer, object>('monitoring.liveStats', {}), unavailableSection(ctx, 'live')),
        settle(ctx.call<SeriesAnswer, object>('monitoring.series', {}), unavailableSection(ctx, 'charts')),
        settle(
          ctx
            .call<AnomalyListAnswer, object>('monitoring.anomalies', { resolved: false, limit: 5 })
            .then(a => ({ anomalies: a.anomalies, total: a.pagination.total })),
          unavailableSection(ctx, 'anomalies'),
        ),
        licenseRows(ctx, 'near limits', { min_usage_level: 80, sort: 'id', order: 'desc' }),
        settle(
          ctx.call<FullUsageAnswer[], object>('license.fullUsage', { limit: DASHBOARD_ROWS }),
          unavailableSection(ctx, 'users at their limit'),
        ).then(all => all?.filter(u => u.metric === 'users') ?? null),
        licenseRows(ctx, 'expiring', { expires_within_days: EXPIRING_DAYS, sort: 'valid_until', order: 'asc' }),
      ]);
      const customers = await customerNames(ctx, [
        ...(nearLimits?.licenses ?? []).map(l => l.customer_id),
        ...(fullUsers ?? []).map(u => u.customer_id),
        ...(expiring?.licenses ?? []).map(l => l.customer_id),
      ]);
      return sendPage(
        ctx,
        dashboardPage(viewer, { live, series, anomalies, nearLimits, fullUsers, expiring, customers }),
      );
    },
  }),

  /** GET /admin/live: the dashboard's refreshing part, as an HTML fragment (refresh.js). */
  opsLive: action({
    params: objectSchema({}),
    async handler(ctx) {
      viewerOf(ctx);
      const live = await settle(
        ctx.call<LiveStatsAnswer, object>('monitoring.liveStats', {}),
        unavailableSection(ctx, 'live'),
      );
      return sendFragment(ctx, liveFragment(live));
    },
  }),

  /** GET /admin/search?q=&type= */
  opsSearch: action({
    params: objectSchema({ q: SEARCH_INPUT, type: SHORT }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const query = { q: (ctx.params.q ?? '').trim().slice(0, 100), type: oneOf(ctx.params.type, SEARCH_TYPES, '') };
      const answer = query.q
        ? await ctx.call<GlobalSearchAnswer, object>('search.global', {
            q: query.q,
            limit: SEARCH_LIMIT,
            ...(query.type ? { type: query.type } : {}),
          })
        : null;
      return sendPage(ctx, searchPage(viewer, query, answer));
    },
  }),
};
