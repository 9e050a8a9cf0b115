/**
 * The resource pages (/admin/resources): the pools and the list (resource.stats, resource.list), adding
 * a resource, deleting a free one (with a confirmation), allocating a free one to a license chosen by
 * its key, and releasing an allocated one. The same actions as the admin API.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { RESOURCE_STATUSES, RESOURCE_TYPE_PATTERN } from '../../models/resource.model.ts';
import type { ResourceAnswer } from '../resource/contract.ts';
import {
  EMPTY_FORM,
  SEARCH_INPUT,
  SHORT,
  TEXT,
  explainForm,
  idParam,
  noticeOf,
  numberParam,
  optionParam,
  pageParam,
  refusalCode,
  refusalStatus,
  valuesOf,
  type FormState,
} from './admin-biz-forms.ts';
import type { LicenseListAnswer } from './admin-biz-license-views.ts';
import {
  RESOURCE_FIELD_TEXTS,
  RESOURCE_FORM_FIELDS,
  allocatePage,
  resourceListPage,
  type ResourceListAnswer,
  type ResourceListQuery,
  type ResourceStats,
} from './admin-biz-resource-views.ts';
import { confirmPage } from './admin-biz-views.ts';
import { html } from './html.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const NOTICES: Record<string, string> = {
  created: 'Resource added to the pool.',
  deleted: 'Resource deleted.',
  allocated: 'Resource allocated.',
  released: 'Resource released: it is available again.',
};
// eslint-disable-next-line security/detect-non-literal-regexp -- the resource model's own fixed pattern
const TYPE_PATTERN = new RegExp(RESOURCE_TYPE_PATTERN);

function readResource(ctx: PageContext<unknown>, id: number): Promise<ResourceAnswer> {
  return ctx
    .call<{ resource: ResourceAnswer }, { resource_id: number }>('resource.read', { resource_id: id })
    .then(a => a.resource);
}

async function renderList(
  ctx: PageContext<unknown>,
  query: ResourceListQuery,
  o: { form?: FormState; notice?: string | null; alert?: string | null; status?: number } = {},
): Promise<string> {
  const viewer = viewerOf(ctx);
  const [stats, answer] = await Promise.all([
    ctx.call<ResourceStats, object>('resource.stats', {}),
    ctx.call<ResourceListAnswer, object>('resource.list', {
      ...(query.q ? { q: query.q } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.license_id !== undefined ? { license_id: query.license_id } : {}),
      page: query.page,
      limit: 25,
    }),
  ]);
  const page = resourceListPage({
    viewer,
    query,
    stats,
    answer,
    form: o.form ?? EMPTY_FORM,
    notice: o.notice ?? null,
    alert: o.alert ?? null,
  });
  return sendPage(ctx, page, o.status ?? 200);
}

const FIRST_PAGE: ResourceListQuery = { q: '', type: '', status: '', license_id: undefined, page: 1 };

export const resourcePageActions = {
  /** GET /admin/resources */
  resourceList: action({
    params: objectSchema({
      q: SEARCH_INPUT,
      type: SHORT,
      status: SHORT,
      license_id: SHORT,
      page: SHORT,
      notice: SHORT,
    }),
    handler(ctx) {
      const type = (ctx.params.type ?? '').trim();
      const query: ResourceListQuery = {
        q: (ctx.params.q ?? '').trim().slice(0, 100),
        // A type that cannot exist is ignored like any bad filter (the action would refuse it).
        type: TYPE_PATTERN.test(type) ? type : '',
        status: optionParam(ctx.params.status, RESOURCE_STATUSES),
        license_id: idParam(ctx.params.license_id),
        page: pageParam(ctx.params.page),
      };
      return renderList(ctx, query, { notice: noticeOf(NOTICES, ctx.params.notice) });
    },
  }),

  /** POST /admin/resources/new */
  resourceCreate: action({
    params: objectSchema({ type: SHORT, identifier: SHORT, notes: TEXT }),
    async handler(ctx) {
      const values = valuesOf(ctx.params, RESOURCE_FORM_FIELDS);
      const params = { type: values.type, identifier: values.identifier, notes: values.notes };
      try {
        await ctx.call('resource.create', params);
        return redirect(ctx, '/admin/resources?notice=created');
      } catch (err) {
        const form = explainForm(this.broker, err, 'resource.create', params, RESOURCE_FIELD_TEXTS);
        if (!form) throw err;
        const state = { values, errors: form.errors };
        return renderList(ctx, FIRST_PAGE, { form: state, alert: form.alert, status: refusalStatus(err) });
      }
    },
  }),

  /** POST /admin/resources/:resource_id/delete: a confirmation first; an allocated one is refused. */
  resourceDelete: action({
    params: objectSchema({ resource_id: ID_SCHEMA, confirm: SHORT }, ['resource_id']),
    async handler(ctx) {
      const id = ctx.params.resource_id;
      if (ctx.params.confirm !== 'yes') {
        const r = await readResource(ctx, id);
        const allocated = r.license_id !== null;
        const page = confirmPage({
          viewer: viewerOf(ctx),
          area: 'resources',
          title: `Delete ${r.identifier}?`,
          body: allocated
            ? html`<p>
                <strong>${r.identifier}</strong> is allocated to
                <a href="/admin/licenses/${r.license_id}">license ${r.license_id}</a>: release it first, so that no
                license loses a resource without notice.
              </p>`
            : html`<p>
                This removes the ${r.type} <strong>${r.identifier}</strong> from the pool. It cannot be undone.
              </p>`,
          action: `/admin/resources/${id}/delete`,
          yes: 'Yes, delete this resource',
          cancelHref: '/admin/resources',
          blocked: allocated,
        });
        return sendPage(ctx, page);
      }
      try {
        await ctx.call('resource.remove', { resource_id: id });
      } catch (err) {
        if (refusalCode(err) !== 'RESOURCE_ALLOCATED') throw err;
        return renderList(ctx, FIRST_PAGE, { alert: (err as Error).message, status: 409 });
      }
      return redirect(ctx, '/admin/resources?notice=deleted');
    },
  }),

  /** GET /admin/resources/:resource_id/allocate: choose the license (found by key). */
  resourceAllocatePage: action({
    params: objectSchema({ resource_id: ID_SCHEMA, q: SEARCH_INPUT }, ['resource_id']),
    async handler(ctx) {
      const q = (ctx.params.q ?? '').trim().slice(0, 100);
      const resource = await readResource(ctx, ctx.params.resource_id);
      const licenses = await ctx.call<LicenseListAnswer, object>('license.list', {
        ...(q ? { q } : {}),
        limit: 50,
      });
      const alert = resource.license_id !== null ? 'This resource is allocated already: release it first.' : null;
      return sendPage(ctx, allocatePage({ viewer: viewerOf(ctx), resource, q, licenses, alert }));
    },
  }),

  /** POST /admin/resources/:resource_id/allocate */
  resourceAllocate: action({
    params: objectSchema({ resource_id: ID_SCHEMA, license_id: SHORT }, ['resource_id']),
    async handler(ctx) {
      const id = ctx.params.resource_id;
      const licenseId = numberParam(ctx.params.license_id ?? '');
      try {
        await ctx.call('resource.allocate', { license_id: licenseId ?? '', resource_ids: [id] });
      } catch (err) {
        const form = explainForm(
          this.broker,
          err,
          'resource.allocate',
          { license_id: licenseId, resource_ids: [id] },
          {},
        );
        if (!form) throw err;
        const resource = await readResource(ctx, id);
        const licenses = await ctx.call<LicenseListAnswer, object>('license.list', { limit: 50 });
        const alert = refusalCode(err) === 'VALIDATION_ERROR' ? 'Choose a license from the list.' : form.alert;
        const page = allocatePage({ viewer: viewerOf(ctx), resource, q: '', licenses, alert });
        return sendPage(ctx, page, refusalStatus(err));
      }
      return redirect(ctx, '/admin/resources?notice=allocated');
    },
  }),

  /** POST /admin/resources/:resource_id/release */
  resourceRelease: action({
    params: objectSchema({ resource_id: ID_SCHEMA }, ['resource_id']),
    async handler(ctx) {
      await ctx.call('resource.release', { resource_ids: [ctx.params.resource_id] });
      return redirect(ctx, '/admin/resources?notice=released');
    },
  }),
};
