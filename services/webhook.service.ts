/**
 * Webhooks: admins register endpoints (webhook/admin.actions.ts); every deliverable fact is written to
 * the outbox once per subscribed endpoint and delivered through BullMQ, signed per Standard Webhooks
 * 1.0, at least once, with retries over a schedule of about a day (webhook/outbox.ts,
 * webhook/attempts.ts). docs/webhooks.md is the receiver's guide.
 */
import type { Context } from 'moleculer';
import { config } from '../config/index.ts';
import type { Fact } from '../lib/core/events.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import { hotMetrics } from '../lib/observability/hot-metrics.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { repeatingJobMixin } from '../mixins/repeating-job.mixin.ts';
import { WebhookDeliveryModel } from '../models/webhook-delivery.model.ts';
import { WebhookEndpointModel } from '../models/webhook-endpoint.model.ts';
import { adminActions } from './webhook/admin.actions.ts';
import { processAttempt } from './webhook/attempts.ts';
import { internalActions } from './webhook/internal.actions.ts';
import { SWEEP_EVERY_MS, SWEEP_JOB, fanOut, sweep } from './webhook/outbox.ts';
import { DeliveryQueue } from './webhook/queue.ts';
import { SecretBox } from './webhook/secrets.ts';
import type { WebhookThis } from './webhook/state.ts';
import type { DeliverableEvent } from './webhook/subscriptions.ts';
import { systemResolver } from './webhook/url-policy.ts';

const DEPTH_EVERY_MS = 15_000;
const DEPTH_GAUGE = 'webhook.queue.depth';

function deliver<E extends DeliverableEvent>(event: E) {
  return function (this: WebhookThis, ctx: Context<Fact<E>>): Promise<void> {
    return fanOut(this, event, ctx.params).catch((err: Error) =>
      this.logger.error('A fact could not be written to the webhook outbox', { event, message: err.message }),
    );
  };
}

async function updateDepth(svc: WebhookThis): Promise<void> {
  try {
    svc.broker.metrics.set(DEPTH_GAUGE, await svc.queue.depth());
  } catch {
    // Redis away: the gauge keeps its last value until the next reading.
  }
}

const WebhookService: ServiceSchemaOf<WebhookThis> = {
  name: 'webhook',
  // Moleculer starts mixins last to first and stops them first to last: the sweeper starts after the
  // database is there and stops before it goes.
  mixins: [
    repeatingJobMixin<WebhookThis>({
      name: SWEEP_JOB,
      everyMs: SWEEP_EVERY_MS,
      run() {
        return sweep(this);
      },
    }),
    factsMixin(),
    dbMixin([WebhookEndpointModel, WebhookDeliveryModel]),
  ],

  actions: { ...adminActions, ...internalActions },

  events: {
    'license.activated': deliver('license.activated'),
    'license.deactivated': deliver('license.deactivated'),
    'license.expired': deliver('license.expired'),
    'license.updated': deliver('license.updated'),
    'license.usage_threshold': deliver('license.usage_threshold'),
    'device.heartbeat.dead': deliver('device.heartbeat.dead'),
    'anomaly.detected': deliver('anomaly.detected'),
    'apikey.rotated': deliver('apikey.rotated'),
    'webhook.endpoint_disabled': deliver('webhook.endpoint_disabled'),
  },

  created(this: WebhookThis) {
    const cfg = config();
    this.delivery = {
      production: cfg.isProduction,
      timeoutMs: cfg.webhook.timeoutMs,
      retrySchedule: cfg.webhook.retrySchedule,
    };
    this.resolveHost = systemResolver;
    const total = hotMetrics(this.broker).counter('webhook_deliveries_total', 'Webhook delivery attempts by outcome');
    this.outcomes = {
      delivered: total.child({ state: 'delivered' }),
      failed_attempt: total.child({ state: 'failed_attempt' }),
      failed: total.child({ state: 'failed' }),
    };
    if (!this.broker.metrics.getMetric(DEPTH_GAUGE)) {
      this.broker.metrics.register({
        type: 'gauge',
        name: DEPTH_GAUGE,
        description: 'Webhook delivery attempts waiting or delayed in the queue (cluster-wide)',
      });
    }
    this.depthTimer = null;
  },

  started(this: WebhookThis) {
    this.box = new SecretBox(config().webhook.secretKey);
    this.queue = new DeliveryQueue();
    this.queue.startWorker(
      job => processAttempt(this, job),
      err => this.logger.warn('Webhook attempt failed to run', { message: err.message }),
    );
    this.queue.onReconnect(() => {
      void sweep(this).catch((err: Error) => this.logger.warn('Sweep failed', { message: err.message }));
    });
    void updateDepth(this);
    this.depthTimer = setInterval(() => void updateDepth(this), DEPTH_EVERY_MS);
    this.depthTimer.unref();
  },

  async stopped(this: WebhookThis) {
    if (this.depthTimer) clearInterval(this.depthTimer);
    await this.queue?.close();
  },
};

export default WebhookService;
