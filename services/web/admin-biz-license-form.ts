/**
 * The new-license form. The customer is chosen from a searchable field that needs no script: a text
 * box and a "Find customers" button that sends the form back with everything typed kept, and a select
 * of the customers that match. The key is typed, generated on request, or left empty (the license
 * service then generates one).
 */
import { LICENSE_TYPES } from '../../models/license.model.ts';
import { inputField, selectField, textareaField } from './components.ts';
import { checkboxField, checked, type FormState } from './admin-biz-forms.ts';
import { LICENSE_TYPE_LABELS, options } from './admin-biz-views.ts';
import type { CustomerChoice } from './admin-biz-license-views.ts';
import { html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const LICENSE_FORM_FIELDS = [
  'customer_q',
  'customer_id',
  'key',
  'type',
  'valid_from',
  'valid_until',
  'max_activations',
  'max_users',
  'is_active',
  'notes',
] as const;

/** What each license field asks for when the service refuses it (quick edit uses the same words). */
export const LICENSE_FIELD_TEXTS: Record<string, string> = {
  customer_id: 'Choose a customer from the list, or no customer.',
  key: 'Enter a key like ABCD-1234-EFGH-5678 (capital letters and digits), or leave it empty to generate one.',
  type: `Choose one of: ${LICENSE_TYPES.join(', ')}.`,
  valid_from: 'Enter a date like 2027-01-31, or leave it empty for today.',
  valid_until: 'Enter a date like 2027-01-31, or leave it empty for no end date.',
  max_activations: 'Enter a whole number from 1 to 100000.',
  max_users: 'Enter a whole number from 1 to 1000000.',
  is_active: 'Tick the box or leave it empty.',
  notes: 'Enter at most 2000 characters.',
};

/** A new form: one device, one user, active, valid from today; the customer given by the link, if any. */
export function newLicenseValues(customerId: number | undefined, today: string): FormState['values'] {
  return {
    customer_id: customerId ? String(customerId) : '',
    type: 'perpetual',
    valid_from: today,
    max_activations: '1',
    max_users: '1',
    is_active: 'yes',
  };
}

export function newLicensePage(o: {
  viewer: Viewer;
  state: FormState;
  customers: CustomerChoice[];
  /** More customers match than the select shows. */
  moreCustomers: boolean;
  alert: string | null;
  notice?: string | null;
}): Html {
  const { values: v, errors } = o.state;
  const customerOptions = [
    { value: '', label: 'No customer' },
    ...o.customers.map(c => ({ value: String(c.id), label: c.text })),
  ];
  return layout({
    title: 'New license',
    viewer: o.viewer,
    area: 'licenses',
    alert: o.alert,
    notice: o.notice ?? null,
    body: html`<p class="breadcrumb"><a href="/admin/licenses">All licenses</a></p>
      <form class="card" method="post" action="/admin/licenses/new" novalidate>
        ${csrfField(o.viewer.csrf)}
        <fieldset class="choose-customer">
          <legend>Customer</legend>
          <div class="field-row">
            ${inputField({ name: 'customer_q', label: 'Find a customer', type: 'search', value: v.customer_q, maxlength: 100, hint: 'Name or email, then Find customers' })}
            <div class="field field-button">
              <button type="submit" name="intent" value="find" class="button secondary">Find customers</button>
            </div>
          </div>
          ${selectField({
            name: 'customer_id',
            label: 'Customer',
            value: v.customer_id,
            options: customerOptions,
            errors,
            hint: o.moreCustomers
              ? 'Only the first matches are listed: type more of the name to narrow them.'
              : undefined,
          })}
        </fieldset>
        <div class="field-row">
          ${inputField({ name: 'key', label: 'License key', value: v.key, maxlength: 19, errors, hint: 'Leave empty to generate one, or type one like ABCD-1234-EFGH-5678', autocomplete: 'off' })}
          <div class="field field-button">
            <button type="submit" name="intent" value="generate" class="button secondary">Generate a key</button>
          </div>
        </div>
        ${selectField({ name: 'type', label: 'Type', value: v.type, options: options(LICENSE_TYPES, LICENSE_TYPE_LABELS), errors, required: true })}
        <div class="field-row">
          ${inputField({ name: 'valid_from', label: 'Valid from', type: 'date', value: v.valid_from, errors })}
          ${inputField({ name: 'valid_until', label: 'Valid until', type: 'date', value: v.valid_until, errors, hint: 'Empty: no end date' })}
        </div>
        <div class="field-row">
          ${inputField({ name: 'max_activations', label: 'Max devices', type: 'number', value: v.max_activations, required: true, errors, hint: 'Machines that may activate it at once' })}
          ${inputField({ name: 'max_users', label: 'Max concurrent users', type: 'number', value: v.max_users, required: true, errors, hint: 'Running copies at once' })}
        </div>
        ${checkboxField({ name: 'is_active', label: 'Active (verifies as soon as it is created)', checked: checked(v.is_active) })}
        ${textareaField({ name: 'notes', label: 'Notes', value: v.notes, maxlength: 2000, errors })}
        <div class="form-actions">
          <button type="submit" name="intent" value="create" class="button primary">Create license</button>
        </div>
      </form>`,
  });
}
