/**
 * The admin API's webhook routes (services/api/routes/webhook.routes.ts): endpoints, their deliveries,
 * a test event and redelivery. A secret, given or generated, is answered once on creation and once on
 * rotation, and is never logged; URLs are checked by url-policy.ts.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, PAGE_SCHEMA, SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { ConflictError, ValidationError } from '../../lib/core/errors.ts';
import { requireCaller } from '../../lib/security/principal-proof.ts';
import { escapeRegex, pagination } from '../../lib/core/values.ts';
import { nextId } from '../../models/counter.model.ts';
import { WebhookEndpointModel, type WebhookEndpointDoc } from '../../models/webhook-endpoint.model.ts';
import { DELIVERY_STATES, WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import type { CreatedWebhookAnswer, QueuedDeliveryAnswer } from './contract.ts';
import { createTestDelivery, enqueue, sweep } from './outbox.ts';
import { findDelivery, findEndpoint, toDeliveryAnswer, toWebhookAnswer } from './records.ts';
import { generateSecret, isValidSecret } from './secrets.ts';
import type { WebhookThis } from './state.ts';
import { SUBSCRIPTION_NAMES, TEST_EVENT, expandSubscription } from './subscriptions.ts';
import { MAX_URL_LENGTH, UrlRefusal, checkWebhookUrl } from './url-policy.ts';

const action = actionFor<WebhookThis>();

const URL_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  example: 'https://hooks.example.com/license-server',
} as const satisfies JsonSchema;
const EVENTS_SCHEMA = {
  type: 'array',
  items: { type: 'string', enum: [...SUBSCRIPTION_NAMES] },
  minItems: 1,
  maxItems: 20,
  uniqueItems: true,
} as const satisfies JsonSchema;
const SECRET_SCHEMA = { type: 'string', minLength: 1, maxLength: 200 } as const satisfies JsonSchema;
const LIMIT_SCHEMA = { type: 'integer', minimum: 1, maximum: 100, default: 20 } as const satisfies JsonSchema;
const WEBHOOK_PARAMS = objectSchema({ webhook_id: ID_SCHEMA }, ['webhook_id']);

/** The URL as it will be stored, or a 400: malformed (VALIDATION_ERROR) or not allowed (production). */
async function checkedUrl(svc: WebhookThis, raw: string): Promise<string> {
  try {
    return (await checkWebhookUrl(raw, svc.delivery.production, svc.resolveHost)).href;
  } catch (err) {
    if (!(err instanceof UrlRefusal)) throw err;
    throw new ValidationError(
      err.message,
      { field: 'url', reason: err.reason },
      err.policy ? 'WEBHOOK_URL_NOT_ALLOWED' : 'VALIDATION_ERROR',
    );
  }
}

function checkedSecret(secret: string): string {
  if (!isValidSecret(secret)) {
    throw new ValidationError(
      'secret must be whsec_ followed by the base64 of 24 to 64 random bytes',
      { field: 'secret', reason: 'format_invalid' },
      'WEBHOOK_SECRET_INVALID',
    );
  }
  return secret;
}

function queuedAnswer(delivery: { _id: number; event: string; queued: boolean }): QueuedDeliveryAnswer {
  return { success: true, delivery_id: delivery._id, event: delivery.event, state: 'pending', queued: delivery.queued };
}

export const adminActions = {
  /** POST /api/webhooks */
  create: action({
    params: objectSchema(
      { url: URL_SCHEMA, events: EVENTS_SCHEMA, secret: SECRET_SCHEMA, active: { type: 'boolean' } },
      ['url', 'events'],
    ),
    async handler(ctx): Promise<CreatedWebhookAnswer> {
      // Creates a signing secret: only for a signed-in admin, never for any broker client.
      requireCaller(ctx.meta);
      const p = ctx.params;
      const url = await checkedUrl(this, p.url);
      const secret = p.secret === undefined ? generateSecret() : checkedSecret(p.secret);
      const now = new Date();
      const active = p.active ?? true;
      const created = await WebhookEndpointModel.create({
        _id: await nextId('webhook_endpoint'),
        url,
        events: p.events,
        event_names: expandSubscription(p.events),
        secret: this.box.seal(secret),
        active,
        ...(active ? {} : { disabled_by: 'admin', disabled_reason: 'created inactive', disabled_at: now }),
        created_at: now,
        updated_at: now,
      });
      // The secret is in this answer: no cache may keep it.
      Object.assign(ctx.meta, {
        $statusCode: 201,
        $location: `/api/webhook/${created._id}`,
        $responseHeaders: { 'Cache-Control': 'no-store' },
      });
      return { ...toWebhookAnswer(created.toObject()), secret };
    },
  }),

  /** GET /api/webhooks: by id; `active` and `q` (text the URL contains, any case) filter. */
  list: action({
    params: objectSchema({
      page: PAGE_SCHEMA,
      limit: LIMIT_SCHEMA,
      active: { type: 'boolean' },
      q: SEARCH_TEXT_SCHEMA,
    }),
    async handler(ctx) {
      const { page, limit } = ctx.params;
      const filter = {
        ...(ctx.params.active === undefined ? {} : { active: ctx.params.active }),
        ...(ctx.params.q === undefined ? {} : { url: new RegExp(escapeRegex(ctx.params.q), 'i') }),
      };
      const [total, docs] = await Promise.all([
        WebhookEndpointModel.countDocuments(filter),
        WebhookEndpointModel.find(filter)
          .sort({ _id: 1 })
          .skip((page - 1) * limit)
          .limit(limit)
          .lean(),
      ]);
      return { webhooks: docs.map(d => toWebhookAnswer(d)), pagination: pagination(page, limit, total) };
    },
  }),

  /** GET /api/webhook/:webhook_id */
  read: action({
    params: WEBHOOK_PARAMS,
    async handler(ctx) {
      return { webhook: toWebhookAnswer(await findEndpoint(ctx.params.webhook_id)) };
    },
  }),

  /**
   * PUT /api/webhook/:webhook_id: url, events, active (true re-enables a disabled endpoint), and a
   * secret rotation (a given `secret`, or `rotate_secret: true`): the previous secret signs beside the
   * new one for 24 hours.
   */
  update: action({
    params: objectSchema(
      {
        webhook_id: ID_SCHEMA,
        url: URL_SCHEMA,
        events: EVENTS_SCHEMA,
        active: { type: 'boolean' },
        secret: SECRET_SCHEMA,
        rotate_secret: { type: 'boolean' },
      },
      ['webhook_id'],
      { minProperties: 2 },
    ),
    async handler(ctx) {
      // Changes where signed events go and can rotate the secret: a signed-in admin only.
      requireCaller(ctx.meta);
      const { webhook_id: id, ...p } = ctx.params;
      if (p.secret !== undefined && p.rotate_secret !== undefined) {
        throw new ValidationError('Give either secret or rotate_secret, not both', {
          field: 'rotate_secret',
          reason: 'not_allowed',
        });
      }
      const current = await findEndpoint(id);
      const now = new Date();
      const set: Partial<WebhookEndpointDoc> = { updated_at: now };
      if (p.url !== undefined) set.url = await checkedUrl(this, p.url);
      if (p.events !== undefined) Object.assign(set, { events: p.events, event_names: expandSubscription(p.events) });
      if (p.active === true && !current.active) {
        Object.assign(set, { active: true, disabled_by: null, disabled_reason: null, disabled_at: null });
      }
      if (p.active === false && current.active) {
        Object.assign(set, {
          active: false,
          disabled_by: 'admin',
          disabled_reason: 'disabled by an admin',
          disabled_at: now,
        });
      }
      let secret: string | undefined;
      if (p.secret !== undefined || p.rotate_secret === true) {
        secret = p.secret === undefined ? generateSecret() : checkedSecret(p.secret);
        Object.assign(set, {
          secret: this.box.seal(secret),
          previous_secret: current.secret,
          previous_secret_until: new Date(now.getTime() + 24 * 3600_000),
        });
      }
      // Compare-and-set on the secret: two rotations at once must not both keep the same "previous".
      const doc = await WebhookEndpointModel.findOneAndUpdate(
        { _id: id, secret: current.secret },
        { $set: set },
        { returnDocument: 'after', lean: true },
      );
      if (!doc) throw new ConflictError('The webhook changed while it was being updated, retry', 'CONCURRENT_UPDATE');
      if (set.active === true) {
        // Its paused deliveries go out again now rather than at the next sweep.
        void sweep(this).catch((err: Error) => this.logger.warn('Sweep failed', { message: err.message }));
      }
      // A rotated secret is in this answer: no cache may keep it.
      if (secret !== undefined) Object.assign(ctx.meta, { $responseHeaders: { 'Cache-Control': 'no-store' } });
      return {
        success: true,
        message: 'Webhook updated successfully',
        webhook: toWebhookAnswer(doc),
        ...(secret !== undefined ? { secret } : {}),
      };
    },
  }),

  /** DELETE /api/webhook/:webhook_id: the endpoint and its delivery log. */
  remove: action({
    params: WEBHOOK_PARAMS,
    async handler(ctx) {
      requireCaller(ctx.meta);
      const id = ctx.params.webhook_id;
      const { deletedCount } = await WebhookEndpointModel.deleteOne({ _id: id });
      if (deletedCount === 0) await findEndpoint(id); // throws WEBHOOK_NOT_FOUND
      await WebhookDeliveryModel.deleteMany({ endpoint_id: id });
      return { success: true, message: 'Webhook deleted successfully' };
    },
  }),

  /** POST /api/webhook/:webhook_id/test: a `webhook.test` event through the delivery path. */
  test: action({
    params: WEBHOOK_PARAMS,
    async handler(ctx): Promise<QueuedDeliveryAnswer> {
      const endpoint = await findEndpoint(ctx.params.webhook_id);
      const delivery = await createTestDelivery(this, endpoint._id);
      ctx.meta.$statusCode = 202;
      return queuedAnswer(delivery!);
    },
  }),

  /** GET /api/webhook/:webhook_id/deliveries: newest first. */
  deliveries: action({
    params: objectSchema(
      {
        webhook_id: ID_SCHEMA,
        state: { type: 'string', enum: [...DELIVERY_STATES] },
        page: PAGE_SCHEMA,
        limit: LIMIT_SCHEMA,
      },
      ['webhook_id'],
    ),
    async handler(ctx) {
      const { webhook_id: id, page, limit } = ctx.params;
      await findEndpoint(id);
      const filter = { endpoint_id: id, ...(ctx.params.state ? { state: ctx.params.state } : {}) };
      const [total, docs] = await Promise.all([
        WebhookDeliveryModel.countDocuments(filter),
        WebhookDeliveryModel.find(filter)
          .sort({ _id: -1 })
          .skip((page - 1) * limit)
          .limit(limit)
          .lean(),
      ]);
      return { deliveries: docs.map(toDeliveryAnswer), pagination: pagination(page, limit, total) };
    },
  }),

  /**
   * POST /api/webhook/delivery/:delivery_id/redeliver: a new round of attempts now, with the same
   * webhook-id; earlier attempts stay in the log. Refused while the endpoint is disabled.
   */
  redeliver: action({
    params: objectSchema({ delivery_id: ID_SCHEMA }, ['delivery_id']),
    async handler(ctx): Promise<QueuedDeliveryAnswer> {
      const current = await findDelivery(ctx.params.delivery_id);
      const endpoint = await findEndpoint(current.endpoint_id);
      if (!endpoint.active && current.event !== TEST_EVENT) {
        throw new ConflictError(
          'The webhook is disabled: enable it (PUT active: true) before redelivering',
          'CONFLICT',
          {
            field: 'delivery_id',
            reason: 'webhook_disabled',
          },
        );
      }
      const now = new Date();
      const doc = await WebhookDeliveryModel.findOneAndUpdate(
        { _id: current._id, round: current.round, attempt_count: current.attempt_count },
        {
          $set: {
            round: current.round + 1,
            round_base: current.attempt_count,
            state: 'pending',
            queued: false,
            next_attempt_at: now,
            failing_since: null,
            delivered_at: null,
            failed_at: null,
            updated_at: now,
          },
        },
        { returnDocument: 'after', lean: true },
      );
      if (!doc) throw new ConflictError('The delivery changed while it was being requeued, retry', 'CONCURRENT_UPDATE');
      ctx.meta.$statusCode = 202;
      return queuedAnswer({ ...doc, queued: await enqueue(this, doc) });
    },
  }),
};
