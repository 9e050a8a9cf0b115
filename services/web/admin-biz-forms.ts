/**
 * What the Admin Panel's business pages (customers, licenses, resources, releases) share: reading a
 * form's text into an action's params (the action validates them; a page never validates a field the
 * action would not), turning a refusal into words next to each field, and small pieces of a list's URL.
 *
 * A refused form is checked again against the action's own published schema with every error
 * collected, as the lead pages do (forms.ts); each refused field then gets its own sentence, written
 * for these forms (a number, a date, a key), instead of the validator's wording.
 */
import type { ServiceBroker } from 'moleculer';
import type { FormErrors } from './components.ts';
import { everyErrorValidator } from './forms.ts';
import { attrs, html, type Html } from './html.ts';
import type { JsonSchema } from '../../lib/core/validation.ts';

/** A short form or query value (an id, an option, a date). */
export const SHORT = { type: 'string', maxLength: 100 } as const satisfies JsonSchema;
/** Free text (notes): the action bounds it further. */
export const TEXT = { type: 'string', maxLength: 25_000 } as const satisfies JsonSchema;
/** What was typed in a search box: anything up to this length is taken (cut to 100 characters). */
export const SEARCH_INPUT = { type: 'string', maxLength: 1000 } as const satisfies JsonSchema;

export type FormValues = Record<string, string>;

export interface FormState {
  values: FormValues;
  errors: FormErrors;
}

export const EMPTY_FORM: FormState = { values: {}, errors: {} };

/** The form's text fields (absent ones empty). */
export function valuesOf(params: Record<string, unknown>, fields: readonly string[]): FormValues {
  return Object.fromEntries(fields.map(f => [f, typeof params[f] === 'string' ? params[f].trim() : '']));
}

/** A number field: empty is "not given", digits a number, anything else goes as typed for the action to refuse. */
export function numberParam(text: string | undefined): number | string | undefined {
  if (text === undefined || text === '') return undefined;
  return /^\d{1,15}$/.test(text) ? Number(text) : text;
}

/** An optional text field: empty is "not given". */
export function optionalParam(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

/** A checkbox: present (value "yes") or not. */
export function checked(text: string | undefined): boolean {
  return text === 'yes';
}

/** A page number from the URL: anything else is page 1. */
export function pageParam(text: string | undefined): number {
  return /^\d{1,5}$/.test(text ?? '') ? Math.min(Math.max(Number(text), 1), 10_000) : 1;
}

/** A value of a list filter: one of the options, or nothing (a bad filter is ignored, not refused). */
export function optionParam<T extends string>(text: string | undefined, allowed: readonly T[]): T | '' {
  return text !== undefined && (allowed as readonly string[]).includes(text) ? (text as T) : '';
}

/** An id from the URL (a filter): digits, or nothing. */
export function idParam(text: string | undefined): number | undefined {
  return /^\d{1,15}$/.test(text ?? '') && Number(text) > 0 ? Number(text) : undefined;
}

/** A URL of the panel with only the parameters that are set. */
export function hrefWith(base: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${base}?${text}` : base;
}

/** A short notice from a fixed table: a link cannot make a page show a message of its own. */
export function noticeOf(table: Record<string, string>, key: string | undefined): string | null {
  return key !== undefined && Object.hasOwn(table, key) ? table[key]! : null;
}

/** A checkbox with its label beside it. */
export function checkboxField(f: {
  name: string;
  label: string;
  checked: boolean;
  form?: string;
  hint?: string;
}): Html {
  const id = `${f.form ? `${f.form}-` : ''}${f.name}`;
  return html`<div class="field field-check">
    <input${attrs({ id, type: 'checkbox', name: f.name, value: 'yes', checked: f.checked, 'aria-describedby': f.hint ? `${id}-hint` : null })} />
    <label for="${id}">${f.label}</label>
    ${f.hint ? html`<p class="hint" id="${id}-hint">${f.hint}</p>` : ''}
  </div>`;
}

interface ServiceError {
  code?: unknown;
  type?: unknown;
  message?: string;
  data?: { field?: unknown };
}

/**
 * The form errors of a refusal: each field the action's schema refuses gets its sentence from
 * `texts`; a refusal the service made itself (a duplicate email, a customer that does not exist)
 * shows the service's message at the field it names, or at the top. Null when the refusal is not
 * about the form (no access, too many requests, a server failure): the gateway's error page shows it.
 */
export function explainForm(
  broker: ServiceBroker,
  err: unknown,
  action: string,
  params: Record<string, unknown>,
  texts: Record<string, string>,
): { errors: FormErrors; alert: string } | null {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ServiceError;
  const status = typeof e.code === 'number' ? e.code : 0;
  if (status < 400 || status >= 500 || status === 401 || status === 403 || status === 429) return null;
  const message = e.message ?? 'This was refused.';
  const errors: FormErrors = {};
  const validate = everyErrorValidator(broker, action);
  if (validate && !validate({ ...params })) {
    for (const v of validate.errors ?? []) {
      const field =
        v.keyword === 'required' ? String(v.params.missingProperty) : v.instancePath.replace(/^\//, '').split('/')[0]!;
      if (Object.hasOwn(texts, field) && errors[field] === undefined) errors[field] = texts[field]!;
    }
  } else {
    const field = typeof e.data?.field === 'string' ? e.data.field : '';
    if (field && Object.hasOwn(texts, field)) errors[field] = message;
  }
  const count = Object.keys(errors).length;
  if (count === 0) return { errors, alert: message };
  const alert =
    count === 1
      ? 'Please correct the marked field and send the form again.'
      : `Please correct the ${count} marked fields and send the form again.`;
  return { errors, alert };
}

/** The status a page re-rendered with form errors answers with (the lead pages' own). */
export { statusOf as refusalStatus } from './forms.ts';

/** The catalogued code of a service's refusal (`LICENSE_NOT_FOUND`, ...), or ''. */
export function refusalCode(err: unknown): string {
  const type = (err as { type?: unknown }).type;
  return typeof type === 'string' ? type : '';
}
