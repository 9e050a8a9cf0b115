/**
 * The lead pages' forms: the lead's own fields, a contact, an activity. Each keeps what was typed and
 * shows the service's refusal next to its field (forms.ts).
 */
import { LEAD_LIMITS, LEAD_STATUSES, LEAD_TYPES } from '../../models/lead-institution.model.ts';
import { CONTACT_LIMITS } from '../../models/lead-contact.model.ts';
import { ACTIVITY_LIMITS, ACTIVITY_TYPES } from '../../models/lead-activity.model.ts';
import type { ContactAnswer, LeadAnswer } from '../lead/contract.ts';
import { inputField, selectField, textareaField, type FormErrors } from './components.ts';
import { html, type Html } from './html.ts';
import { csrfField } from './layout.ts';

export const LEAD_FORM_FIELDS = ['name', 'type', 'country', 'website', 'status', 'owner', 'notes'] as const;
export const CONTACT_FORM_FIELDS = ['name', 'email', 'phone', 'role'] as const;
export const ACTIVITY_FORM_FIELDS = ['type', 'contact_id', 'occurred_at', 'who', 'text'] as const;

export type FormValues = Record<string, string>;

export interface FormState {
  values: FormValues;
  errors: FormErrors;
}

export const TYPE_LABELS: Record<string, string> = {
  university: 'University',
  company: 'Company',
  government: 'Government',
  other: 'Other',
};
export const STATUS_LABELS: Record<string, string> = {
  new: 'New',
  contacted: 'Contacted',
  qualified: 'Qualified',
  customer: 'Customer',
  lost: 'Lost',
};
const ACTIVITY_LABELS: Record<string, string> = { call: 'Call', email: 'Email', meeting: 'Meeting', note: 'Note' };

function options(values: readonly string[], labels: Record<string, string>) {
  return values.map(value => ({ value, label: labels[value] ?? value }));
}

export function leadValues(lead: LeadAnswer): FormValues {
  return {
    name: lead.name,
    type: lead.type,
    country: lead.country,
    website: lead.website,
    status: lead.status,
    owner: lead.owner,
    notes: lead.notes,
  };
}

export function leadFields(state: FormState): Html {
  const { values: v, errors } = state;
  return html`${inputField({ name: 'name', label: 'Name', value: v.name, required: true, maxlength: LEAD_LIMITS.name, errors })}
    <div class="field-row">
      ${selectField({ name: 'type', label: 'Type', value: v.type, options: options(LEAD_TYPES, TYPE_LABELS), errors })}
      ${selectField({ name: 'status', label: 'Status', value: v.status, options: options(LEAD_STATUSES, STATUS_LABELS), errors })}
    </div>
    <div class="field-row">
      ${inputField({ name: 'country', label: 'Country', value: v.country, maxlength: LEAD_LIMITS.country, errors, autocomplete: 'country-name' })}
      ${inputField({ name: 'owner', label: 'Owner', value: v.owner, maxlength: LEAD_LIMITS.owner, errors, hint: 'Who on the team follows this lead' })}
    </div>
    ${inputField({ name: 'website', label: 'Website', type: 'url', value: v.website, maxlength: LEAD_LIMITS.website, errors, hint: 'https://...' })}
    ${textareaField({ name: 'notes', label: 'Notes', value: v.notes, maxlength: LEAD_LIMITS.notes, errors })}`;
}

export function leadForm(options: { action: string; submit: string; state: FormState; csrf: string }): Html {
  return html`<form class="card" method="post" action="${options.action}" novalidate>
    ${csrfField(options.csrf)} ${leadFields(options.state)}
    <div class="form-actions"><button type="submit" class="button primary">${options.submit}</button></div>
  </form>`;
}

export function contactFields(form: string, state: FormState): Html {
  const { values: v, errors } = state;
  return html`<div class="field-row">
      ${inputField({ form, name: 'name', label: 'Name', value: v.name, required: true, maxlength: CONTACT_LIMITS.name, errors })}
      ${inputField({ form, name: 'role', label: 'Role', value: v.role, maxlength: CONTACT_LIMITS.role, errors })}
    </div>
    <div class="field-row">
      ${inputField({ form, name: 'email', label: 'Email', type: 'email', value: v.email, maxlength: CONTACT_LIMITS.email, errors })}
      ${inputField({ form, name: 'phone', label: 'Phone', type: 'tel', value: v.phone, maxlength: CONTACT_LIMITS.phone, errors })}
    </div>`;
}

export function contactValues(c: ContactAnswer): FormValues {
  return { name: c.name, email: c.email, phone: c.phone, role: c.role };
}

/** `datetime-local` shows and sends minutes without a zone: the pages use UTC throughout. */
export function localDateTime(iso: string): string {
  return iso.slice(0, 16);
}

export function activityFields(state: FormState, contacts: ContactAnswer[]): Html {
  const { values: v, errors } = state;
  const contactOptions = [
    { value: '', label: 'Nobody in particular' },
    ...contacts.map(c => ({ value: String(c.id), label: c.name })),
  ];
  return html`<div class="field-row">
      ${selectField({ form: 'activity', name: 'type', label: 'Type', value: v.type, options: options(ACTIVITY_TYPES, ACTIVITY_LABELS), errors })}
      ${selectField({ form: 'activity', name: 'contact_id', label: 'With', value: v.contact_id, options: contactOptions, errors })}
    </div>
    <div class="field-row">
      ${inputField({ form: 'activity', name: 'occurred_at', label: 'When (UTC)', type: 'datetime-local', value: v.occurred_at, errors })}
      ${inputField({ form: 'activity', name: 'who', label: 'By', value: v.who, maxlength: ACTIVITY_LIMITS.who, errors })}
    </div>
    ${textareaField({ form: 'activity', name: 'text', label: 'What happened', value: v.text, required: true, maxlength: ACTIVITY_LIMITS.text, rows: 3, errors })}`;
}

export function activityLabel(type: string): string {
  return ACTIVITY_LABELS[type] ?? type;
}
