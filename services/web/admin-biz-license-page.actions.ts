/**
 * A license's page (/admin/licenses/:license_id) and its forms: quick edit, toggle, delete (with a
 * confirmation), resources (allocate, release); its devices' forms are in
 * admin-biz-license-devices.actions.ts.
 * Each form calls the same action as the admin API. The page reads the license, its devices, its
 * resources, its live sessions (license.sessionsOf) and its history (monitoring.licenseHistory); the
 * last two are shown as unavailable rather than failing the page when their service does not answer.
 */
import type { Logger } from 'moleculer';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import type { LicenseSessionsAnswer } from '../license/sessions.actions.ts';
import type { LicenseHistoryAnswer } from '../monitoring/history.ts';
import type { ResourceAnswer } from '../resource/contract.ts';
import {
  SHORT,
  explainForm,
  noticeOf,
  numberParam,
  pageParam,
  refusalCode,
  refusalStatus,
  valuesOf,
} from './admin-biz-forms.ts';
import { LICENSE_FIELD_TEXTS } from './admin-biz-license-form.ts';
import {
  licensePage,
  type AllocatedResource,
  type DeviceRow,
  type LicenseDetail,
  type LicensePageForms,
} from './admin-biz-license-page-views.ts';
import { confirmPage } from './admin-biz-views.ts';
import { html } from './html.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const PAGE_NOTICES: Record<string, string> = {
  created: 'License created.',
  saved: 'Changes saved.',
  unchanged: 'Nothing was changed.',
  activated: 'License activated.',
  deactivated: 'License deactivated: it no longer verifies.',
  device_deactivated: 'Device deactivated: its seat is free and its next verify is refused.',
  device_registered: 'Device registered.',
  device_known: 'This device was registered already.',
  allocated: 'Resource allocated.',
  released: 'Resource released.',
};

const QUICK_FIELDS = ['valid_until', 'max_activations', 'max_users'] as const;
/** Free resources a select offers on the license page. */
const FREE_CHOICES = 100;

const LICENSE_PARAMS = { license_id: ID_SCHEMA } as const;

export function readLicense(ctx: PageContext<unknown>, id: number): Promise<LicenseDetail> {
  return ctx
    .call<{ license: LicenseDetail }, { license_id: number }>('license.read', { license_id: id })
    .then(a => a.license);
}

export function devicesOf(ctx: PageContext<unknown>, id: number): Promise<DeviceRow[]> {
  return ctx
    .call<{ devices: DeviceRow[] }, { license_id: number }>('license.devices', { license_id: id })
    .then(a => a.devices);
}

/** A part of the page that another service answers: shown as unavailable when it does not. */
function optional<T>(logger: Logger, what: string, call: Promise<T>): Promise<T | null> {
  return call.catch((err: Error) => {
    logger.warn('A part of the license page is unavailable', { part: what, message: err.message });
    return null;
  });
}

export async function renderLicense(
  svc: WebThis,
  ctx: PageContext<unknown>,
  id: number,
  o: { forms?: LicensePageForms; notice?: string | null; alert?: string | null; status?: number; historyPage?: number },
): Promise<string> {
  const viewer = viewerOf(ctx);
  const license = await readLicense(ctx, id);
  const [devices, resources, free, sessions, history] = await Promise.all([
    devicesOf(ctx, id),
    ctx
      .call<{ resources: AllocatedResource[] }, { license_id: number }>('resource.forLicense', { license_id: id })
      .then(a => a.resources),
    viewer.role === 'admin'
      ? ctx
          .call<{ resources: ResourceAnswer[] }, object>('resource.list', { status: 'available', limit: FREE_CHOICES })
          .then(a => a.resources)
      : Promise.resolve([]),
    optional(svc.logger, 'sessions', ctx.call<LicenseSessionsAnswer, object>('license.sessionsOf', { license_id: id })),
    optional(
      svc.logger,
      'history',
      ctx.call<LicenseHistoryAnswer, object>('monitoring.licenseHistory', {
        license_id: id,
        page: o.historyPage ?? 1,
        limit: 20,
      }),
    ),
  ]);
  const page = licensePage({
    viewer,
    data: { license, devices, resources, free, sessions, history },
    forms: o.forms ?? {},
    notice: o.notice ?? null,
    alert: o.alert ?? null,
  });
  return sendPage(ctx, page, o.status ?? 200);
}

/** Where a quick edit from the list returns: that list view (its filters), never another address. */
function backTo(back: string | undefined, notice: string): string | null {
  if (!back || back.length > 1000 || !back.startsWith('/admin/licenses')) return null;
  const url = new URL(back, 'http://panel.invalid');
  if (url.origin !== 'http://panel.invalid' || url.pathname !== '/admin/licenses') return null;
  url.searchParams.set('notice', notice);
  return `${url.pathname}${url.search}`;
}

export const licenseDetailActions = {
  /** GET /admin/licenses/:license_id */
  licenseShow: action({
    params: objectSchema({ ...LICENSE_PARAMS, notice: SHORT, history_page: SHORT }, ['license_id']),
    handler(ctx) {
      return renderLicense(this, ctx, ctx.params.license_id, {
        notice: noticeOf(PAGE_NOTICES, ctx.params.notice),
        historyPage: pageParam(ctx.params.history_page),
      });
    },
  }),

  /** POST /admin/licenses/:license_id/quick-edit: only the fields that differ are sent. */
  licenseQuickEdit: action({
    params: objectSchema(
      { ...LICENSE_PARAMS, valid_until: SHORT, max_activations: SHORT, max_users: SHORT, back: SHORT },
      ['license_id'],
    ),
    async handler(ctx) {
      const id = ctx.params.license_id;
      const values = valuesOf(ctx.params, QUICK_FIELDS);
      const current = await readLicense(ctx, id);
      // Sending an unchanged end date would re-arm the license's one-time expiry fact.
      const changes: Record<string, unknown> = {};
      const until = values.valid_until === '' ? null : values.valid_until;
      if (until !== current.valid_until) changes.valid_until = until;
      for (const field of ['max_activations', 'max_users'] as const) {
        const value = numberParam(values[field]);
        if (value !== current[field]) changes[field] = value ?? '';
      }
      if (Object.keys(changes).length === 0) {
        return redirect(ctx, backTo(ctx.params.back, 'unchanged') ?? `/admin/licenses/${id}?notice=unchanged`);
      }
      const params = { license_id: id, ...changes };
      try {
        await ctx.call('license.quickEdit', params);
        return redirect(ctx, backTo(ctx.params.back, 'saved') ?? `/admin/licenses/${id}?notice=saved`);
      } catch (err) {
        const form =
          refusalCode(err) === 'LICENSE_NOT_FOUND'
            ? null
            : explainForm(this.broker, err, 'license.quickEdit', params, LICENSE_FIELD_TEXTS);
        if (!form) throw err;
        const forms = { quickEdit: { values, errors: form.errors } };
        return renderLicense(this, ctx, id, { forms, alert: form.alert, status: refusalStatus(err) });
      }
    },
  }),

  /** POST /admin/licenses/:license_id/toggle */
  licenseToggle: action({
    params: objectSchema(LICENSE_PARAMS, ['license_id']),
    async handler(ctx) {
      const id = ctx.params.license_id;
      const answer = await ctx.call<{ is_active: boolean }, { license_id: number }>('license.toggle', {
        license_id: id,
      });
      return redirect(ctx, `/admin/licenses/${id}?notice=${answer.is_active ? 'activated' : 'deactivated'}`);
    },
  }),

  /** POST /admin/licenses/:license_id/delete: a confirmation first, then the admin API's bulk delete of one. */
  licenseDelete: action({
    params: objectSchema({ ...LICENSE_PARAMS, confirm: SHORT }, ['license_id']),
    async handler(ctx) {
      const id = ctx.params.license_id;
      if (ctx.params.confirm !== 'yes') {
        const [license, resources] = await Promise.all([
          readLicense(ctx, id),
          ctx.call<{ resources: unknown[] }, object>('resource.forLicense', { license_id: id }),
        ]);
        const devices = license.current_activations;
        const page = confirmPage({
          viewer: viewerOf(ctx),
          area: 'licenses',
          title: `Delete ${license.key}?`,
          body: html`<p>
            This deletes the license <strong class="key">${license.key}</strong> with its ${devices}
            ${devices === 1 ? 'active device' : 'active devices'}; its ${resources.resources.length}
            ${resources.resources.length === 1 ? 'resource is' : 'resources are'} released. Clients using it are refused
            from their next check on. It cannot be undone.
          </p>`,
          action: `/admin/licenses/${id}/delete`,
          yes: 'Yes, delete this license',
          cancelHref: `/admin/licenses/${id}`,
        });
        return sendPage(ctx, page);
      }
      const answer = await ctx.call<{ deleted: number }, object>('license.bulkDelete', { license_ids: [id] });
      if (answer.deleted === 0) await readLicense(ctx, id);
      return redirect(ctx, '/admin/licenses?notice=license_deleted');
    },
  }),

  /** POST /admin/licenses/:license_id/resources: allocate one free resource (all or nothing). */
  licenseAllocate: action({
    params: objectSchema({ ...LICENSE_PARAMS, resource_id: SHORT }, ['license_id']),
    async handler(ctx) {
      const id = ctx.params.license_id;
      const values = valuesOf(ctx.params, ['resource_id']);
      const params = { license_id: id, resource_ids: [numberParam(values.resource_id) ?? ''] };
      try {
        await ctx.call('resource.allocate', params);
        return redirect(ctx, `/admin/licenses/${id}?notice=allocated#resources`);
      } catch (err) {
        const form =
          refusalCode(err) === 'LICENSE_NOT_FOUND'
            ? null
            : explainForm(this.broker, err, 'resource.allocate', params, {});
        if (!form) throw err;
        const alert = refusalCode(err) === 'VALIDATION_ERROR' ? 'Choose a free resource from the list.' : form.alert;
        return renderLicense(this, ctx, id, {
          forms: { allocate: { values, errors: {} } },
          alert,
          status: refusalStatus(err),
        });
      }
    },
  }),

  /** POST /admin/licenses/:license_id/resources/:resource_id/release */
  licenseRelease: action({
    params: objectSchema({ ...LICENSE_PARAMS, resource_id: ID_SCHEMA }, ['license_id', 'resource_id']),
    async handler(ctx) {
      const { license_id: id, resource_id: resourceId } = ctx.params;
      await ctx.call('resource.release', { license_id: id, resource_ids: [resourceId] });
      return redirect(ctx, `/admin/licenses/${id}?notice=released#resources`);
    },
  }),
};
