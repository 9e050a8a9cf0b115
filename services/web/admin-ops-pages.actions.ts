/**
 * The Admin Panel's operations pages, as one group for the web service: the dashboard and the global
 * search, Monitoring, Webhooks and Administration (routes: services/api/routes/admin-pages-ops.routes.ts).
 */
import { administrationActions } from './admin-ops-administration.actions.ts';
import { monitoringActions } from './admin-ops-monitoring.actions.ts';
import { overviewActions } from './admin-ops-overview.actions.ts';
import { webhookActions } from './admin-ops-webhooks.actions.ts';

export const adminOpsActions = {
  ...overviewActions,
  ...monitoringActions,
  ...webhookActions,
  ...administrationActions,
};
