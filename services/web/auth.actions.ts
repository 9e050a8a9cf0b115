/**
 * Signing in and out of the pages, for the existing admin users and roles. The credential check and
 * its throttling are auth.login's (the same as POST /api/admin/login); a successful login starts a
 * page session (sessions.ts) instead of handing out its token, which is revoked at once: the browser
 * never holds a bearer token.
 */
import { config } from '../../config/index.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { AppError } from '../../lib/core/errors.ts';
import { revokedTokenKey } from '../../lib/security/admin-tokens.ts';
import { nowSeconds, verifyJwt } from '../../lib/security/jwt.ts';
import { ADMIN_ROLES, type AdminRole } from '../../models/admin-user.model.ts';
import type { LoginAnswer } from '../auth/contract.ts';
import { ASSET_HEADERS, asset } from './assets.ts';
import { html } from './html.ts';
import { inputField, type FormErrors } from './components.ts';
import { layout } from './layout.ts';
import { redirect, sendPage, type PageMeta } from './page.ts';
import { cookieNames, newSecret, setCookie } from './sessions.ts';
import { explainRefusal, statusOf } from './forms.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const TEXT = { type: 'string', maxLength: 1024 } as const;
const NOTICES: Record<string, string> = { signed_out: 'You have signed out.' };
const LOGIN_CSRF_SECONDS = 3600;

/** Where a sign-in lands when it came from nowhere in particular: the Admin Panel's dashboard. */
export const HOME = '/admin/';

/**
 * Where to go after login: a path of this site only (`/leads/?q=x`), never another origin
 * (`//evil.example`, `/\evil.example`, `https://...`), nor the login or logout pages themselves;
 * the dashboard otherwise (and for `/`, the API's status answer, which is no page for a person).
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 512 || next === '/') return HOME;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(next) || next.includes('\\')) return HOME;
  if (/^\/(login|logout)(?:[/?#]|$)/.test(next)) return HOME;
  return next;
}

function loginPage(
  ctx: Parameters<typeof sendPage>[0],
  options: { next?: string; username?: string; errors?: FormErrors; alert?: string; notice?: string; status?: number },
): string {
  const secure = config().isProduction;
  const token = newSecret();
  ctx.meta.$responseHeaders = {
    'Set-Cookie': setCookie(cookieNames(secure).loginCsrf, token, {
      secure,
      path: '/login',
      sameSite: 'Strict',
      maxAge: LOGIN_CSRF_SECONDS,
    }),
  };
  const page = layout({
    title: 'Sign in',
    viewer: null,
    notice: options.notice ?? null,
    alert: options.alert ?? null,
    body: html`<form class="card login-form" method="post" action="/login">
      <input type="hidden" name="_csrf" value="${token}" />
      <input type="hidden" name="next" value="${safeNext(options.next)}" />
      ${inputField({
        name: 'username',
        label: 'Username',
        value: options.username ?? '',
        required: true,
        autocomplete: 'username',
        autofocus: true,
        maxlength: 128,
        errors: options.errors,
      })}
      ${inputField({
        name: 'password',
        label: 'Password',
        type: 'password',
        required: true,
        autocomplete: 'current-password',
        maxlength: 1024,
        errors: options.errors,
      })}
      <button type="submit" class="button primary">Sign in</button>
    </form>`,
  });
  return sendPage(ctx, page, options.status ?? 200);
}

function retryMinutes(err: unknown): number {
  const seconds = Number((err as { data?: { retry_after?: unknown } }).data?.retry_after ?? 60);
  return Math.max(1, Math.ceil(seconds / 60));
}

export const authActions = {
  /** GET /login */
  loginPage: action({
    params: objectSchema({ next: TEXT, notice: TEXT }),
    handler(ctx) {
      return loginPage(ctx, { next: ctx.params.next, notice: NOTICES[ctx.params.notice ?? ''] });
    },
  }),

  /** POST /login (its CSRF token was checked by the gateway against the login page's cookie). */
  login: action({
    params: objectSchema({ username: TEXT, password: TEXT, next: TEXT }),
    async handler(ctx) {
      const { username = '', password = '', next } = ctx.params;
      let answer: LoginAnswer;
      try {
        answer = await ctx.call<LoginAnswer, { username: string; password: string }>('auth.login', {
          username,
          password,
        });
      } catch (err) {
        const type = (err as { type?: unknown }).type;
        if (type === 'INVALID_CREDENTIALS') {
          return loginPage(ctx, { next, username, alert: 'Wrong username or password.', status: 401 });
        }
        if (type === 'RATE_LIMIT_EXCEEDED') {
          const minutes = retryMinutes(err);
          const wait = minutes === 1 ? 'a minute' : `${minutes} minutes`;
          return loginPage(ctx, {
            next,
            username,
            alert: `Too many failed sign-ins. Try again in ${wait}.`,
            status: 429,
          });
        }
        const form = explainRefusal(this.broker, err, 'auth.login', { username, password }, ['username', 'password']);
        if (!form) throw err;
        return loginPage(ctx, { next, username, ...form, status: statusOf(err) });
      }
      const claims = await verifyJwt(answer.token, config().jwtSecret);
      const role = claims.role as AdminRole;
      if (!(ADMIN_ROLES as readonly unknown[]).includes(role) || typeof claims.name !== 'string') {
        throw new AppError('INTERNAL_ERROR', 'auth.login answered a token of an unexpected shape');
      }
      // The page session replaces the token: revoked at once, so no live token exists unheld.
      await this.redis.set(revokedTokenKey(String(claims.jti)), '1', 'EX', Math.max(1, claims.exp - nowSeconds()));
      const session = await this.sessions.create({ id: Number(claims.sub), username: claims.name, role });
      const secure = config().isProduction;
      const names = cookieNames(secure);
      return redirect(ctx, safeNext(next), [
        setCookie(names.session, session.id, { secure }),
        setCookie(names.loginCsrf, '', { secure, path: '/login', sameSite: 'Strict', maxAge: 0 }),
      ]);
    },
  }),

  /** POST /logout: the session key goes, so the cookie is dead on every replica at once. */
  logout: action({
    params: objectSchema({}),
    async handler(ctx) {
      if (ctx.meta.session) await this.sessions.destroy(ctx.meta.session.key);
      const secure = config().isProduction;
      return redirect(ctx, '/login?notice=signed_out', [
        setCookie(cookieNames(secure).session, '', { secure, maxAge: 0 }),
      ]);
    },
  }),

  /** GET /assets/:file: only the files of the allow-list (assets.ts). */
  asset: action({
    params: objectSchema({ file: { type: 'string', maxLength: 100 }, v: { type: 'string', maxLength: 64 } }, ['file']),
    handler(ctx): Buffer {
      const found = asset(ctx.params.file);
      if (!found) throw new AppError('ROUTE_NOT_FOUND', 'No such file');
      ctx.meta.$responseType = found.type;
      ctx.meta.$responseHeaders = { ...ASSET_HEADERS };
      return found.body;
    },
  }),
};
