/**
 * Webhook endpoints: where facts are delivered, which facts, and the signing secret. The secret is
 * stored encrypted (services/webhook/secrets.ts), never in clear, so a database dump does not reveal
 * it. During a rotation the previous secret keeps signing beside the new one until
 * `previous_secret_until`.
 */
import mongoose, { Schema } from 'mongoose';

export interface WebhookEndpointDoc {
  _id: number;
  url: string;
  /** The subscription as the admin wrote it: event names, group names or `*`. */
  events: string[];
  /** The event names it expands to (`*` stays `*`, so events added later are included). */
  event_names: string[];
  /** AES-256-GCM ciphertext of the current secret. */
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  active: boolean;
  /** Why and when the endpoint stopped receiving; null while active. */
  disabled_reason: string | null;
  disabled_at: Date | null;
  /** `delivery_failure` (a delivery failed its whole schedule) or `admin` (PUT active: false). */
  disabled_by: 'delivery_failure' | 'admin' | null;
  created_at: Date;
  updated_at: Date;
}

const endpointSchema = new Schema<WebhookEndpointDoc>(
  {
    _id: { type: Number, required: true },
    url: { type: String, required: true, maxlength: 2048 },
    events: { type: [String], required: true },
    event_names: { type: [String], required: true },
    secret: { type: String, required: true },
    previous_secret: { type: String, default: null },
    previous_secret_until: { type: Date, default: null },
    active: { type: Boolean, required: true },
    disabled_reason: { type: String, default: null },
    disabled_at: { type: Date, default: null },
    disabled_by: { type: String, default: null },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'webhook_endpoints' },
);
endpointSchema.index({ active: 1 });

export const WebhookEndpointModel = mongoose.model<WebhookEndpointDoc>('WebhookEndpoint', endpointSchema);
