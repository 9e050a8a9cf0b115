/**
 * Reading endpoints and deliveries and turning them into answers; the secrets an endpoint signs with
 * right now (its current one, and during a rotation the previous one too).
 */
import { NotFoundError } from '../../lib/core/errors.ts';
import { WebhookEndpointModel, type WebhookEndpointDoc } from '../../models/webhook-endpoint.model.ts';
import { WebhookDeliveryModel, type WebhookDeliveryDoc } from '../../models/webhook-delivery.model.ts';
import type { DeliveryAnswer, WebhookAnswer } from './contract.ts';
import type { SecretBox } from './secrets.ts';

export async function findEndpoint(id: number): Promise<WebhookEndpointDoc> {
  const doc = await WebhookEndpointModel.findById(id).lean();
  if (!doc) {
    throw new NotFoundError(`Webhook ${id} not found`, 'WEBHOOK_NOT_FOUND', {
      field: 'webhook_id',
      reason: 'not_found',
    });
  }
  return doc;
}

export async function findDelivery(id: number): Promise<WebhookDeliveryDoc> {
  const doc = await WebhookDeliveryModel.findById(id).lean();
  if (!doc) {
    throw new NotFoundError(`Webhook delivery ${id} not found`, 'WEBHOOK_DELIVERY_NOT_FOUND', {
      field: 'delivery_id',
      reason: 'not_found',
    });
  }
  return doc;
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export function toWebhookAnswer(doc: WebhookEndpointDoc, now = Date.now()): WebhookAnswer {
  const rotating = doc.previous_secret && doc.previous_secret_until && doc.previous_secret_until.getTime() > now;
  return {
    id: doc._id,
    url: doc.url,
    events: doc.events,
    event_names: doc.event_names,
    active: doc.active,
    disabled_reason: doc.disabled_reason,
    disabled_at: iso(doc.disabled_at),
    disabled_by: doc.disabled_by,
    previous_secret_expires_at: rotating ? iso(doc.previous_secret_until) : null,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export function toDeliveryAnswer(doc: WebhookDeliveryDoc): DeliveryAnswer {
  return {
    id: doc._id,
    webhook_id: doc.endpoint_id,
    event: doc.event,
    event_id: doc.event_id,
    state: doc.state,
    attempt_count: doc.attempt_count,
    attempts: doc.attempts.map(a => ({
      number: a.number,
      at: a.at.toISOString(),
      status_code: a.status_code,
      error: a.error,
      duration_ms: a.duration_ms,
      response_excerpt: a.response_excerpt,
    })),
    next_attempt_at: iso(doc.next_attempt_at),
    delivered_at: iso(doc.delivered_at),
    failed_at: iso(doc.failed_at),
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    payload: JSON.parse(doc.body) as unknown,
  };
}

/** The clear secrets that sign now: the current one first, then a rotated-out one still in its 24 h. */
export function signingSecrets(doc: WebhookEndpointDoc, box: SecretBox, now = Date.now()): string[] {
  const secrets = [box.open(doc.secret)];
  if (doc.previous_secret && doc.previous_secret_until && doc.previous_secret_until.getTime() > now) {
    secrets.push(box.open(doc.previous_secret));
  }
  return secrets;
}

/** The host part of a URL, for alerts: never its path or query, which may carry tokens. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
