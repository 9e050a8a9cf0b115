/**
 * The Webhooks pages' handlers: each calls the webhook service's admin actions (the admin API's own:
 * same URL checks, secret handling and logging) and renders the answer. A secret exists in clear only
 * in the answer of a creation or a rotation, so it is rendered straight into that answer (pages are
 * never cached: Cache-Control no-store) and never stored or redirected with. A rotation or deletion
 * asks for confirmation first; a rotation confirmed twice (a reload of the answer) rotates once.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { DELIVERY_STATES } from '../../models/webhook-delivery.model.ts';
import type { CreatedWebhookAnswer, WebhookAnswer } from '../webhook/contract.ts';
import {
  FIELD,
  FIELD_LIST,
  SEARCH_INPUT,
  SHORT,
  confirmPage,
  confirmThenShowSecret,
  listOf,
  oneOf,
  pageOf,
} from './admin-ops-common.ts';
import { deliveryLog, endpointHref, type DeliveryListAnswer, type DeliveryQuery } from './admin-ops-webhook-log.ts';
import {
  WEBHOOK_STATES,
  endpointSummary,
  formStateOf,
  newWebhookPage,
  secretPage,
  webhookListPage,
  type WebhookFormState,
  type WebhookListAnswer,
} from './admin-ops-webhook-views.ts';
import { explainRefusal, statusOf } from './forms.ts';
import { html } from './html.ts';
import { layout } from './layout.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const LIST_PER_PAGE = 20;
const LOG_PER_PAGE = 10;
const FORM_FIELDS = ['url', 'events'] as const;
const LIST_NOTICES: Record<string, string> = { deleted: 'Webhook deleted, with its delivery log.' };
const PAGE_NOTICES: Record<string, string> = {
  saved: 'Changes saved.',
  test_sent: 'Test event queued: it appears in the delivery log below (reload to follow its attempts).',
  redelivered: 'Delivery queued again: its new attempts are added to its log.',
};

const FORM = { url: FIELD, events: FIELD_LIST, active: SHORT, active_shown: SHORT } as const;

/** The service's refusal of the events in a person's words (its schema speaks of "items"). */
function eventsInWords(errors: Record<string, string>, events: string[]): void {
  if (errors.events !== undefined && events.length === 0) errors.events = 'Choose at least one event.';
}

function formOf(p: { url?: string; events?: string | string[]; active?: string }, active: boolean): WebhookFormState {
  return { url: (p.url ?? '').trim(), events: listOf(p.events), active, errors: {} };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function read(ctx: PageContext<unknown>, id: number): Promise<WebhookAnswer> {
  return ctx.call<{ webhook: WebhookAnswer }, object>('webhook.read', { webhook_id: id }).then(a => a.webhook);
}

/** The endpoint's page: details and actions, its settings form (admin), its delivery log. */
async function renderEndpoint(
  ctx: PageContext<unknown>,
  id: number,
  options: {
    query?: DeliveryQuery;
    form?: WebhookFormState;
    notice?: string | null;
    alert?: string | null;
    status?: number;
  } = {},
): Promise<string> {
  const viewer = viewerOf(ctx);
  const query = options.query ?? { state: '', page: 1 };
  const webhook = await read(ctx, id);
  const log = await ctx.call<DeliveryListAnswer, object>('webhook.deliveries', {
    webhook_id: id,
    page: query.page,
    limit: LOG_PER_PAGE,
    ...(query.state ? { state: query.state } : {}),
  });
  const page = layout({
    title: `Webhook ${webhook.id}: ${hostOf(webhook.url)}`,
    viewer,
    area: 'webhooks',
    notice: options.notice ?? null,
    alert: options.alert ?? null,
    body: html`<p class="breadcrumb"><a href="/admin/webhooks">Webhooks</a></p>
      ${endpointSummary(viewer, webhook, options.form ?? formStateOf(webhook))}
      ${deliveryLog({ viewer, webhook, query, answer: log })}`,
  });
  return sendPage(ctx, page, options.status ?? 200);
}

export const webhookActions = {
  /** GET /admin/webhooks */
  opsWebhooks: action({
    params: objectSchema({ q: SEARCH_INPUT, state: SHORT, page: SHORT, notice: SHORT }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const query = {
        q: (ctx.params.q ?? '').trim().slice(0, 100),
        state: oneOf(ctx.params.state, WEBHOOK_STATES, ''),
        page: pageOf(ctx.params.page),
      };
      const answer = await ctx.call<WebhookListAnswer, object>('webhook.list', {
        page: query.page,
        limit: LIST_PER_PAGE,
        ...(query.q ? { q: query.q } : {}),
        ...(query.state ? { active: query.state === 'active' } : {}),
      });
      const notice = LIST_NOTICES[ctx.params.notice ?? ''] ?? null;
      return sendPage(ctx, webhookListPage({ viewer, query, answer, notice }));
    },
  }),

  /** GET /admin/webhooks/new (admin) */
  opsWebhookNew: action({
    params: objectSchema({}),
    handler(ctx) {
      const state = { url: '', events: ['*'], active: true, errors: {} };
      return sendPage(ctx, newWebhookPage(viewerOf(ctx), state, null));
    },
  }),

  /** POST /admin/webhooks/new: the endpoint, then its secret shown this once. */
  opsWebhookCreate: action({
    params: objectSchema(FORM),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const state = formOf(ctx.params, true);
      const params = { url: state.url, events: state.events };
      try {
        const created = await ctx.call<CreatedWebhookAnswer, object>('webhook.create', params);
        const { secret, ...webhook } = created;
        // Created: its address is its page here, not the API's (which the action's answer named).
        ctx.meta.$location = `/admin/webhooks/${webhook.id}`;
        return sendPage(ctx, secretPage(viewer, webhook, secret, false), 201);
      } catch (err) {
        const form = explainRefusal(this.broker, err, 'webhook.create', params, FORM_FIELDS);
        if (!form) throw err;
        eventsInWords(form.errors, state.events);
        return sendPage(ctx, newWebhookPage(viewer, { ...state, errors: form.errors }, form.alert), statusOf(err));
      }
    },
  }),

  /** GET /admin/webhooks/:webhook_id: details, settings (admin), the delivery log. */
  opsWebhook: action({
    params: objectSchema({ webhook_id: ID_SCHEMA, state: SHORT, page: SHORT, notice: SHORT }, ['webhook_id']),
    handler(ctx) {
      const query = { state: oneOf(ctx.params.state, DELIVERY_STATES, ''), page: pageOf(ctx.params.page) };
      return renderEndpoint(ctx, ctx.params.webhook_id, {
        query,
        notice: PAGE_NOTICES[ctx.params.notice ?? ''] ?? null,
      });
    },
  }),

  /** POST /admin/webhooks/:webhook_id/update: url, events, active. */
  opsWebhookUpdate: action({
    params: objectSchema({ webhook_id: ID_SCHEMA, ...FORM }, ['webhook_id']),
    async handler(ctx) {
      const id = ctx.params.webhook_id;
      // An unticked checkbox sends nothing: the hidden field says the box was on the form.
      const active = ctx.params.active === 'yes' || ctx.params.active_shown !== '1';
      const state = formOf(ctx.params, active);
      const params = { webhook_id: id, url: state.url, events: state.events, active };
      try {
        await ctx.call('webhook.update', params);
        return redirect(ctx, `/admin/webhooks/${id}?notice=saved`);
      } catch (err) {
        const form = explainRefusal(this.broker, err, 'webhook.update', params, FORM_FIELDS);
        if (!form || (err as { type?: unknown }).type === 'WEBHOOK_NOT_FOUND') throw err;
        eventsInWords(form.errors, state.events);
        return renderEndpoint(ctx, id, {
          form: { ...state, errors: form.errors },
          alert: form.alert,
          status: statusOf(err),
        });
      }
    },
  }),

  /** POST /admin/webhooks/:webhook_id/rotate: a confirmation, then the new secret shown once. */
  opsWebhookRotate: action({
    params: objectSchema({ webhook_id: ID_SCHEMA, confirm: SHORT, seen: SHORT }, ['webhook_id']),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const id = ctx.params.webhook_id;
      const webhook = await read(ctx, id);
      return confirmThenShowSecret(ctx, ctx.params, {
        stamp: webhook.updated_at,
        stale: () =>
          renderEndpoint(ctx, id, {
            alert:
              'The webhook changed since you confirmed (its secret may have been rotated already), so nothing was done. Look at it again before rotating.',
            status: 409,
          }),
        confirm: {
          viewer,
          area: 'webhooks',
          title: 'Rotate the signing secret?',
          action: `/admin/webhooks/${id}/rotate`,
          confirmLabel: 'Yes, rotate the secret',
          cancelHref: `/admin/webhooks/${id}`,
          body: html`<p>A new signing secret is made for <strong>${webhook.url}</strong> and shown to you once.</p>
            <p>
              For the next 24 hours every delivery is signed with both the new and the current secret, so the receiver
              can switch to the new one without missing a delivery. After that, only the new secret signs.
            </p>`,
        },
        reveal: async () => {
          const answer = await ctx.call<{ webhook: WebhookAnswer; secret?: string }, object>('webhook.update', {
            webhook_id: id,
            rotate_secret: true,
          });
          return secretPage(viewer, answer.webhook, answer.secret ?? '', true);
        },
      });
    },
  }),

  /** POST /admin/webhooks/:webhook_id/test: a webhook.test event, then the log shows it. */
  opsWebhookTest: action({
    params: objectSchema({ webhook_id: ID_SCHEMA }, ['webhook_id']),
    async handler(ctx) {
      const id = ctx.params.webhook_id;
      await ctx.call('webhook.test', { webhook_id: id });
      return redirect(ctx, `/admin/webhooks/${id}?notice=test_sent#deliveries`);
    },
  }),

  /** POST /admin/webhooks/:webhook_id/delete: a confirmation, then the endpoint and its log go. */
  opsWebhookDelete: action({
    params: objectSchema({ webhook_id: ID_SCHEMA, confirm: SHORT }, ['webhook_id']),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const id = ctx.params.webhook_id;
      if (ctx.params.confirm !== 'yes') {
        const webhook = await read(ctx, id);
        return sendPage(
          ctx,
          confirmPage({
            viewer,
            area: 'webhooks',
            title: 'Delete this webhook?',
            action: `/admin/webhooks/${id}/delete`,
            confirmLabel: 'Yes, delete the webhook',
            cancelHref: `/admin/webhooks/${id}`,
            body: html`<p>
                <strong>${webhook.url}</strong> stops receiving events at once, and its delivery log is deleted with it.
                This cannot be undone.
              </p>
              <p>To stop deliveries for a while instead, untick "Active" in its settings.</p>`,
          }),
        );
      }
      await ctx.call('webhook.remove', { webhook_id: id });
      return redirect(ctx, '/admin/webhooks?notice=deleted');
    },
  }),

  /** POST /admin/webhooks/:webhook_id/deliveries/:delivery_id/redeliver */
  opsRedeliver: action({
    params: objectSchema({ webhook_id: ID_SCHEMA, delivery_id: ID_SCHEMA }, ['webhook_id', 'delivery_id']),
    async handler(ctx) {
      const id = ctx.params.webhook_id;
      try {
        await ctx.call('webhook.redeliver', { delivery_id: ctx.params.delivery_id });
        return redirect(
          ctx,
          `${endpointHref(id, { state: '', page: 1 })}?notice=redelivered#delivery-${ctx.params.delivery_id}`,
        );
      } catch (err) {
        const type = (err as { type?: unknown }).type;
        if (type !== 'CONFLICT' && type !== 'CONCURRENT_UPDATE') throw err;
        return renderEndpoint(ctx, id, { alert: (err as Error).message, status: 409 });
      }
    },
  }),
};
