/**
 * The lead's own pages: the new-lead form, the lead's page (its form, or a read-only view for viewers,
 * with its contacts and activities) and the delete confirmation.
 */
import type { ActivityAnswer, ContactAnswer, LeadDetailAnswer } from '../lead/contract.ts';
import { listTable, postButton, when } from './components.ts';
import { html, safeHref, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';
import {
  STATUS_LABELS,
  TYPE_LABELS,
  activityFields,
  activityLabel,
  contactFields,
  contactValues,
  leadForm,
  type FormState,
} from './lead-form.ts';

export function newLeadPage(viewer: Viewer, state: FormState, alert: string | null): Html {
  return layout({
    title: 'New lead',
    viewer,
    area: 'leads',
    alert,
    body: leadForm({ action: '/leads/create', submit: 'Create lead', state, csrf: viewer.csrf }),
  });
}

/** What the lead's page shows besides the lead: the state of its forms after a refused change. */
export interface EditForms {
  lead?: FormState;
  contact?: FormState;
  activity?: FormState;
  /** A contact whose edit form was refused: it opens with the input and errors. */
  contactEdit?: { id: number; state: FormState };
}

function readOnlyLead(detail: LeadDetailAnswer): Html {
  const l = detail.lead;
  return html`<dl class="card details">
    <dt>Type</dt>
    <dd>${TYPE_LABELS[l.type] ?? l.type}</dd>
    <dt>Status</dt>
    <dd>${STATUS_LABELS[l.status] ?? l.status}</dd>
    <dt>Country</dt>
    <dd>${l.country || '-'}</dd>
    <dt>Website</dt>
    <dd>${l.website ? html`<a href="${safeHref(l.website)}" rel="noopener noreferrer">${l.website}</a>` : '-'}</dd>
    <dt>Owner</dt>
    <dd>${l.owner || '-'}</dd>
    <dt>Notes</dt>
    <dd class="pre">${l.notes || '-'}</dd>
  </dl>`;
}

function contactRow(c: ContactAnswer, viewer: Viewer, leadId: number, forms: EditForms): Html {
  const admin = viewer.role === 'admin';
  const editing = forms.contactEdit?.id === c.id ? forms.contactEdit.state : null;
  const state = editing ?? { values: contactValues(c), errors: {} };
  return html`<tr id="contact-${c.id}">
    <th scope="row">${c.name}</th>
    <td>${c.role}</td>
    <td>${c.email ? html`<a href="mailto:${c.email}">${c.email}</a>` : ''}</td>
    <td>${c.phone}</td>
    ${
      admin
        ? html`<td class="row-actions">
          <details${editing ? html` open` : ''}>
            <summary>Edit<span class="visually-hidden"> ${c.name}</span></summary>
            <form method="post" action="/leads/edit/${leadId}/contacts/${c.id}/update" novalidate>
              ${csrfField(viewer.csrf)} ${contactFields(`contact-${c.id}`, state)}
              <button type="submit" class="button primary">Save contact</button>
            </form>
          </details>
          ${postButton({ action: `/leads/edit/${leadId}/contacts/${c.id}/delete`, label: `Remove ${c.name}`, csrf: viewer.csrf, kind: 'danger' })}
        </td>`
        : ''
    }
  </tr>`;
}

function activityItem(a: ActivityAnswer, contacts: Map<number, string>, viewer: Viewer, leadId: number): Html {
  const withWhom = a.contact_id !== null ? contacts.get(a.contact_id) : undefined;
  return html`<li class="activity" id="activity-${a.id}">
    <p class="activity-head">
      <span class="badge">${activityLabel(a.type)}</span>
      <time datetime="${a.occurred_at}">${when(a.occurred_at)}</time>
      ${a.who ? html` by ${a.who}` : ''}${withWhom ? html`, with ${withWhom}` : ''}
    </p>
    <p class="pre">${a.text}</p>
    ${
      viewer.role === 'admin'
        ? postButton({
            action: `/leads/edit/${leadId}/activities/${a.id}/delete`,
            label: 'Remove activity',
            csrf: viewer.csrf,
            kind: 'danger',
          })
        : ''
    }
  </li>`;
}

export function editPage(options: {
  viewer: Viewer;
  detail: LeadDetailAnswer;
  forms: EditForms;
  notice: string | null;
  alert: string | null;
  leadState: FormState;
}): Html {
  const { viewer, detail, forms } = options;
  const lead = detail.lead;
  const admin = viewer.role === 'admin';
  const id = lead.id;
  const names = new Map(detail.contacts.map(c => [c.id, c.name]));
  const converted = lead.customer_id !== null;
  const actions = admin
    ? html`${converted ? '' : postButton({ action: `/leads/convert/${id}`, label: 'Convert to customer', csrf: viewer.csrf, kind: 'primary' })}
      ${postButton({ action: `/leads/delete/${id}`, label: 'Delete lead', csrf: viewer.csrf, kind: 'danger' })}`
    : null;
  const contactTable = listTable({
    caption: `Contacts of ${lead.name}`,
    columns: ['Name', 'Role', 'Email', 'Phone', admin ? 'Actions' : null],
    rows: detail.contacts.map(c => contactRow(c, viewer, id, forms)),
  });
  return layout({
    title: lead.name,
    viewer,
    area: 'leads',
    notice: options.notice,
    alert: options.alert,
    action: actions,
    body: html`<p class="breadcrumb"><a href="/leads/">All leads</a></p>
      ${converted ? html`<p class="converted">Converted: customer ${lead.customer_id}.</p>` : ''}
      <section aria-labelledby="lead-heading">
        <h2 id="lead-heading">Details</h2>
        ${
          admin
            ? leadForm({
                action: `/leads/update/${id}`,
                submit: 'Save changes',
                state: options.leadState,
                csrf: viewer.csrf,
              })
            : readOnlyLead(detail)
        }
      </section>
      <section aria-labelledby="contacts-heading">
        <h2 id="contacts-heading">Contacts (${detail.contacts.length})</h2>
        ${detail.contacts.length > 0 ? contactTable : html`<p class="empty">No contacts yet.</p>`}
        ${
          admin
            ? html`<form class="card" method="post" action="/leads/edit/${id}/contacts" novalidate>
                <h3>Add a contact</h3>
                ${csrfField(viewer.csrf)} ${contactFields('contact', forms.contact ?? { values: {}, errors: {} })}
                <button type="submit" class="button primary">Add contact</button>
              </form>`
            : ''
        }
      </section>
      <section aria-labelledby="activities-heading">
        <h2 id="activities-heading">Activities (${detail.activities.length})</h2>
        ${
          admin
            ? html`<form class="card" method="post" action="/leads/edit/${id}/activities" novalidate>
                <h3>Record an activity</h3>
                ${csrfField(viewer.csrf)}
                ${activityFields(forms.activity ?? { values: { who: viewer.username, type: 'call' }, errors: {} }, detail.contacts)}
                <button type="submit" class="button primary">Record activity</button>
              </form>`
            : ''
        }
        ${
          detail.activities.length > 0
            ? html`<ol class="activities">
                ${detail.activities.map(a => activityItem(a, names, viewer, id))}
              </ol>`
            : html`<p class="empty">No activities yet.</p>`
        }
      </section>`,
  });
}

export function deleteConfirmPage(viewer: Viewer, detail: LeadDetailAnswer): Html {
  const { lead, contacts, activities } = detail;
  return layout({
    title: `Delete ${lead.name}?`,
    viewer,
    area: 'leads',
    body: html`<div class="card confirm">
      <p>
        This deletes the lead <strong>${lead.name}</strong> with its ${contacts.length}
        ${contacts.length === 1 ? 'contact' : 'contacts'} and ${activities.length}
        ${activities.length === 1 ? 'activity' : 'activities'}. It cannot be undone.
        ${lead.customer_id !== null ? html` The customer it became (${lead.customer_id}) stays.` : ''}
      </p>
      <div class="form-actions">
        ${postButton({ action: `/leads/delete/${lead.id}`, label: 'Yes, delete this lead', csrf: viewer.csrf, hidden: { confirm: 'yes' }, kind: 'danger' })}
        <a class="button secondary" href="/leads/edit/${lead.id}">Cancel</a>
      </div>
    </div>`,
  });
}
