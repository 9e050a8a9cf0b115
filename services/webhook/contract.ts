/**
 * The webhook service's answers: endpoints (never with their secret, except once when it is created
 * or rotated), deliveries with their attempts, and the endpoint states the monitoring service reads.
 */
import type { DeliveryState } from '../../models/webhook-delivery.model.ts';

export interface WebhookAnswer {
  id: number;
  url: string;
  /** As subscribed: event names, group names or `*`. */
  events: string[];
  /** The event names that subscription covers (`*`: every deliverable event). */
  event_names: string[];
  active: boolean;
  disabled_reason: string | null;
  disabled_at: string | null;
  disabled_by: 'delivery_failure' | 'admin' | null;
  /** While a rotated-out secret still signs beside the new one: until when. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** POST /api/webhooks: the only answer besides a rotation that shows the secret. */
export type CreatedWebhookAnswer = WebhookAnswer & { secret: string };

export interface DeliveryAttemptAnswer {
  number: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string;
}

export interface DeliveryAnswer {
  id: number;
  webhook_id: number;
  event: string;
  event_id: string;
  state: DeliveryState;
  attempt_count: number;
  attempts: DeliveryAttemptAnswer[];
  next_attempt_at: string | null;
  delivered_at: string | null;
  failed_at: string | null;
  created_at: string;
  updated_at: string;
  /** The body as sent (parsed). */
  payload: unknown;
}

/** POST /api/webhook/{id}/test and POST /api/webhook/delivery/{id}/redeliver. */
export interface QueuedDeliveryAnswer {
  success: true;
  delivery_id: number;
  event: string;
  state: DeliveryState;
  /** False when Redis was away: the sweeper queues it once Redis answers. */
  queued: boolean;
}

/** webhook.endpointStates, for the monitoring service's alerts. Keep this name and shape. */
export interface EndpointStatesAnswer {
  failing: Array<{ id: number; url_host: string; since: string }>;
  disabled: Array<{ id: number; url_host: string; since: string; reason: string }>;
}
