/** The lead page's contact and activity forms: add, change and remove, through the lead service. */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { explainRefusal, statusOf } from './forms.ts';
import { ACTIVITY_FORM_FIELDS, CONTACT_FORM_FIELDS, type FormValues } from './lead-form.ts';
import { TEXT, renderEdit } from './lead-pages.actions.ts';
import type { EditForms } from './lead-views.ts';
import { redirect, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const CONTACT_FORM = { name: TEXT, email: TEXT, phone: TEXT, role: TEXT } as const;
const ACTIVITY_FORM = { type: TEXT, contact_id: TEXT, occurred_at: TEXT, who: TEXT, text: TEXT } as const;

function valuesOf(p: Record<string, unknown>, fields: readonly string[]): FormValues {
  return Object.fromEntries(fields.map(f => [f, typeof p[f] === 'string' ? p[f] : '']));
}

/**
 * Calls the lead service; a refusal naming one of the form's fields re-renders the lead's page with
 * that form's input and errors (`place` says which form), anything else is the gateway's error page.
 */
async function change(
  ctx: PageContext<unknown>,
  leadId: number,
  action: string,
  params: Record<string, unknown>,
  done: string,
  fields: readonly string[],
  place: (state: { values: FormValues; errors: Record<string, string> }) => EditForms,
  values: FormValues,
): Promise<string | null> {
  try {
    await ctx.call(action, params);
    return redirect(ctx, `/leads/edit/${leadId}?notice=${done}`);
  } catch (err) {
    const form = explainRefusal(ctx.broker, err, action, params, fields);
    const type = (err as { type?: unknown }).type;
    if (!form || type === 'LEAD_NOT_FOUND') throw err;
    return renderEdit(ctx, leadId, {
      forms: place({ values, errors: form.errors }),
      alert: form.alert,
      status: statusOf(err),
    });
  }
}

/** `datetime-local` sends `2026-03-01T10:30` (UTC on these pages); the service takes ISO 8601. */
function isoFromLocal(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : value;
}

export const leadPeopleActions = {
  contactAdd: action({
    params: objectSchema({ lead_id: ID_SCHEMA, ...CONTACT_FORM }, ['lead_id']),
    handler(ctx) {
      const id = ctx.params.lead_id;
      const values = valuesOf(ctx.params, CONTACT_FORM_FIELDS);
      return change(
        ctx,
        id,
        'lead.addContact',
        { lead_id: id, ...values },
        'contact_added',
        CONTACT_FORM_FIELDS,
        state => ({ contact: state }),
        values,
      );
    },
  }),

  contactUpdate: action({
    params: objectSchema({ lead_id: ID_SCHEMA, contact_id: ID_SCHEMA, ...CONTACT_FORM }, ['lead_id', 'contact_id']),
    handler(ctx) {
      const { lead_id: id, contact_id: contactId } = ctx.params;
      const values = valuesOf(ctx.params, CONTACT_FORM_FIELDS);
      return change(
        ctx,
        id,
        'lead.updateContact',
        { lead_id: id, contact_id: contactId, ...values },
        'contact_saved',
        CONTACT_FORM_FIELDS,
        state => ({ contactEdit: { id: contactId, state } }),
        values,
      );
    },
  }),

  contactDelete: action({
    params: objectSchema({ lead_id: ID_SCHEMA, contact_id: ID_SCHEMA }, ['lead_id', 'contact_id']),
    async handler(ctx) {
      await ctx.call('lead.removeContact', { lead_id: ctx.params.lead_id, contact_id: ctx.params.contact_id });
      return redirect(ctx, `/leads/edit/${ctx.params.lead_id}?notice=contact_removed`);
    },
  }),

  activityAdd: action({
    params: objectSchema({ lead_id: ID_SCHEMA, ...ACTIVITY_FORM }, ['lead_id']),
    handler(ctx) {
      const id = ctx.params.lead_id;
      const values = valuesOf(ctx.params, ACTIVITY_FORM_FIELDS);
      const occurredAt = isoFromLocal(values.occurred_at!);
      const contactId = values.contact_id!.trim();
      const params = {
        lead_id: id,
        type: values.type,
        text: values.text,
        who: values.who,
        ...(occurredAt !== undefined ? { occurred_at: occurredAt } : {}),
        // A contact id that is not a number reaches the service as text, which refuses it by field.
        ...(contactId ? { contact_id: /^\d{1,15}$/.test(contactId) ? Number(contactId) : contactId } : {}),
      };
      return change(
        ctx,
        id,
        'lead.addActivity',
        params,
        'activity_added',
        ACTIVITY_FORM_FIELDS,
        state => ({ activity: state }),
        values,
      );
    },
  }),

  activityDelete: action({
    params: objectSchema({ lead_id: ID_SCHEMA, activity_id: ID_SCHEMA }, ['lead_id', 'activity_id']),
    async handler(ctx) {
      await ctx.call('lead.removeActivity', { lead_id: ctx.params.lead_id, activity_id: ctx.params.activity_id });
      return redirect(ctx, `/leads/edit/${ctx.params.lead_id}?notice=activity_removed`);
    },
  }),
};
