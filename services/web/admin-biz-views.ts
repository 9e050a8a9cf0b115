/**
 * HTML pieces the Admin Panel's business pages share: labels for statuses and types, dates as a
 * person reads them, and the confirmation page that every destructive or bulk change goes through
 * (a POST without `confirm=yes` shows it; its button posts again with it, so it works without script).
 */
import { LICENSE_TYPES } from '../../models/license.model.ts';
import type { LicenseStatus } from '../license/contract.ts';
import { when } from './components.ts';
import { attrs, html, type Html, type Renderable } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const LICENSE_TYPE_LABELS: Record<(typeof LICENSE_TYPES)[number], string> = {
  perpetual: 'Perpetual',
  subscription: 'Subscription',
  trial: 'Trial',
  educational: 'Educational',
  enterprise: 'Enterprise',
};

export const LICENSE_STATUS_LABELS: Record<LicenseStatus, string> = {
  active: 'Active',
  inactive: 'Inactive',
  expired: 'Expired',
};

export function typeLabel(type: string): string {
  return (LICENSE_TYPE_LABELS as Record<string, string>)[type] ?? type;
}

/** A license's status as a word with its colour class. */
export function licenseStatus(status: LicenseStatus): Html {
  return html`<span class="status status-${status}">${LICENSE_STATUS_LABELS[status] ?? status}</span>`;
}

/** Active or inactive (customers, devices). */
export function activeStatus(active: boolean): Html {
  return active
    ? html`<span class="status status-active">Active</span>`
    : html`<span class="status status-inactive">Inactive</span>`;
}

/** A calendar date, or what its absence means. */
export function dayText(day: string | null, none = 'No end date'): string {
  return day ?? none;
}

/** A moment as `2026-03-01 10:30 UTC` in a <time> element; a dash when there is none. */
export function moment(iso: string | null): Html | string {
  return iso ? html`<time datetime="${iso}">${when(iso)}</time>` : '-';
}

export function options(values: readonly string[], labels: Record<string, string>, none?: string) {
  return [
    ...(none !== undefined ? [{ value: '', label: none }] : []),
    ...values.map(value => ({ value, label: labels[value] ?? value })),
  ];
}

/** Hidden fields, a name given several values (a list of ids) repeated once per value. */
export function hiddenFields(fields: Record<string, string | readonly string[]>): Html {
  return html`${Object.entries(fields).flatMap(([name, value]) =>
    (typeof value === 'string' ? [value] : value).map(v => html`<input type="hidden" ${attrs({ name, value: v })} />`),
  )}`;
}

export interface ConfirmOptions {
  viewer: Viewer;
  area: string;
  title: string;
  /** What will happen, in words: shown before the buttons. */
  body: Renderable;
  /** Where the confirmed form posts. */
  action: string;
  hidden?: Record<string, string | readonly string[]>;
  yes: string;
  cancelHref: string;
  /** Nothing to confirm (e.g. a refusal known in advance): only the way back is offered. */
  blocked?: boolean;
}

/** The confirmation step of a destructive or bulk change. */
export function confirmPage(o: ConfirmOptions): Html {
  return layout({
    title: o.title,
    viewer: o.viewer,
    area: o.area,
    body: html`<div class="card confirm">
      ${o.body}
      <div class="form-actions">
        ${
          o.blocked
            ? ''
            : html`<form class="inline-form" method="post" action="${o.action}">
                ${csrfField(o.viewer.csrf)} ${hiddenFields({ ...o.hidden, confirm: 'yes' })}
                <button type="submit" class="button danger">${o.yes}</button>
              </form>`
        }
        <a class="button secondary" href="${o.cancelHref}">${o.blocked ? 'Back' : 'Cancel'}</a>
      </div>
    </div>`,
  });
}

/** A list's empty state: what a filter found, or how to start. */
export function emptyState(filtered: boolean, noun: string, clearHref: string, start: Renderable): Html {
  return filtered
    ? html`<p class="empty">No ${noun} match these filters. <a href="${clearHref}">Clear the filters</a></p>`
    : html`<p class="empty">No ${noun} yet.${start ? html` ${start}` : ''}</p>`;
}
