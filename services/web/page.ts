/**
 * What a page handler reads from ctx.meta (who is signed in, as the gateway resolved the session:
 * services/api/pages.ts) and how it answers: an HTML page, or a 303 redirect after a change
 * (post/redirect/get, so a reload never repeats the change).
 */
import type { Context } from 'moleculer';
import type { AdminPrincipal } from '../../lib/security/admin-tokens.ts';
import { ForbiddenError } from '../../lib/core/errors.ts';
import { HTML_TYPE } from './headers.ts';
import { documentText, type Html } from './html.ts';
import type { Viewer } from './layout.ts';

export interface PageMeta {
  principal?: AdminPrincipal | { kind: string };
  session?: { key: string; csrf: string };
  ip?: string;
  $statusCode?: number;
  $responseType?: string;
  $responseHeaders?: Record<string, string | string[]>;
  $location?: string;
}

export type PageContext<P = Record<string, unknown>> = Context<P, PageMeta>;

/** The signed-in user of a page request (the gateway refused the request otherwise). */
export function viewerOf(ctx: PageContext<unknown>): Viewer {
  const p = ctx.meta.principal;
  const session = ctx.meta.session;
  if (!p || p.kind !== 'admin' || !session) throw new ForbiddenError('Sign in to see this page');
  const principal = p as AdminPrincipal;
  return { username: principal.username, role: principal.role, csrf: session.csrf };
}

export function isAdmin(viewer: Viewer): boolean {
  return viewer.role === 'admin';
}

export function sendPage(ctx: PageContext<unknown>, page: Html, status = 200): string {
  ctx.meta.$statusCode = status;
  ctx.meta.$responseType = HTML_TYPE;
  return documentText(page);
}

export function redirect(ctx: PageContext<unknown>, location: string, cookies?: string[]): null {
  ctx.meta.$statusCode = 303;
  ctx.meta.$location = location;
  if (cookies) ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, 'Set-Cookie': cookies };
  return null;
}
