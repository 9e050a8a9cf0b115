/**
 * Pieces the Admin Panel's operations pages share (dashboard, monitoring, webhooks, administration,
 * search): reading list state from the URL, the confirmation step of an irreversible action, a secret
 * shown once with its copy button, HTML fragments for parts that refresh on their own, and sections
 * that show "unavailable" instead of failing the whole page when one service cannot answer.
 */
import type { JsonSchema } from '../../lib/core/validation.ts';
import { HTML_TYPE } from './headers.ts';
import { attrs, html, type Html, type Renderable } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';
import { sendPage, type PageContext } from './page.ts';

/** A value of a filter or a notice name in the URL: anything up to this length is read (and checked). */
export const SHORT = { type: 'string', maxLength: 100 } as const satisfies JsonSchema;
/** What was typed in a search box: anything up to this length is taken (cut to 100 characters). */
export const SEARCH_INPUT = { type: 'string', maxLength: 1000 } as const satisfies JsonSchema;
/** A form field: the service it goes to decides what is valid (and says so next to the field). */
export const FIELD = { type: 'string', maxLength: 10_000 } as const satisfies JsonSchema;
/** A form field that may repeat (checkboxes of one name): one value or a list. */
export const FIELD_LIST = {
  anyOf: [FIELD, { type: 'array', items: FIELD, maxItems: 50 }],
} as const satisfies JsonSchema;

/** A page number from the URL: 1 when missing or not a number, capped like the services cap it. */
export function pageOf(raw: string | undefined): number {
  return /^\d{1,5}$/.test(raw ?? '') ? Math.min(Math.max(Number(raw), 1), 10_000) : 1;
}

/** A value from the URL when it is one of the options, else the fallback (a bad filter is ignored). */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T | ''): T | '' {
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** An id typed in a filter box: a positive integer, or undefined (ignored) for anything else. */
export function idOf(raw: string | undefined): number | undefined {
  const text = (raw ?? '').trim();
  return /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
}

/** A list URL with only the parameters that have a value, so links stay short and bookmarkable. */
export function hrefWith(base: string, params: Record<string, string | number | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || (name.endsWith('page') && value === 1)) continue;
    query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}

/** The values of a repeated form field (checkboxes), as a list. */
export function listOf(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** An HTML fragment (not a document): the part of a page a script puts in place of the old one. */
export function sendFragment(ctx: PageContext<unknown>, fragment: Html): string {
  ctx.meta.$statusCode = 200;
  ctx.meta.$responseType = HTML_TYPE;
  return fragment.text;
}

/**
 * A section's data, or null when its service could not answer (the section says so; the page stands).
 * `failed` hears why, for the log.
 */
export async function settle<T>(promise: Promise<T>, failed?: (err: Error) => void): Promise<T | null> {
  try {
    return await promise;
  } catch (err) {
    failed?.(err as Error);
    return null;
  }
}

export function unavailable(what: string): Html {
  return html`<p class="alert" role="alert">${what} cannot be shown right now: the service did not answer.</p>`;
}

export interface ConfirmPageOptions {
  viewer: Viewer;
  area: string;
  title: string;
  body: Renderable;
  action: string;
  confirmLabel: string;
  cancelHref: string;
  hidden?: Record<string, string>;
}

/**
 * The confirmation step of an irreversible action, which works without JavaScript: a page that says
 * what will happen, and a form that posts the same action again with `confirm=yes`.
 */
export function confirmPage(options: ConfirmPageOptions): Html {
  return layout({
    title: options.title,
    viewer: options.viewer,
    area: options.area,
    body: html`<div class="card confirm">
      ${options.body}
      <form method="post" action="${options.action}" class="form-actions">
        ${csrfField(options.viewer.csrf)}
        <input type="hidden" name="confirm" value="yes" />
        ${Object.entries(options.hidden ?? {}).map(([name, value]) => html`<input type="hidden" ${attrs({ name, value })} />`)}
        <button type="submit" class="button danger">${options.confirmLabel}</button>
        <a class="button secondary" href="${options.cancelHref}">Cancel</a>
      </form>
    </div>`,
  });
}

/**
 * A secret shown this once: a read-only field to select (the page works without script), the warning,
 * and a copy button that copy.js shows and wires.
 */
export function secretOnce(options: { id: string; label: string; value: string; warning: Renderable }): Html {
  const { id } = options;
  return html`<div class="secret-once">
    <p class="warning" id="${id}-warning"><strong>Shown only this once.</strong> ${options.warning}</p>
    <label for="${id}">${options.label}</label>
    <div class="secret-row">
      <input
        id="${id}"
        class="secret"
        type="text"
        readonly
        value="${options.value}"
        autocomplete="off"
        spellcheck="false"
        aria-describedby="${id}-warning"
      />
      <button type="button" class="button primary" data-copy="${id}" hidden>Copy</button>
    </div>
    <p class="copy-status" id="${id}-copied" role="status"></p>
  </div>`;
}

/**
 * An action that makes a secret shown only in its own answer (a new API key, a rotated webhook
 * secret): first a confirmation, then the secret once. The confirmation carries `seen`, the stamp of
 * the thing as it was shown (its creation or last change); a confirmation whose stamp is no longer
 * current (a reload of the answer, another admin in between) changes nothing and answers `stale`'s
 * page, since doing it again would silently break the secret just handed out. The answer that shows
 * the secret is never stored (Cache-Control: no-store).
 */
export async function confirmThenShowSecret(
  ctx: PageContext<unknown>,
  params: { confirm?: string; seen?: string },
  options: {
    /** The stamp of the thing now. */
    stamp: string;
    /** The page when the confirmed stamp is no longer current. */
    stale: () => Promise<string>;
    /** The question (its form posts `seen` and `confirm=yes`). */
    confirm: Omit<ConfirmPageOptions, 'hidden'>;
    /** Makes the secret; the page that shows it. */
    reveal: () => Promise<Html>;
  },
): Promise<string> {
  if (params.confirm === 'yes' && params.seen !== options.stamp) return options.stale();
  if (params.confirm !== 'yes') {
    return sendPage(ctx, confirmPage({ ...options.confirm, hidden: { seen: options.stamp } }));
  }
  const page = await options.reveal();
  ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, 'Cache-Control': 'no-store' };
  return sendPage(ctx, page);
}

/** Who a page's session belongs to, as the principal the gateway put in ctx.meta (for "not yourself"). */
export function principalId(ctx: PageContext<unknown>): number | null {
  const p = ctx.meta.principal as { kind?: string; userId?: unknown } | undefined;
  return p?.kind === 'admin' && typeof p.userId === 'number' ? p.userId : null;
}
