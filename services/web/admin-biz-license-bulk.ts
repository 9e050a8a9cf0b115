/**
 * Bulk activate / deactivate / delete from the license list: the first POST shows each selected
 * license and what will happen to it; the confirmation posts the same selection with confirm=yes,
 * which calls the admin API's bulk action. At most one list page of ids (the list shows 25).
 */
import { objectSchema } from '../../lib/core/validation.ts';
import { counted } from '../../lib/core/values.ts';
import type { LicenseListEntry } from '../license/contract.ts';
import { SHORT } from './admin-biz-forms.ts';
import { confirmPage, dayText, licenseStatus, typeLabel } from './admin-biz-views.ts';
import { listTable } from './components.ts';
import { html, type Html } from './html.ts';
import { layout } from './layout.ts';
import { redirect, sendPage, viewerOf, type PageContext } from './page.ts';

const MAX_SELECTED = 100;
const OPS = {
  activate: { action: 'license.bulkActivate', notice: 'activated', verb: 'Activate' },
  deactivate: { action: 'license.bulkDeactivate', notice: 'deactivated', verb: 'Deactivate' },
  delete: { action: 'license.bulkDelete', notice: 'deleted', verb: 'Delete' },
} as const;
type Op = keyof typeof OPS;

export const BULK_PARAMS = objectSchema({
  op: SHORT,
  license_ids: { anyOf: [SHORT, { type: 'array', items: SHORT, maxItems: 1000 }] },
  confirm: SHORT,
});

type LicenseWithName = LicenseListEntry & { customer_name: string | null };

/** What the change does, in words, for the confirmation. */
function consequence(op: Op, licenses: LicenseWithName[]): Html {
  const n = counted(licenses.length, 'license');
  const devices = licenses.reduce((sum, l) => sum + l.current_activations, 0);
  switch (op) {
    case 'activate':
      return html`<p>
        These ${n} will be active again: each verifies from the next check on, unless it has expired or its customer is
        deactivated.
      </p>`;
    case 'deactivate':
      return html`<p>
        These ${n} stop verifying at once, on every server; their ${counted(devices, 'active device')} stay registered
        and can verify again when the licenses are activated.
      </p>`;
    case 'delete':
      return html`<p>
        These ${n} are deleted with their ${counted(devices, 'active device')}, and their allocated resources are
        released. <strong>It cannot be undone.</strong>
      </p>`;
  }
}

function selectedTable(licenses: LicenseWithName[]): Html {
  return listTable({
    caption: 'The selected licenses',
    columns: ['Key', 'Customer', 'Type', 'Status now', 'Valid until', 'Devices'],
    rows: licenses.map(
      l =>
        html`<tr>
          <th scope="row" class="key">${l.key}</th>
          <td>${l.customer_name ?? '-'}</td>
          <td>${typeLabel(l.type)}</td>
          <td>${licenseStatus(l.status)}</td>
          <td>${dayText(l.valid_until)}</td>
          <td>${l.current_activations} of ${l.max_activations}</td>
        </tr>`,
    ),
  });
}

function nothingSelected(ctx: PageContext<unknown>, problem: string): string {
  const page = layout({
    title: 'Nothing to change',
    viewer: viewerOf(ctx),
    area: 'licenses',
    alert: problem,
    body: html`<p><a class="button secondary" href="/admin/licenses">Back to the licenses</a></p>`,
  });
  return sendPage(ctx, page, 400);
}

/** The selected ids: digits only, each once, at most one page's worth. */
function idsOf(value: string | string[] | undefined): number[] | null {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (list.some(v => !/^\d{1,15}$/.test(v))) return null;
  const ids = [...new Set(list.map(Number))].filter(id => id > 0);
  return ids.length > MAX_SELECTED ? null : ids;
}

export async function bulkChange(
  ctx: PageContext<{ op?: string; license_ids?: string | string[]; confirm?: string }>,
): Promise<string | null> {
  const op = ctx.params.op;
  if (op === undefined || !Object.hasOwn(OPS, op))
    return nothingSelected(ctx, 'Choose what to do with the selected licenses.');
  const ids = idsOf(ctx.params.license_ids);
  if (ids === null) return nothingSelected(ctx, `Select at most ${MAX_SELECTED} licenses, from the list.`);
  if (ids.length === 0) return nothingSelected(ctx, 'Select at least one license on the list first.');
  const spec = OPS[op as Op];
  if (ctx.params.confirm === 'yes') {
    await ctx.call(spec.action, { license_ids: ids });
    return redirect(ctx, `/admin/licenses?notice=${spec.notice}`);
  }
  const read = await Promise.all(
    ids.map(id =>
      ctx
        .call<{ license: LicenseWithName }, { license_id: number }>('license.read', { license_id: id })
        .then(a => a.license)
        .catch((err: { type?: unknown }) => {
          if (err.type === 'LICENSE_NOT_FOUND') return null;
          throw err;
        }),
    ),
  );
  const licenses = read.filter((l): l is LicenseWithName => l !== null);
  if (licenses.length === 0) return nothingSelected(ctx, 'The selected licenses no longer exist.');
  const gone = ids.length - licenses.length;
  const page = confirmPage({
    viewer: viewerOf(ctx),
    area: 'licenses',
    title: `${spec.verb} ${counted(licenses.length, 'license')}?`,
    body: html`${consequence(op as Op, licenses)}
    ${gone > 0 ? html`<p>${counted(gone, 'selected license')} no longer ${gone === 1 ? 'exists' : 'exist'}.</p>` : ''}
    ${selectedTable(licenses)}`,
    action: '/admin/licenses/bulk',
    hidden: { op: op as Op, license_ids: licenses.map(l => String(l.id)) },
    yes: `Yes, ${spec.verb.toLowerCase()} ${counted(licenses.length, 'license')}`,
    cancelHref: '/admin/licenses',
  });
  return sendPage(ctx, page);
}
