/**
 * Administration: the API key (the active key by prefix and creation date; regenerating it behind a
 * confirmation, the new key shown once) and, for admins only, the admin users (list, create with a
 * role, delete after a confirmation). Viewers see the API key part read-only and no Users part.
 */
import { ADMIN_ROLES } from '../../models/admin-user.model.ts';
import type { AdminUserAnswer, ApiKeyAnswer, NewApiKeyAnswer } from '../auth/contract.ts';
import { hrefWith, secretOnce } from './admin-ops-common.ts';
import { inputField, pager, postButton, selectField, type FormErrors, when } from './components.ts';
import { html, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';

export const USERS_PER_PAGE = 25;

export interface UserFormState {
  values: { username: string; role: string };
  errors: FormErrors;
}

export interface UserQuery {
  q: string;
  role: (typeof ADMIN_ROLES)[number] | '';
  page: number;
}

export interface UsersPart {
  users: AdminUserAnswer[];
  total: number;
  query: UserQuery;
  form: UserFormState;
  /** The signed-in admin's id: no delete button on their own row. */
  self: number | null;
}

const ROLE_LABELS: Record<string, string> = { admin: 'Admin (may change everything)', viewer: 'Viewer (read-only)' };

function apiKeyPart(viewer: Viewer, key: ApiKeyAnswer | null): Html {
  const admin = viewer.role === 'admin';
  return html`<section aria-labelledby="api-key-heading" class="card">
    <h2 id="api-key-heading">API key</h2>
    <p>
      Client applications send the system API key in the <code>X-API-Key</code> header. Only one key is active at a
      time; the key itself is shown once, when it is generated, and only its prefix afterwards.
    </p>
    ${
      key
        ? html`<dl class="details">
            <dt>Active key</dt>
            <dd><code>${key.prefix}</code></dd>
            <dt>Created</dt>
            <dd>${when(key.created_at)}</dd>
          </dl>`
        : html`<p class="empty">No API key has been generated yet.</p>`
    }
    ${
      admin
        ? html`<form method="post" action="/admin/administration/api-key/regenerate" class="form-actions">
            ${csrfField(viewer.csrf)}
            <button type="submit" class="button danger">Regenerate the API key</button>
          </form>`
        : ''
    }
  </section>`;
}

function userRows(viewer: Viewer, part: UsersPart): Html {
  return html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Admin users
      </caption>
      <thead>
        <tr>
          <th scope="col">Username</th>
          <th scope="col">Role</th>
          <th scope="col">Created</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        ${part.users.map(
          u =>
            html`<tr>
              <th scope="row">${u.username}</th>
              <td>${u.role}</td>
              <td>${when(u.created_at)}</td>
              <td>
                ${
                  u.id === part.self
                    ? html`<span class="muted">You</span>`
                    : postButton({
                        action: `/admin/administration/users/${u.id}/delete`,
                        label: `Delete ${u.username}`,
                        csrf: viewer.csrf,
                        kind: 'danger',
                      })
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function userForm(viewer: Viewer, state: UserFormState): Html {
  return html`<form class="card user-form" method="post" action="/admin/administration/users">
    <h3>Add a user</h3>
    ${csrfField(viewer.csrf)}
    <div class="field-row">
      ${inputField({
        form: 'user',
        name: 'username',
        label: 'Username',
        value: state.values.username,
        required: true,
        maxlength: 64,
        autocomplete: 'off',
        hint: '3 to 64 letters, digits, dot, underscore, @ or hyphen.',
        errors: state.errors,
      })}
      ${inputField({
        form: 'user',
        name: 'password',
        label: 'Password',
        type: 'password',
        required: true,
        maxlength: 1024,
        autocomplete: 'new-password',
        hint: 'At least 8 characters (12 in production). Give it to the person in a safe way.',
        errors: state.errors,
      })}
      ${selectField({
        form: 'user',
        name: 'role',
        label: 'Role',
        value: state.values.role,
        required: true,
        options: ADMIN_ROLES.map(r => ({ value: r, label: ROLE_LABELS[r] ?? r })),
        errors: state.errors,
      })}
    </div>
    <div class="form-actions"><button type="submit" class="button primary">Add user</button></div>
  </form>`;
}

export function usersHref(query: UserQuery, change: Partial<UserQuery> = {}): string {
  const q = { ...query, ...change };
  return hrefWith('/admin/administration', { users_q: q.q, users_role: q.role, users_page: q.page });
}

function userFilters(query: UserQuery): Html {
  return html`<form class="filters" method="get" action="/admin/administration" role="search" aria-label="Filter users">
    ${inputField({ form: 'users', name: 'users_q', label: 'Username contains', type: 'search', value: query.q, maxlength: 100 })}
    ${selectField({
      form: 'users',
      name: 'users_role',
      label: 'Role',
      value: query.role,
      options: [{ value: '', label: 'All roles' }, ...ADMIN_ROLES.map(r => ({ value: r, label: r }))],
    })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/administration">Clear</a>
    </div>
  </form>`;
}

function usersPart(viewer: Viewer, part: UsersPart): Html {
  const { query } = part;
  const filtered = Boolean(query.q || query.role);
  const empty = filtered
    ? html`<p class="empty">No users match these filters. <a href="/admin/administration">Clear the filters</a></p>`
    : html`<p class="empty">No users on this page.</p>`;
  return html`<section aria-labelledby="users-heading">
    <h2 id="users-heading">Users</h2>
    <p>Admins may change everything; viewers see every page and change nothing.</p>
    ${userFilters(query)} ${part.users.length > 0 ? userRows(viewer, part) : empty}
    ${
      part.total > 0
        ? pager({
            page: query.page,
            pages: Math.ceil(part.total / USERS_PER_PAGE),
            total: part.total,
            noun: part.total === 1 ? 'user' : 'users',
            hrefFor: page => usersHref(query, { page }),
          })
        : ''
    }
    ${userForm(viewer, part.form)}
  </section>`;
}

export function administrationPage(options: {
  viewer: Viewer;
  key: ApiKeyAnswer | null;
  users: UsersPart | null;
  notice: string | null;
  alert?: string | null;
}): Html {
  return layout({
    title: 'Administration',
    viewer: options.viewer,
    area: 'administration',
    notice: options.notice,
    alert: options.alert ?? null,
    body: html`${apiKeyPart(options.viewer, options.key)}
    ${options.users ? usersPart(options.viewer, options.users) : ''}`,
  });
}

/** The one page that shows a new API key. */
export function newApiKeyPage(viewer: Viewer, key: NewApiKeyAnswer): Html {
  return layout({
    title: 'New API key',
    viewer,
    area: 'administration',
    scripts: ['copy.js'],
    notice: 'A new API key was generated. The old key stopped working on every gateway.',
    body: html`<div class="card">
      ${secretOnce({
        id: 'api-key',
        label: 'New API key',
        value: key.api_key,
        warning:
          'Copy it now and give it to your client applications: it cannot be shown again. The old key was refused from the moment this key was made.',
      })}
      <dl class="details">
        <dt>Prefix</dt>
        <dd><code>${key.prefix}</code></dd>
        <dt>Created</dt>
        <dd>${when(key.created_at)}</dd>
      </dl>
      <p><a class="button secondary" href="/admin/administration">Done: back to Administration</a></p>
    </div>`,
  });
}
