/**
 * The Admin Panel's operations pages (services/web/admin-ops-*.ts): the dashboard with its refreshing
 * part, the global search, Monitoring, Webhooks and Administration. Every form is a POST with the
 * session's CSRF token and the admin role; the irreversible ones (API key regeneration, secret
 * rotation, deletions) answer a confirmation page first. `/admin` also answers `/admin/`.
 */
import { staffForm, staffPage, type RouteSpec } from './spec.ts';

const PANEL = 'Admin Panel';

export const ADMIN_OPS_PAGE_ROUTES: RouteSpec[] = [
  staffPage(
    '/admin',
    'web.opsDashboard',
    'Dashboard: live figures, alerts, charts, anomalies, licenses to watch',
    PANEL,
  ),
  staffPage('/admin/live', 'web.opsLive', "The dashboard's live figures and alerts, as an HTML fragment", PANEL),
  staffPage('/admin/search', 'web.opsSearch', 'Global search: customers, licenses and devices', PANEL),

  staffPage('/admin/monitoring', 'web.opsMonitoring', 'Open alerts; anomalies by type, state and license', PANEL),
  staffForm('/admin/monitoring/anomalies/:anomaly_id/resolve', 'web.opsResolveAnomaly', 'Resolve an anomaly', PANEL),

  staffPage('/admin/webhooks', 'web.opsWebhooks', 'Webhook endpoints', PANEL),
  staffForm('/admin/webhooks/new', 'web.opsWebhookNew', 'New webhook form', PANEL, { method: 'GET' }),
  staffForm('/admin/webhooks/new', 'web.opsWebhookCreate', 'Create a webhook (its secret shown once)', PANEL),
  staffPage('/admin/webhooks/:webhook_id', 'web.opsWebhook', 'A webhook endpoint and its delivery log', PANEL),
  staffForm(
    '/admin/webhooks/:webhook_id/update',
    'web.opsWebhookUpdate',
    'Change a webhook: url, events, active',
    PANEL,
  ),
  staffForm(
    '/admin/webhooks/:webhook_id/rotate',
    'web.opsWebhookRotate',
    'Rotate its secret (after a confirmation)',
    PANEL,
  ),
  staffForm('/admin/webhooks/:webhook_id/test', 'web.opsWebhookTest', 'Send a webhook.test event', PANEL),
  staffForm(
    '/admin/webhooks/:webhook_id/delete',
    'web.opsWebhookDelete',
    'Delete a webhook (after a confirmation)',
    PANEL,
  ),
  staffForm(
    '/admin/webhooks/:webhook_id/deliveries/:delivery_id/redeliver',
    'web.opsRedeliver',
    'Deliver again, with the same webhook-id',
    PANEL,
  ),

  staffPage('/admin/administration', 'web.opsAdministration', 'API key; users and roles (admins only)', PANEL),
  staffForm(
    '/admin/administration/api-key/regenerate',
    'web.opsApiKeyRegenerate',
    'Regenerate the API key (after a confirmation; the new key shown once)',
    PANEL,
  ),
  staffForm('/admin/administration/users', 'web.opsUserCreate', 'Add an admin user', PANEL),
  staffForm(
    '/admin/administration/users/:user_id/delete',
    'web.opsUserDelete',
    'Delete a user (after a confirmation)',
    PANEL,
  ),
];
