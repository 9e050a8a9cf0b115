/**
 * One attempt of a delivery, as the worker runs it. The job says which round and attempt it was queued
 * for; the attempt is claimed by one atomic update that only matches while the record expects exactly
 * that attempt, so a duplicate or stale job (a sweep racing a late add, a redelivery) sends nothing.
 *
 * After the attempt: 2xx -> delivered; otherwise failing with the next retry queued after the
 * schedule's delay (with jitter), or, once the schedule is used up, failed, and the endpoint is
 * disabled and `webhook.endpoint_disabled` announced. An endpoint disabled meanwhile pauses its
 * deliveries (test events excepted) until an admin enables it again.
 */
import { WebhookDeliveryModel, type DeliveryAttempt, type DeliveryState } from '../../models/webhook-delivery.model.ts';
import { WebhookEndpointModel, type WebhookEndpointDoc } from '../../models/webhook-endpoint.model.ts';
import type { AttemptJob } from './queue.ts';
import { signingSecrets } from './records.ts';
import { sign } from './secrets.ts';
import { send, type SendOutcome } from './sender.ts';
import type { WebhookThis } from './state.ts';
import { enqueue } from './outbox.ts';
import { TEST_EVENT } from './subscriptions.ts';

/** Attempts kept on a record (redeliveries add more); older ones are dropped. */
const KEPT_ATTEMPTS = 100;
const OPEN_STATES: DeliveryState[] = ['pending', 'failing'];

/** The delay before retry number `failures` (1-based): the schedule's seconds, +-20% jitter. */
export function retryDelayMs(schedule: readonly number[], failures: number, random = Math.random): number | null {
  const seconds = schedule[failures - 1];
  if (seconds === undefined) return null;
  return Math.round(seconds * 1000 * (0.8 + 0.4 * random()));
}

export async function processAttempt(svc: WebhookThis, job: AttemptJob): Promise<void> {
  const expected = { _id: job.delivery_id, round: job.round, attempt_count: job.attempt - 1 };
  const delivery = await WebhookDeliveryModel.findOne({ ...expected, state: { $in: OPEN_STATES } }).lean();
  if (!delivery) return;
  const endpoint = await WebhookEndpointModel.findById(delivery.endpoint_id).lean();
  if (!endpoint) return; // deleted with its deliveries
  if (!endpoint.active && delivery.event !== TEST_EVENT) {
    await WebhookDeliveryModel.updateOne(expected, { $set: { queued: false } });
    return;
  }
  const startedAt = new Date();
  const claimed = await WebhookDeliveryModel.findOneAndUpdate(
    { ...expected, state: { $in: OPEN_STATES } },
    { $set: { attempt_count: job.attempt, queued: true, next_attempt_at: startedAt, updated_at: startedAt } },
    { returnDocument: 'after', lean: true },
  );
  if (!claimed) return;

  const outcome = await attempt(svc, endpoint, claimed._id, claimed.body);
  const record: DeliveryAttempt = { number: job.attempt, at: startedAt, ...outcome };
  const failures = job.attempt - claimed.round_base;
  const now = new Date();
  const delay = outcome.ok ? null : retryDelayMs(svc.delivery.retrySchedule, failures);
  const state = outcome.ok ? 'delivered' : delay === null ? 'failed' : 'failing';
  svc.outcomes[state === 'failing' ? 'failed_attempt' : state].inc();
  const set: Record<string, unknown> = { state, queued: false, updated_at: now };
  if (state === 'delivered') Object.assign(set, { delivered_at: now, next_attempt_at: null, failing_since: null });
  if (state === 'failing') {
    Object.assign(set, {
      next_attempt_at: new Date(now.getTime() + delay!),
      failing_since: claimed.failing_since ?? now,
    });
  }
  if (state === 'failed') Object.assign(set, { failed_at: now, next_attempt_at: null });
  const push = { attempts: { $each: [record], $slice: -KEPT_ATTEMPTS } };
  const updated = await WebhookDeliveryModel.findOneAndUpdate(
    { _id: claimed._id, round: job.round },
    { $push: push, $set: set },
    { returnDocument: 'after', lean: true },
  );
  if (!updated) {
    // Redelivered while this attempt ran: keep the attempt in the log, leave the new round alone.
    await WebhookDeliveryModel.updateOne({ _id: claimed._id }, { $push: push });
    return;
  }
  if (state === 'failing') await enqueue(svc, updated);
  if (state === 'failed') {
    const reason = `Delivery ${claimed._id} (${claimed.event}) failed ${failures} attempts; last: ${outcome.error}`;
    await disableEndpoint(svc, endpoint._id, reason);
  }
}

async function attempt(
  svc: WebhookThis,
  endpoint: WebhookEndpointDoc,
  deliveryId: number,
  body: string,
): Promise<Omit<SendOutcome, 'ok'> & { ok: boolean }> {
  let secrets: string[];
  try {
    secrets = signingSecrets(endpoint, svc.box);
  } catch {
    // Sealed under another WEBHOOK_SECRET_KEY: nothing can be signed, nothing is sent.
    return {
      ok: false,
      status_code: null,
      error: 'the signing secret cannot be decrypted (was WEBHOOK_SECRET_KEY changed?)',
      duration_ms: 0,
      response_excerpt: '',
    };
  }
  const webhookId = String(deliveryId);
  const timestamp = Math.floor(Date.now() / 1000);
  return send({
    url: endpoint.url,
    body,
    headers: {
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': secrets.map(s => sign(s, webhookId, timestamp, body)).join(' '),
    },
    timeoutMs: svc.delivery.timeoutMs,
    production: svc.delivery.production,
    resolve: svc.resolveHost,
  });
}

/** Disables an endpoint that is still active and announces it once (two nodes cannot both flip it). */
export async function disableEndpoint(svc: WebhookThis, endpointId: number, reason: string): Promise<void> {
  const now = new Date();
  const flipped = await WebhookEndpointModel.findOneAndUpdate(
    { _id: endpointId, active: true },
    {
      $set: {
        active: false,
        disabled_by: 'delivery_failure',
        disabled_reason: reason,
        disabled_at: now,
        updated_at: now,
      },
    },
    { lean: true },
  );
  if (!flipped) return;
  svc.logger.warn('Webhook endpoint disabled after a delivery failed its whole schedule', { endpoint_id: endpointId });
  await svc.announce(null, 'webhook.endpoint_disabled', { endpoint_id: endpointId, reason });
}
