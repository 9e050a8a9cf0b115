/**
 * The customer pages (/admin/customers): thin handlers over the customer service's actions (the same
 * as the admin API's, so the same validation, facts and view invalidation apply). Deactivating and
 * deleting go through a confirmation step that says what will happen.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import type { CustomerAnswer } from '../customer/contract.ts';
import type { CustomerListAnswer } from '../customer/list.actions.ts';
import {
  CUSTOMER_FIELD_TEXTS,
  CUSTOMER_FORM_FIELDS,
  customerFormPage,
  customerListPage,
  customerPage,
  type CustomerLicenseRow,
  type CustomerStats,
} from './admin-biz-customer-views.ts';
import {
  SEARCH_INPUT,
  SHORT,
  TEXT,
  explainForm,
  noticeOf,
  optionParam,
  pageParam,
  refusalCode,
  refusalStatus,
  valuesOf,
} from './admin-biz-forms.ts';
import { confirmPage } from './admin-biz-views.ts';
import { html } from './html.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const CUSTOMER_FORM = {
  name: TEXT,
  email: TEXT,
  company: TEXT,
  phone: TEXT,
  notes: TEXT,
} as const;

const LIST_NOTICES: Record<string, string> = { deleted: 'Customer deleted.' };
const PAGE_NOTICES: Record<string, string> = {
  created: 'Customer created.',
  saved: 'Changes saved.',
  deactivated: 'Customer deactivated: its licenses no longer verify.',
  reactivated: 'Customer reactivated: its licenses verify again.',
};

function readCustomer(ctx: PageContext<unknown>, id: number): Promise<CustomerAnswer> {
  return ctx
    .call<{ customer: CustomerAnswer }, { customer_id: number }>('customer.read', { customer_id: id })
    .then(a => a.customer);
}

function statsOf(ctx: PageContext<unknown>, id: number): Promise<CustomerStats> {
  return ctx.call<CustomerStats, { customer_id: number }>('customer.quickStats', { customer_id: id });
}

/** The customer's page, with a problem at the top when a change was refused. */
async function renderCustomer(
  ctx: PageContext<unknown>,
  id: number,
  o: { notice?: string | null; alert?: string | null; status?: number } = {},
): Promise<string> {
  const viewer = viewerOf(ctx);
  const customer = await readCustomer(ctx, id);
  const [stats, licenses] = await Promise.all([
    statsOf(ctx, id),
    ctx.call<{ licenses: CustomerLicenseRow[] }, { customer_id: number }>('customer.licenses', { customer_id: id }),
  ]);
  const page = customerPage({
    viewer,
    customer,
    stats,
    licenses: licenses.licenses,
    notice: o.notice ?? null,
    alert: o.alert ?? null,
  });
  return sendPage(ctx, page, o.status ?? 200);
}

export const customerPageActions = {
  /** GET /admin/customers */
  customerList: action({
    params: objectSchema({ q: SEARCH_INPUT, status: SHORT, page: SHORT, notice: SHORT }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const query = {
        q: (ctx.params.q ?? '').trim().slice(0, 100),
        status: optionParam(ctx.params.status, ['active', 'inactive'] as const),
        page: pageParam(ctx.params.page),
      };
      const answer = await ctx.call<CustomerListAnswer, object>('customer.list', {
        ...(query.q ? { q: query.q } : {}),
        ...(query.status ? { status: query.status } : {}),
        page: query.page,
        limit: 25,
      });
      return sendPage(
        ctx,
        customerListPage({ viewer, query, answer, notice: noticeOf(LIST_NOTICES, ctx.params.notice) }),
      );
    },
  }),

  /** GET /admin/customers/new */
  customerNew: action({
    params: objectSchema({}),
    handler(ctx) {
      const viewer = viewerOf(ctx);
      return sendPage(
        ctx,
        customerFormPage({ viewer, customer: null, state: { values: {}, errors: {} }, alert: null }),
      );
    },
  }),

  /** POST /admin/customers/new */
  customerCreate: action({
    params: objectSchema(CUSTOMER_FORM),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const values = valuesOf(ctx.params, CUSTOMER_FORM_FIELDS);
      try {
        const customer = await ctx.call<CustomerAnswer, object>('customer.create', values);
        return redirect(ctx, `/admin/customers/${customer.id}?notice=created`);
      } catch (err) {
        const form = explainForm(this.broker, err, 'customer.create', values, CUSTOMER_FIELD_TEXTS);
        if (!form) throw err;
        const page = customerFormPage({
          viewer,
          customer: null,
          state: { values, errors: form.errors },
          alert: form.alert,
        });
        return sendPage(ctx, page, refusalStatus(err));
      }
    },
  }),

  /** GET /admin/customers/:customer_id */
  customerShow: action({
    params: objectSchema({ customer_id: ID_SCHEMA, notice: SHORT }, ['customer_id']),
    handler(ctx) {
      return renderCustomer(ctx, ctx.params.customer_id, { notice: noticeOf(PAGE_NOTICES, ctx.params.notice) });
    },
  }),

  /** GET /admin/customers/:customer_id/edit */
  customerEdit: action({
    params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const customer = await readCustomer(ctx, ctx.params.customer_id);
      const values = valuesOf(customer as unknown as Record<string, unknown>, CUSTOMER_FORM_FIELDS);
      return sendPage(ctx, customerFormPage({ viewer, customer, state: { values, errors: {} }, alert: null }));
    },
  }),

  /** POST /admin/customers/:customer_id/edit */
  customerUpdate: action({
    params: objectSchema({ customer_id: ID_SCHEMA, ...CUSTOMER_FORM }, ['customer_id']),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const id = ctx.params.customer_id;
      const values = valuesOf(ctx.params, CUSTOMER_FORM_FIELDS);
      try {
        await ctx.call('customer.update', { customer_id: id, ...values });
        return redirect(ctx, `/admin/customers/${id}?notice=saved`);
      } catch (err) {
        const params = { customer_id: id, ...values };
        const form =
          refusalCode(err) === 'CUSTOMER_NOT_FOUND'
            ? null
            : explainForm(this.broker, err, 'customer.update', params, CUSTOMER_FIELD_TEXTS);
        if (!form) throw err;
        const customer = await readCustomer(ctx, id);
        const page = customerFormPage({ viewer, customer, state: { values, errors: form.errors }, alert: form.alert });
        return sendPage(ctx, page, refusalStatus(err));
      }
    },
  }),

  /** POST /admin/customers/:customer_id/deactivate: a confirmation first, then is_active false. */
  customerDeactivate: action({
    params: objectSchema({ customer_id: ID_SCHEMA, confirm: SHORT }, ['customer_id']),
    async handler(ctx) {
      const id = ctx.params.customer_id;
      if (ctx.params.confirm !== 'yes') {
        const [customer, stats] = await Promise.all([readCustomer(ctx, id), statsOf(ctx, id)]);
        const page = confirmPage({
          viewer: viewerOf(ctx),
          area: 'customers',
          title: `Deactivate ${customer.name}?`,
          body: html`<p>
            None of the ${stats.total_licenses} ${stats.total_licenses === 1 ? 'license' : 'licenses'} of
            <strong>${customer.name}</strong> will verify from the next check on, on every server, until the customer is
            reactivated. Licenses, devices and history are kept.
          </p>`,
          action: `/admin/customers/${id}/deactivate`,
          yes: 'Yes, deactivate this customer',
          cancelHref: `/admin/customers/${id}`,
        });
        return sendPage(ctx, page);
      }
      await ctx.call('customer.update', { customer_id: id, is_active: false });
      return redirect(ctx, `/admin/customers/${id}?notice=deactivated`);
    },
  }),

  /** POST /admin/customers/:customer_id/reactivate */
  customerReactivate: action({
    params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
    async handler(ctx) {
      const id = ctx.params.customer_id;
      await ctx.call('customer.update', { customer_id: id, is_active: true });
      return redirect(ctx, `/admin/customers/${id}?notice=reactivated`);
    },
  }),

  /** POST /admin/customers/:customer_id/delete: a confirmation first (refused while it has licenses). */
  customerDelete: action({
    params: objectSchema({ customer_id: ID_SCHEMA, confirm: SHORT }, ['customer_id']),
    async handler(ctx) {
      const id = ctx.params.customer_id;
      if (ctx.params.confirm !== 'yes') {
        const [customer, stats] = await Promise.all([readCustomer(ctx, id), statsOf(ctx, id)]);
        const count = stats.total_licenses;
        const page = confirmPage({
          viewer: viewerOf(ctx),
          area: 'customers',
          title: `Delete ${customer.name}?`,
          body:
            count > 0
              ? html`<p>
                  <strong>${customer.name}</strong> still has ${count} ${count === 1 ? 'license' : 'licenses'}: a
                  customer is deleted only once its licenses are. Delete them first, or deactivate the customer instead.
                </p>`
              : html`<p>This deletes the customer <strong>${customer.name}</strong>. It cannot be undone.</p>`,
          action: `/admin/customers/${id}/delete`,
          yes: 'Yes, delete this customer',
          cancelHref: `/admin/customers/${id}`,
          blocked: count > 0,
        });
        return sendPage(ctx, page);
      }
      try {
        await ctx.call('customer.remove', { customer_id: id });
      } catch (err) {
        if (refusalCode(err) !== 'CUSTOMER_HAS_LICENSES') throw err;
        return renderCustomer(ctx, id, { alert: (err as Error).message, status: 409 });
      }
      return redirect(ctx, '/admin/customers?notice=deleted');
    },
  }),
};
