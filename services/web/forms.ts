/**
 * Turning a service's refusal into what a form shows: the message next to the field it names, in
 * words a person understands, and a line at the top. The services' checks stay the only checks:
 * a page never validates a field the action would not.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ServiceBroker } from 'moleculer';
import type { FormErrors } from './components.ts';

interface ServiceError {
  code?: unknown;
  type?: unknown;
  message?: string;
  data?: { field?: unknown; reason?: unknown; allowed?: unknown };
}

const FIELD_WORDS: Record<string, string> = {
  name: 'a name',
  email: 'an email address',
  text: 'a description',
  occurred_at: 'a date and time',
  username: 'your username',
  password: 'your password',
};

function words(field: string, reason: string, allowed: unknown, message: string): string {
  switch (reason) {
    case 'required':
    case 'too_short':
      return `Enter ${FIELD_WORDS[field] ?? 'a value'}.`;
    case 'format_invalid':
      if (field === 'website') return 'Enter an address starting with http:// or https://, or leave it empty.';
      if (field === 'email') return 'Enter a valid email address, like name@example.com, or leave it empty.';
      if (field === 'occurred_at') return 'Enter a date and time.';
      return field === 'name' || field === 'text'
        ? `Enter ${FIELD_WORDS[field]}.`
        : 'This is not in the expected form.';
    case 'too_long':
      return 'This is too long.';
    case 'not_allowed':
      return Array.isArray(allowed) ? `Choose one of: ${allowed.join(', ')}.` : 'Choose one of the options.';
    case 'invalid':
      return field === 'email' ? 'Enter a valid email address, like name@example.com, or leave it empty.' : message;
    default:
      return message;
  }
}

/**
 * The form errors of a refusal that names a field (400 validation, 404 or 409 on a field), or null
 * for anything else (which the gateway then shows as an error page).
 */
export function formErrorsOf(err: unknown, known: readonly string[]): { errors: FormErrors; alert: string } | null {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ServiceError;
  const status = typeof e.code === 'number' ? e.code : 0;
  if (status < 400 || status >= 500 || status === 401 || status === 403 || status === 429) return null;
  const field = typeof e.data?.field === 'string' ? e.data.field : '';
  const reason = typeof e.data?.reason === 'string' ? e.data.reason : '';
  const message = e.message ?? 'This was refused.';
  if (field && known.includes(field)) {
    const text = e.type === 'VALIDATION_ERROR' ? words(field, reason, e.data?.allowed, message) : message;
    return { errors: { [field]: text }, alert: 'Please correct the marked field and send the form again.' };
  }
  return { errors: {}, alert: message };
}

/** The status a page re-rendered with form errors answers with. */
export function statusOf(err: unknown): number {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && code >= 400 && code < 500 ? code : 400;
}

const REASONS: Record<string, string> = {
  required: 'required',
  type: 'type_invalid',
  pattern: 'format_invalid',
  format: 'format_invalid',
  enum: 'not_allowed',
  minLength: 'too_short',
  maxLength: 'too_long',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
};

// All the problems of a form at once: the service checks one field at a time (its validator stops at
// the first), so a refused form is checked again here against the action's own published schema,
// with every error collected. Same schema, same rules: nothing is validated twice differently.
const everyError = new Ajv({ allErrors: true, strict: false });
(((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (a: Ajv) => Ajv)(
  everyError,
);
const compiled = new Map<string, ValidateFunction>();

/**
 * The action's own published params schema, compiled once to collect every error (null when the
 * action publishes none). The lead pages (explainRefusal) and the business pages (admin-biz-forms.ts)
 * both check a refused form again with it.
 */
export function everyErrorValidator(broker: ServiceBroker, action: string): ValidateFunction | null {
  const known = compiled.get(action);
  if (known) return known;
  const list = broker.registry.getActionList({ skipInternal: true, withEndpoints: false }) as Array<{
    name: string;
    action?: { params?: unknown };
  }>;
  const params = list.find(a => a.name === action)?.action?.params;
  if (typeof params !== 'object' || params === null) return null;
  const validate = everyError.compile(params);
  compiled.set(action, validate);
  return validate;
}

/**
 * The form errors of a refusal: every field the action's schema refuses (in words), or the field the
 * service named; null when the refusal is not about the form (the gateway's error page shows it).
 */
export function explainRefusal(
  broker: ServiceBroker,
  err: unknown,
  action: string,
  params: Record<string, unknown>,
  known: readonly string[],
): { errors: FormErrors; alert: string } | null {
  const form = formErrorsOf(err, known);
  if (!form || (err as { type?: unknown }).type !== 'VALIDATION_ERROR') return form;
  const validate = everyErrorValidator(broker, action);
  if (!validate || validate({ ...params })) return form;
  for (const e of validate.errors ?? []) {
    const field =
      e.keyword === 'required' ? String(e.params.missingProperty) : e.instancePath.replace(/^\//, '').split('/')[0]!;
    if (!known.includes(field) || form.errors[field] !== undefined) continue;
    const reason = REASONS[e.keyword] ?? 'invalid';
    const refusal = {
      code: 400,
      type: 'VALIDATION_ERROR',
      message: 'invalid',
      data: { field, reason, allowed: e.params.allowedValues },
    };
    Object.assign(form.errors, formErrorsOf(refusal, known)?.errors);
  }
  const count = Object.keys(form.errors).length;
  if (count > 1) form.alert = `Please correct the ${count} marked fields and send the form again.`;
  return form;
}
