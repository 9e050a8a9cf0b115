/**
 * The outbox. For each deliverable fact and each active endpoint subscribed to it, a delivery record is
 * written first, then a job is queued for its first attempt. A fact handled twice makes one record
 * (unique (endpoint_id, event_id)). When Redis does not take the job the record stays `queued: false`
 * and the sweeper (every SWEEP_EVERY_MS, once per tick cluster-wide, and at once when this node's queue
 * connection comes back) queues it: Redis being away loses no delivery.
 *
 * The sweeper also re-queues open deliveries whose next attempt is long overdue (a job lost with a
 * Redis that restarted without its data). Jobs are deduplicated by id and an attempt only runs when the
 * record still expects it (attempts.ts), so a needless re-queue does nothing.
 */
import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import type { FactEnvelope } from '../../lib/core/events.ts';
import { nextId } from '../../models/counter.model.ts';
import { WebhookEndpointModel } from '../../models/webhook-endpoint.model.ts';
import {
  WebhookDeliveryModel,
  type DeliveryState,
  type WebhookDeliveryDoc,
} from '../../models/webhook-delivery.model.ts';
import type { WebhookThis } from './state.ts';
import { ALL_EVENTS, TEST_EVENT, type DeliverableEvent } from './subscriptions.ts';

export const SWEEP_JOB = 'webhook-sweep';
export const SWEEP_EVERY_MS = 15_000;
/** An open delivery whose attempt is this late is queued again (its job may be gone). */
const OVERDUE_MS = 5 * 60_000;
const SWEEP_BATCH = 500;
const OPEN_STATES: DeliveryState[] = ['pending', 'failing'];

/** The body every attempt sends: the reference's `{event, timestamp, data}`. */
export function deliveryBody(event: string, timestamp: string, data: object): string {
  return JSON.stringify({ event, timestamp, data });
}

/** A fact arrived: one delivery per active endpoint subscribed to it. */
export async function fanOut(svc: WebhookThis, event: DeliverableEvent, fact: FactEnvelope & object): Promise<void> {
  const endpoints = await WebhookEndpointModel.find(
    { active: true, event_names: { $in: [event, ALL_EVENTS] } },
    { _id: 1 },
  ).lean();
  if (endpoints.length === 0) return;
  const { event_id, at, ...data } = fact;
  const body = deliveryBody(event, at, data);
  // Each endpoint's record is independent: one slow write does not delay the others.
  await Promise.all(endpoints.map(endpoint => createDelivery(svc, endpoint._id, event_id, event, body)));
}

/** POST /api/webhook/{id}/test: a `webhook.test` delivery through the same path. */
export function createTestDelivery(svc: WebhookThis, endpointId: number): Promise<WebhookDeliveryDoc | null> {
  const body = deliveryBody(TEST_EVENT, new Date().toISOString(), {
    webhook_id: endpointId,
    message: 'Test event from the license server: your endpoint receives and verifies webhooks.',
  });
  return createDelivery(svc, endpointId, `test_${randomUUID()}`, TEST_EVENT, body);
}

/** Writes the record, then queues its first attempt; null when this fact was already recorded. */
export async function createDelivery(
  svc: WebhookThis,
  endpointId: number,
  eventId: string,
  event: string,
  body: string,
): Promise<WebhookDeliveryDoc | null> {
  const now = new Date();
  let doc: WebhookDeliveryDoc;
  try {
    const created = await WebhookDeliveryModel.create({
      _id: await nextId('webhook_delivery'),
      endpoint_id: endpointId,
      event_id: eventId,
      event,
      body,
      state: 'pending',
      queued: false,
      round: 0,
      round_base: 0,
      attempt_count: 0,
      attempts: [],
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    });
    doc = created.toObject();
  } catch (err) {
    if (isDuplicateKeyError(err)) return null;
    throw err;
  }
  doc.queued = await enqueue(svc, doc);
  return doc;
}

/**
 * Queues the next attempt of a delivery as the record stands, and marks it queued if the record has
 * not moved on meanwhile. Answers whether the job was queued (false: Redis away, the sweeper retries).
 */
export async function enqueue(
  svc: WebhookThis,
  doc: Pick<WebhookDeliveryDoc, '_id' | 'round' | 'attempt_count' | 'next_attempt_at'>,
): Promise<boolean> {
  const delay = doc.next_attempt_at ? doc.next_attempt_at.getTime() - Date.now() : 0;
  try {
    await svc.queue.add({ delivery_id: doc._id, round: doc.round, attempt: doc.attempt_count + 1 }, delay);
  } catch (err) {
    svc.logger.warn('Webhook delivery not queued yet; the sweeper will', {
      delivery_id: doc._id,
      message: (err as Error).message,
    });
    return false;
  }
  await WebhookDeliveryModel.updateOne(
    { _id: doc._id, round: doc.round, attempt_count: doc.attempt_count },
    { $set: { queued: true } },
  );
  return true;
}

/** Queues the open deliveries of active endpoints that have no job; answers how many it queued. */
export async function sweep(svc: WebhookThis, now = Date.now()): Promise<number> {
  const active = await WebhookEndpointModel.distinct('_id', { active: true });
  const due = await WebhookDeliveryModel.find(
    {
      state: { $in: OPEN_STATES },
      $and: [
        { $or: [{ queued: false }, { next_attempt_at: { $lt: new Date(now - OVERDUE_MS) } }] },
        // A disabled endpoint's deliveries wait until it is enabled again; test events go regardless.
        { $or: [{ endpoint_id: { $in: active } }, { event: TEST_EVENT }] },
      ],
    },
    { _id: 1, round: 1, attempt_count: 1, next_attempt_at: 1 },
  )
    .sort({ _id: 1 })
    .limit(SWEEP_BATCH)
    .lean();
  let queued = 0;
  for (const doc of due) {
    if (!(await enqueue(svc, doc))) break; // Redis still away: the next sweep tries again
    queued += 1;
  }
  return queued;
}
