/**
 * The license list and the new-license form (/admin/licenses): thin handlers over the license
 * service's actions (license.list, license.create, license.generateKey, the bulk actions), the
 * customers' names and choices from the customer service. Bulk changes show what will change first
 * (bulk.ts), then call the same bulk actions as the admin API.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { dateOnly } from '../../lib/core/values.ts';
import { LICENSE_TYPES } from '../../models/license.model.ts';
import type { CustomerStatusAnswer } from '../customer/contract.ts';
import { LICENSE_STATUSES, type LicenseListEntry } from '../license/contract.ts';
import { bulkChange, BULK_PARAMS } from './admin-biz-license-bulk.ts';
import {
  SEARCH_INPUT,
  SHORT,
  TEXT,
  checked,
  explainForm,
  idParam,
  noticeOf,
  numberParam,
  optionParam,
  optionalParam,
  pageParam,
  refusalStatus,
  valuesOf,
  type FormState,
} from './admin-biz-forms.ts';
import {
  LICENSE_FIELD_TEXTS,
  LICENSE_FORM_FIELDS,
  newLicensePage,
  newLicenseValues,
} from './admin-biz-license-form.ts';
import {
  EXPIRING,
  SORTS,
  licenseListPage,
  type CustomerChoice,
  type LicenseListAnswer,
  type LicenseListQuery,
} from './admin-biz-license-views.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

/** Customers a select offers at once; more are found by typing more of the name. */
const CUSTOMER_CHOICES = 50;

export const LIST_NOTICES: Record<string, string> = {
  activated: 'The selected licenses were activated.',
  deactivated: 'The selected licenses were deactivated.',
  deleted: 'The selected licenses were deleted.',
  license_deleted: 'License deleted.',
  saved: 'Changes saved.',
  unchanged: 'Nothing was changed.',
};

export function licenseListQueryOf(p: Record<string, string | undefined>): LicenseListQuery {
  return {
    q: (p.q ?? '').trim().slice(0, 100),
    status: optionParam(p.status, LICENSE_STATUSES),
    type: optionParam(p.type, LICENSE_TYPES),
    customer_id: idParam(p.customer_id),
    customer_q: (p.customer_q ?? '').trim().slice(0, 100),
    expiring: optionParam(p.expiring, EXPIRING),
    sort: optionParam(p.sort, SORTS) || 'id',
    order: p.order === 'asc' ? 'asc' : 'desc',
    page: pageParam(p.page),
  };
}

/** Names of some customers by id (those that exist), for list rows and selects. */
export async function customerNames(
  ctx: PageContext<unknown>,
  ids: number[],
): Promise<Map<number, CustomerStatusAnswer>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const found = await ctx.call<CustomerStatusAnswer[], { ids: number[] }>('customer.statuses', { ids: unique });
  return new Map(found.map(c => [c.id, c]));
}

/**
 * The customers a select offers: those matching the text (all, by name, without text), with the
 * chosen one kept in the list even when the text no longer matches it.
 */
export async function customerChoices(
  ctx: PageContext<unknown>,
  text: string,
  chosen: number | undefined,
): Promise<{ choices: CustomerChoice[]; more: boolean }> {
  const found = await ctx.call<{ results: CustomerChoice[]; pagination: { more: boolean } }, object>(
    'customer.select',
    {
      ...(text ? { q: text } : {}),
      limit: CUSTOMER_CHOICES,
    },
  );
  const choices = found.results;
  if (chosen !== undefined && !choices.some(c => c.id === chosen)) {
    const known = (await customerNames(ctx, [chosen])).get(chosen);
    if (known) choices.unshift({ id: known.id, text: `${known.name} - ${known.email}` });
  }
  return { choices, more: found.pagination.more };
}

async function renderNew(
  ctx: PageContext<unknown>,
  state: FormState,
  o: { alert?: string | null; notice?: string | null; status?: number } = {},
): Promise<string> {
  const viewer = viewerOf(ctx);
  const { choices, more } = await customerChoices(
    ctx,
    state.values.customer_q ?? '',
    idParam(state.values.customer_id),
  );
  const page = newLicensePage({
    viewer,
    state,
    customers: choices,
    moreCustomers: more,
    alert: o.alert ?? null,
    notice: o.notice ?? null,
  });
  return sendPage(ctx, page, o.status ?? 200);
}

/** license.create's params from the form: empty fields are "not given", so the service's defaults apply. */
function createParams(v: FormState['values']): Record<string, unknown> {
  const params: Record<string, unknown> = {
    key: optionalParam(v.key),
    customer_id: numberParam(v.customer_id),
    type: optionalParam(v.type),
    valid_from: optionalParam(v.valid_from),
    valid_until: optionalParam(v.valid_until),
    max_activations: numberParam(v.max_activations),
    max_users: numberParam(v.max_users),
    is_active: checked(v.is_active),
    notes: v.notes,
  };
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
}

const LICENSE_FORM = Object.fromEntries(LICENSE_FORM_FIELDS.map(f => [f, f === 'notes' ? TEXT : SHORT])) as Record<
  (typeof LICENSE_FORM_FIELDS)[number],
  typeof SHORT | typeof TEXT
>;

export const licensePageActions = {
  /** GET /admin/licenses */
  licenseList: action({
    params: objectSchema({
      q: SEARCH_INPUT,
      status: SHORT,
      type: SHORT,
      customer_id: SHORT,
      customer_q: SEARCH_INPUT,
      expiring: SHORT,
      sort: SHORT,
      order: SHORT,
      page: SHORT,
      notice: SHORT,
    }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const query = licenseListQueryOf(ctx.params);
      const { choices } = await customerChoices(ctx, query.customer_q, query.customer_id);
      // A search that finds exactly one customer filters by it: no second step to pick it.
      if (query.customer_id === undefined && query.customer_q && choices.length === 1) {
        query.customer_id = choices[0]!.id;
      }
      const answer = await ctx.call<LicenseListAnswer, object>('license.list', {
        ...(query.q ? { q: query.q } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.type ? { type: query.type } : {}),
        ...(query.customer_id !== undefined ? { customer_id: query.customer_id } : {}),
        ...(query.expiring ? { expires_within_days: Number(query.expiring) } : {}),
        sort: query.sort,
        order: query.order,
        page: query.page,
        limit: 25,
      });
      const owners = answer.licenses.map(l => l.customer_id).filter((id): id is number => id !== null);
      const found = await customerNames(ctx, owners);
      const names = new Map([...found].map(([id, c]) => [id, c.name]));
      const notice = noticeOf(LIST_NOTICES, ctx.params.notice);
      return sendPage(ctx, licenseListPage({ viewer, query, answer, customers: choices, names, notice }));
    },
  }),

  /** GET /admin/licenses/new (?customer_id= from a customer's page) */
  licenseNew: action({
    params: objectSchema({ customer_id: SHORT, customer_q: SEARCH_INPUT }),
    handler(ctx) {
      const values = newLicenseValues(idParam(ctx.params.customer_id), dateOnly(new Date())!);
      values.customer_q = (ctx.params.customer_q ?? '').trim().slice(0, 100);
      return renderNew(ctx, { values, errors: {} });
    },
  }),

  /** POST /admin/licenses/new: find customers, generate a key, or create the license. */
  licenseCreate: action({
    params: objectSchema({ ...LICENSE_FORM, intent: SHORT }),
    async handler(ctx) {
      const values = valuesOf(ctx.params, LICENSE_FORM_FIELDS);
      if (ctx.params.intent === 'find') return renderNew(ctx, { values, errors: {} });
      if (ctx.params.intent === 'generate') {
        const { license_key } = await ctx.call<{ license_key: string }, object>('license.generateKey', {});
        const notice = 'A new key was generated. It is saved when you create the license.';
        return renderNew(ctx, { values: { ...values, key: license_key }, errors: {} }, { notice });
      }
      const params = createParams(values);
      try {
        const license = await ctx.call<LicenseListEntry, object>('license.create', params);
        return redirect(ctx, `/admin/licenses/${license.id}?notice=created`);
      } catch (err) {
        const form = explainForm(this.broker, err, 'license.create', params, LICENSE_FIELD_TEXTS);
        if (!form) throw err;
        return renderNew(ctx, { values, errors: form.errors }, { alert: form.alert, status: refusalStatus(err) });
      }
    },
  }),

  /** POST /admin/licenses/bulk: what will change, then (confirm=yes) the change. */
  licenseBulk: action({
    params: BULK_PARAMS,
    handler(ctx) {
      return bulkChange(ctx);
    },
  }),
};
