/**
 * The lead pages' handlers: thin, each calls the lead service's actions (the same the admin API would)
 * and renders the answer; a refusal that names a field is shown next to it with the input kept
 * (forms.ts), anything else becomes the gateway's error page. Changes answer with a 303 to the page
 * that shows the result, with a notice (post/redirect/get).
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { LEAD_STATUSES, LEAD_TYPES } from '../../models/lead-institution.model.ts';
import {
  LEAD_SORTS,
  type ConvertAnswer,
  type LeadAnswer,
  type LeadDetailAnswer,
  type LeadListAnswer,
  type LeadStatsAnswer,
} from '../lead/contract.ts';
import { explainRefusal, statusOf } from './forms.ts';
import { LEAD_FORM_FIELDS, leadValues, type FormValues } from './lead-form.ts';
import { listPage, type ListQuery } from './lead-list-view.ts';
import { deleteConfirmPage, editPage, newLeadPage, type EditForms } from './lead-views.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

export const TEXT = { type: 'string', maxLength: 10_000 } as const satisfies JsonSchema;
const SHORT = { type: 'string', maxLength: 100 } as const satisfies JsonSchema;
/** What was typed in a search box: anything up to this length is taken (cut to 100 characters). */
const SEARCH_INPUT = { type: 'string', maxLength: 1000 } as const satisfies JsonSchema;

const LEAD_FORM = {
  name: TEXT,
  type: TEXT,
  country: TEXT,
  website: TEXT,
  status: TEXT,
  owner: TEXT,
  notes: TEXT,
} as const satisfies Record<string, JsonSchema>;

export const EDIT_NOTICES: Record<string, string> = {
  created: 'Lead created.',
  saved: 'Changes saved.',
  converted: 'Converted: a new customer was created for this lead.',
  linked: 'Converted: linked to the existing customer with this email.',
  already: 'This lead had been converted already.',
  contact_added: 'Contact added.',
  contact_saved: 'Contact saved.',
  contact_removed: 'Contact removed.',
  activity_added: 'Activity recorded.',
  activity_removed: 'Activity removed.',
};
const LIST_NOTICES: Record<string, string> = { deleted: 'Lead deleted.' };

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T | ''): T | '' {
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** The list's query from the URL: a value that is not one of the options is ignored, not refused. */
export function listQueryOf(p: Record<string, string | undefined>): ListQuery {
  const page = /^\d{1,5}$/.test(p.page ?? '') ? Math.min(Math.max(Number(p.page), 1), 10_000) : 1;
  return {
    q: (p.q ?? '').trim().slice(0, 100),
    type: oneOf(p.type, LEAD_TYPES, ''),
    status: oneOf(p.status, LEAD_STATUSES, ''),
    sort: oneOf(p.sort, LEAD_SORTS, 'updated_at') || 'updated_at',
    order: p.order === 'asc' ? 'asc' : 'desc',
    page,
  };
}

/** The list's filters as lead.list / lead.exportRows params (empty ones left out). */
export function filterParams(query: ListQuery): { q?: string; type?: string; status?: string } {
  return {
    ...(query.q ? { q: query.q } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(query.status ? { status: query.status } : {}),
  };
}

/** The lead's page, with the state of a refused form when there is one. */
export async function renderEdit(
  ctx: PageContext<unknown>,
  leadId: number,
  options: { forms?: EditForms; alert?: string | null; notice?: string | null; status?: number } = {},
): Promise<string> {
  const viewer = viewerOf(ctx);
  const detail = await ctx.call<LeadDetailAnswer, { lead_id: number }>('lead.read', { lead_id: leadId });
  const forms = options.forms ?? {};
  const page = editPage({
    viewer,
    detail,
    forms,
    notice: options.notice ?? null,
    alert: options.alert ?? null,
    leadState: forms.lead ?? { values: leadValues(detail.lead), errors: {} },
  });
  return sendPage(ctx, page, options.status ?? 200);
}

function leadFieldsOf(p: Record<string, unknown>): FormValues {
  return Object.fromEntries(LEAD_FORM_FIELDS.map(f => [f, typeof p[f] === 'string' ? p[f] : '']));
}

export const leadPageActions = {
  /** GET /leads/ */
  leadList: action({
    params: objectSchema({
      q: SEARCH_INPUT,
      type: SHORT,
      status: SHORT,
      sort: SHORT,
      order: SHORT,
      page: SHORT,
      notice: SHORT,
    }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const query = listQueryOf(ctx.params);
      // In sequence: see lead.list (on the embedded server each query is a full scan).
      const stats = await ctx.call<LeadStatsAnswer, object>('lead.stats', {});
      const answer = await ctx.call<LeadListAnswer, object>('lead.list', {
        ...filterParams(query),
        sort: query.sort,
        order: query.order,
        page: query.page,
        limit: 25,
      });
      const notice = LIST_NOTICES[ctx.params.notice ?? ''] ?? null;
      return sendPage(ctx, listPage({ viewer, query, answer, stats, notice }));
    },
  }),

  /** GET /leads/create */
  leadNew: action({
    params: objectSchema({}),
    handler(ctx) {
      const viewer = viewerOf(ctx);
      const values = { type: 'company', status: 'new', owner: viewer.username };
      return sendPage(ctx, newLeadPage(viewer, { values, errors: {} }, null));
    },
  }),

  /** POST /leads/create */
  leadCreate: action({
    params: objectSchema(LEAD_FORM),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const values = leadFieldsOf(ctx.params);
      try {
        const lead = await ctx.call<LeadAnswer, FormValues>('lead.create', values);
        return redirect(ctx, `/leads/edit/${lead.id}?notice=created`);
      } catch (err) {
        const form = explainRefusal(this.broker, err, 'lead.create', values, LEAD_FORM_FIELDS);
        if (!form) throw err;
        return sendPage(ctx, newLeadPage(viewer, { values, errors: form.errors }, form.alert), statusOf(err));
      }
    },
  }),

  /** GET /leads/edit/:lead_id */
  leadEdit: action({
    params: objectSchema({ lead_id: ID_SCHEMA, notice: SHORT }, ['lead_id']),
    handler(ctx) {
      return renderEdit(ctx, ctx.params.lead_id, { notice: EDIT_NOTICES[ctx.params.notice ?? ''] ?? null });
    },
  }),

  /** POST /leads/update/:lead_id */
  leadUpdate: action({
    params: objectSchema({ lead_id: ID_SCHEMA, ...LEAD_FORM }, ['lead_id']),
    async handler(ctx) {
      const id = ctx.params.lead_id;
      const values = leadFieldsOf(ctx.params);
      try {
        await ctx.call('lead.update', { lead_id: id, ...values });
        return redirect(ctx, `/leads/edit/${id}?notice=saved`);
      } catch (err) {
        const form = explainRefusal(this.broker, err, 'lead.update', { lead_id: id, ...values }, LEAD_FORM_FIELDS);
        if (!form || (err as { type?: unknown }).type === 'LEAD_NOT_FOUND') throw err;
        return renderEdit(ctx, id, {
          forms: { lead: { values, errors: form.errors } },
          alert: form.alert,
          status: statusOf(err),
        });
      }
    },
  }),

  /** POST /leads/delete/:lead_id: first a confirmation page; with confirm=yes, the deletion. */
  leadDelete: action({
    params: objectSchema({ lead_id: ID_SCHEMA, confirm: SHORT }, ['lead_id']),
    async handler(ctx) {
      const id = ctx.params.lead_id;
      if (ctx.params.confirm !== 'yes') {
        const detail = await ctx.call<LeadDetailAnswer, { lead_id: number }>('lead.read', { lead_id: id });
        return sendPage(ctx, deleteConfirmPage(viewerOf(ctx), detail));
      }
      await ctx.call('lead.remove', { lead_id: id });
      return redirect(ctx, '/leads/?notice=deleted');
    },
  }),

  /** POST /leads/convert/:lead_id */
  leadConvert: action({
    params: objectSchema({ lead_id: ID_SCHEMA }, ['lead_id']),
    async handler(ctx) {
      const id = ctx.params.lead_id;
      try {
        const answer = await ctx.call<ConvertAnswer, { lead_id: number }>('lead.convert', { lead_id: id });
        const notice = { created: 'converted', linked: 'linked', already: 'already' }[answer.outcome];
        return redirect(ctx, `/leads/edit/${id}?notice=${notice}`);
      } catch (err) {
        if ((err as { type?: unknown }).type !== 'LEAD_NOT_CONVERTIBLE') throw err;
        return renderEdit(ctx, id, { alert: (err as Error).message, status: 409 });
      }
    },
  }),
};
