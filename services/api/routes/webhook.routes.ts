/** Admin API: webhook endpoints, their delivery log, test events and redelivery (docs/webhooks.md). */
import { read, write, type RouteSpec } from './spec.ts';

const WEBHOOKS = 'Webhooks';

export const WEBHOOK_ROUTES: RouteSpec[] = [
  write(
    'POST',
    '/api/webhooks',
    'webhook.create',
    'Register a webhook endpoint (its secret is answered once)',
    WEBHOOKS,
    201,
  ),
  read('/api/webhooks', 'webhook.list', 'List webhook endpoints (active, q: text of the URL, page, limit)', WEBHOOKS),
  read('/api/webhook/:webhook_id', 'webhook.read', 'Read a webhook endpoint', WEBHOOKS),
  write(
    'PUT',
    '/api/webhook/:webhook_id',
    'webhook.update',
    'Change a webhook endpoint: url, events, active, secret rotation',
    WEBHOOKS,
  ),
  write('DELETE', '/api/webhook/:webhook_id', 'webhook.remove', 'Delete a webhook endpoint and its log', WEBHOOKS),
  write('POST', '/api/webhook/:webhook_id/test', 'webhook.test', 'Send a webhook.test event', WEBHOOKS, 202),
  read('/api/webhook/:webhook_id/deliveries', 'webhook.deliveries', 'Delivery log of a webhook endpoint', WEBHOOKS),
  write(
    'POST',
    '/api/webhook/delivery/:delivery_id/redeliver',
    'webhook.redeliver',
    'Deliver again, with the same webhook-id',
    WEBHOOKS,
    202,
  ),
];
