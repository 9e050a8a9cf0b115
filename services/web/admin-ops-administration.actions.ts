/**
 * Administration's handlers: the API key through auth.apiKeyInfo and auth.regenerateApiKey (the admin
 * API's actions: the old key is refused on every gateway before the answer, the rotation is announced
 * and logged by prefix), the users through auth.listUsers, auth.createUser and auth.deleteUser (never
 * yourself, never the last admin). The new key is rendered straight into the answer of the confirmed
 * regeneration, never stored; a reload of that answer does not regenerate a second time.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import type { ApiKeyAnswer, NewApiKeyAnswer, UserListAnswer } from '../auth/contract.ts';
import { ADMIN_ROLES } from '../../models/admin-user.model.ts';
import {
  FIELD,
  SEARCH_INPUT,
  SHORT,
  confirmPage,
  confirmThenShowSecret,
  oneOf,
  pageOf,
  principalId,
} from './admin-ops-common.ts';
import {
  USERS_PER_PAGE,
  administrationPage,
  newApiKeyPage,
  type UserFormState,
  type UserQuery,
} from './admin-ops-administration-views.ts';
import { explainRefusal, statusOf } from './forms.ts';
import { html } from './html.ts';
import { isAdmin, redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const USER_FIELDS = ['username', 'password', 'role'] as const;
const NOTICES: Record<string, string> = {
  user_created: 'User added: they can sign in now.',
  user_deleted: 'User deleted: their sessions and tokens ended at once.',
};
const EMPTY_FORM: UserFormState = { values: { username: '', role: 'viewer' }, errors: {} };

async function apiKey(ctx: PageContext<unknown>): Promise<ApiKeyAnswer | null> {
  try {
    return await ctx.call<ApiKeyAnswer, object>('auth.apiKeyInfo', {});
  } catch (err) {
    if ((err as { type?: unknown }).type === 'NO_API_KEY') return null;
    throw err;
  }
}

async function renderAdministration(
  ctx: PageContext<unknown>,
  options: {
    users?: UserQuery;
    form?: UserFormState;
    notice?: string | null;
    alert?: string | null;
    status?: number;
  },
): Promise<string> {
  const viewer = viewerOf(ctx);
  const query = options.users ?? { q: '', role: '', page: 1 };
  const [key, list] = await Promise.all([
    apiKey(ctx),
    // The Users part is the admins' only: a viewer's page does not even ask for the list.
    isAdmin(viewer)
      ? ctx.call<UserListAnswer, object>('auth.listUsers', {
          page: query.page,
          limit: USERS_PER_PAGE,
          ...(query.q ? { q: query.q } : {}),
          ...(query.role ? { role: query.role } : {}),
        })
      : Promise.resolve(null),
  ]);
  const users = list
    ? { users: list.users, total: list.total, query, form: options.form ?? EMPTY_FORM, self: principalId(ctx) }
    : null;
  return sendPage(
    ctx,
    administrationPage({ viewer, key, users, notice: options.notice ?? null, alert: options.alert ?? null }),
    options.status ?? 200,
  );
}

export const administrationActions = {
  /** GET /admin/administration */
  opsAdministration: action({
    params: objectSchema({ users_q: SEARCH_INPUT, users_role: SHORT, users_page: SHORT, notice: SHORT }),
    handler(ctx) {
      return renderAdministration(ctx, {
        users: {
          q: (ctx.params.users_q ?? '').trim().slice(0, 100),
          role: oneOf(ctx.params.users_role, ADMIN_ROLES, ''),
          page: pageOf(ctx.params.users_page),
        },
        notice: NOTICES[ctx.params.notice ?? ''] ?? null,
      });
    },
  }),

  /** POST /admin/administration/api-key/regenerate: a confirmation, then the new key shown once. */
  opsApiKeyRegenerate: action({
    params: objectSchema({ confirm: SHORT, seen: SHORT }),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const current = await apiKey(ctx);
      return confirmThenShowSecret(ctx, ctx.params, {
        stamp: current?.created_at ?? 'none',
        stale: () =>
          renderAdministration(ctx, {
            alert:
              'The API key was regenerated since you confirmed, so nothing was done. The active key is the one shown below.',
            status: 409,
          }),
        confirm: {
          viewer,
          area: 'administration',
          title: 'Regenerate the API key?',
          action: '/admin/administration/api-key/regenerate',
          confirmLabel: 'Yes, regenerate the API key',
          cancelHref: '/admin/administration',
          body: html`<p>
              A new API key is generated and shown to you once.
              <strong
                >The current key${current ? html` (<code>${current.prefix}</code>)` : ''} stops working at once, on
                every gateway.</strong
              >
            </p>
            <p>
              Every client application that still sends it is refused (401, "Invalid or missing API key") until it is
              given the new key: activations, verifications and heartbeats included. Have the new key ready to hand out
              before you go on.
            </p>`,
        },
        reveal: async () => newApiKeyPage(viewer, await ctx.call<NewApiKeyAnswer, object>('auth.regenerateApiKey', {})),
      });
    },
  }),

  /** POST /admin/administration/users */
  opsUserCreate: action({
    params: objectSchema({ username: FIELD, password: FIELD, role: FIELD }),
    async handler(ctx) {
      const values = {
        username: (ctx.params.username ?? '').trim(),
        password: ctx.params.password ?? '',
        role: ctx.params.role ?? '',
      };
      try {
        await ctx.call('auth.createUser', values);
        return redirect(ctx, '/admin/administration?notice=user_created');
      } catch (err) {
        const form = explainRefusal(this.broker, err, 'auth.createUser', values, USER_FIELDS);
        if (!form) throw err;
        // The password is never sent back into the page.
        const state = { values: { username: values.username, role: values.role }, errors: form.errors };
        return renderAdministration(ctx, { form: state, alert: form.alert, status: statusOf(err) });
      }
    },
  }),

  /** POST /admin/administration/users/:user_id/delete: a confirmation, then the deletion. */
  opsUserDelete: action({
    params: objectSchema({ user_id: ID_SCHEMA, confirm: SHORT }, ['user_id']),
    async handler(ctx) {
      const viewer = viewerOf(ctx);
      const id = ctx.params.user_id;
      if (ctx.params.confirm !== 'yes') {
        // The list is small (admin staff): the user's name for the question, from the same action.
        const list = await ctx.call<UserListAnswer, object>('auth.listUsers', { page: 1, limit: 500 });
        const user = list.users.find(u => u.id === id);
        const who = user ? html`<strong>${user.username}</strong> (${user.role})` : html`user ${id}`;
        return sendPage(
          ctx,
          confirmPage({
            viewer,
            area: 'administration',
            title: user ? `Delete ${user.username}?` : 'Delete this user?',
            action: `/admin/administration/users/${id}/delete`,
            confirmLabel: 'Yes, delete the user',
            cancelHref: '/admin/administration',
            body: html`<p>
              ${who} can no longer sign in. Their open sessions and API tokens end at once. This cannot be undone.
            </p>`,
          }),
        );
      }
      try {
        await ctx.call('auth.deleteUser', { id });
        return redirect(ctx, '/admin/administration?notice=user_deleted');
      } catch (err) {
        const type = (err as { type?: unknown }).type;
        if (type !== 'CANNOT_DELETE_SELF' && type !== 'LAST_ADMIN') throw err;
        return renderAdministration(ctx, { alert: (err as Error).message, status: 409 });
      }
    },
  }),
};
