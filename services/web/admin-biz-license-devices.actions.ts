/**
 * The devices part of a license's page: register a device by hand (license.registerDevice, the same
 * seat limit as a client activation) and deactivate one after a confirmation that says what happens
 * to the machine (license.deactivateDevice: its seat is freed, its next verify is refused).
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { NotFoundError } from '../../lib/core/errors.ts';
import { SHORT, explainForm, refusalCode, refusalStatus, valuesOf } from './admin-biz-forms.ts';
import { devicesOf, readLicense, renderLicense } from './admin-biz-license-page.actions.ts';
import { confirmPage } from './admin-biz-views.ts';
import { html } from './html.ts';
import { redirect, sendPage, viewerOf, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const LICENSE_PARAMS = { license_id: ID_SCHEMA } as const;
const REGISTER_TEXTS: Record<string, string> = {
  hardware_hash: "Enter the machine's hardware id: 1 to 256 visible characters, no spaces.",
  machine_name: 'Enter at most 255 characters.',
};

export const deviceActions = {
  /** POST /admin/licenses/:license_id/devices: an admin claims a seat for a machine. */
  deviceRegister: action({
    params: objectSchema(
      { ...LICENSE_PARAMS, hardware_hash: SHORT, machine_name: { type: 'string', maxLength: 1000 } },
      ['license_id'],
    ),
    async handler(ctx) {
      const id = ctx.params.license_id;
      const values = valuesOf(ctx.params, ['hardware_hash', 'machine_name']);
      const params = {
        license_id: id,
        hardware_hash: values.hardware_hash,
        ...(values.machine_name ? { machine_name: values.machine_name } : {}),
      };
      try {
        const answer = await ctx.call<{ message: string }, object>('license.registerDevice', params);
        const known = /already/.test(answer.message);
        return redirect(ctx, `/admin/licenses/${id}?notice=${known ? 'device_known' : 'device_registered'}#devices`);
      } catch (err) {
        const form =
          refusalCode(err) === 'LICENSE_NOT_FOUND'
            ? null
            : explainForm(this.broker, err, 'license.registerDevice', params, REGISTER_TEXTS);
        if (!form) throw err;
        const forms = { register: { values, errors: form.errors } };
        return renderLicense(this, ctx, id, { forms, alert: form.alert, status: refusalStatus(err) });
      }
    },
  }),

  /** POST /admin/licenses/:license_id/devices/:device_id/deactivate: a confirmation first. */
  deviceDeactivate: action({
    params: objectSchema({ ...LICENSE_PARAMS, device_id: ID_SCHEMA, confirm: SHORT }, ['license_id', 'device_id']),
    async handler(ctx) {
      const { license_id: id, device_id: deviceId } = ctx.params;
      if (ctx.params.confirm !== 'yes') {
        const [license, devices] = await Promise.all([readLicense(ctx, id), devicesOf(ctx, id)]);
        const device = devices.find(d => d.id === deviceId);
        if (!device) {
          throw new NotFoundError(`License ${id} has no device ${deviceId}`, 'DEVICE_NOT_FOUND', {
            field: 'device_id',
            reason: 'not_found',
          });
        }
        const name = device.machine_name || `device ${device.id}`;
        const page = confirmPage({
          viewer: viewerOf(ctx),
          area: 'licenses',
          title: `Deactivate ${name}?`,
          body: html`<p>
            The machine <strong>${name}</strong> (hardware <code>${device.hardware_hash}</code>) gives back its seat of
            <span class="key">${license.key}</span> and its live session ends. Its next verify is refused (not
            activated) until it activates again, which it can while a seat is free.
          </p>`,
          action: `/admin/licenses/${id}/devices/${deviceId}/deactivate`,
          yes: 'Yes, deactivate this device',
          cancelHref: `/admin/licenses/${id}#devices`,
        });
        return sendPage(ctx, page);
      }
      await ctx.call('license.deactivateDevice', { license_id: id, device_id: deviceId });
      return redirect(ctx, `/admin/licenses/${id}?notice=device_deactivated#devices`);
    },
  }),
};
