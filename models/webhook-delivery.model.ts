/**
 * Webhook deliveries: the outbox. One record per (endpoint, fact), written before anything is queued;
 * the unique index on (endpoint_id, event_id) makes a fact handled twice (a broadcast seen by two
 * nodes, a redelivered event) one delivery. `queued` says whether a BullMQ job exists for its next
 * attempt; the sweeper queues what is not. Every attempt is kept on the record.
 *
 * `round` counts redeliveries: a job names the round and attempt it was queued for, and only the job
 * of the current round and next attempt may send, so stale or duplicate jobs do nothing.
 */
import mongoose, { Schema } from 'mongoose';

export const DELIVERY_STATES = ['pending', 'delivered', 'failing', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliveryAttempt {
  number: number;
  at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string;
}

export interface WebhookDeliveryDoc {
  _id: number;
  endpoint_id: number;
  /** The fact's event_id (or a fresh one for a test event). */
  event_id: string;
  event: string;
  /** The exact JSON body sent on every attempt (the signature covers these bytes). */
  body: string;
  state: DeliveryState;
  queued: boolean;
  round: number;
  /** attempt_count when the current round began: attempts of this round = attempt_count - round_base. */
  round_base: number;
  attempt_count: number;
  attempts: DeliveryAttempt[];
  next_attempt_at: Date | null;
  failing_since: Date | null;
  delivered_at: Date | null;
  failed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const attemptSchema = new Schema<DeliveryAttempt>(
  {
    number: { type: Number, required: true },
    at: { type: Date, required: true },
    status_code: { type: Number, default: null },
    error: { type: String, default: null },
    duration_ms: { type: Number, required: true },
    response_excerpt: { type: String, default: '' },
  },
  { _id: false },
);

const deliverySchema = new Schema<WebhookDeliveryDoc>(
  {
    _id: { type: Number, required: true },
    endpoint_id: { type: Number, required: true },
    event_id: { type: String, required: true, maxlength: 100 },
    event: { type: String, required: true },
    body: { type: String, required: true },
    state: { type: String, required: true, enum: DELIVERY_STATES },
    queued: { type: Boolean, required: true },
    round: { type: Number, required: true },
    round_base: { type: Number, required: true },
    attempt_count: { type: Number, required: true },
    attempts: { type: [attemptSchema], default: [] },
    next_attempt_at: { type: Date, default: null },
    failing_since: { type: Date, default: null },
    delivered_at: { type: Date, default: null },
    failed_at: { type: Date, default: null },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'webhook_deliveries' },
);
deliverySchema.index({ endpoint_id: 1, event_id: 1 }, { unique: true });
deliverySchema.index({ endpoint_id: 1, _id: -1 });
deliverySchema.index({ state: 1, queued: 1 });

export const WebhookDeliveryModel = mongoose.model<WebhookDeliveryDoc>('WebhookDelivery', deliverySchema);
