/**
 * The one layout of every staff page (STYLE.md, "Web pages for staff"): a header with the global
 * search and the signed-in user, a side navigation naming each area, the page title with its main
 * action on the right, a notice after a change, then the content. Areas add themselves to NAVIGATION;
 * the Admin Panel points GLOBAL_SEARCH at its own search page.
 */
import { assetUrl } from './assets.ts';
import { html, type Html, type Renderable } from './html.ts';
import type { AdminRole } from '../../models/admin-user.model.ts';

export interface NavEntry {
  /** The area's key: a page names the area it belongs to, which the navigation marks as current. */
  area: string;
  label: string;
  href: string;
}

export const NAVIGATION: readonly NavEntry[] = [
  { area: 'dashboard', label: 'Dashboard', href: '/admin/' },
  { area: 'customers', label: 'Customers', href: '/admin/customers' },
  { area: 'licenses', label: 'Licenses', href: '/admin/licenses' },
  { area: 'resources', label: 'Resources', href: '/admin/resources' },
  { area: 'releases', label: 'Releases', href: '/admin/releases' },
  { area: 'monitoring', label: 'Monitoring', href: '/admin/monitoring' },
  { area: 'webhooks', label: 'Webhooks', href: '/admin/webhooks' },
  { area: 'leads', label: 'Leads', href: '/leads/' },
  // API keys for everyone (read-only for viewers); its Users part only for admins.
  { area: 'administration', label: 'Administration', href: '/admin/administration' },
];

/** Where the header's search box sends its text (as `q`): the panel's search page. */
export const GLOBAL_SEARCH = { action: '/admin/search', label: 'Search customers, licenses, devices' } as const;

/** Where the brand link and a sign-in without a destination lead. */
const HOME = '/admin/';

export interface Viewer {
  username: string;
  role: AdminRole;
  /** The session's CSRF token, for the forms the page renders. */
  csrf: string;
}

export interface PageOptions {
  title: string;
  /** The signed-in user; null on the login and error pages before login. */
  viewer: Viewer | null;
  area?: string;
  /** The page's main action, shown right of the title (a link or a button). */
  action?: Renderable;
  /** A short message after a change ("Lead created"). */
  notice?: string | null;
  /** A problem to show at the top (a failed form, a refused action). */
  alert?: string | null;
  body: Renderable;
  /** Scripts of the allow-list (assets.ts) the page enhances itself with; it works without them. */
  scripts?: readonly string[];
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}" />`;
}

function header(viewer: Viewer | null): Html {
  if (!viewer) {
    return html`<header class="topbar"><a class="brand" href="${HOME}">License Server</a></header>`;
  }
  return html`<header class="topbar">
    <a class="brand" href="${HOME}">License Server</a>
    <form class="global-search" role="search" method="get" action="${GLOBAL_SEARCH.action}">
      <label class="visually-hidden" for="global-search">${GLOBAL_SEARCH.label}</label>
      <input id="global-search" type="search" name="q" maxlength="100" placeholder="${GLOBAL_SEARCH.label}" />
      <button type="submit">Search</button>
    </form>
    <div class="user">
      <span class="user-name">${viewer.username}</span>
      <span class="badge">${viewer.role}</span>
      <form method="post" action="/logout">
        ${csrfField(viewer.csrf)}<button type="submit" class="link">Log out</button>
      </form>
    </div>
  </header>`;
}

function navigation(area: string | undefined): Html {
  return html`<nav class="sidenav" aria-label="Areas">
    <ul>
      ${NAVIGATION.map(
        n => html`<li><a href="${n.href}" ${n.area === area ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}
    </ul>
  </nav>`;
}

export function layout(page: PageOptions): Html {
  return html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${page.title} - License Server</title>
      <link rel="stylesheet" href="${assetUrl('app.css')}" />
      ${(page.scripts ?? []).map(name => html`<script src="${assetUrl(name)}" defer></script>`)}
    </head>
    <body>
      <a class="skip-link" href="#main">Skip to content</a>
      ${header(page.viewer)}
      <div class="shell${page.viewer ? '' : ' shell-plain'}">
        ${page.viewer ? navigation(page.area) : ''}
        <main id="main" tabindex="-1">
          <div class="page-head">
            <h1>${page.title}</h1>
            ${page.action ? html`<div class="page-action">${page.action}</div>` : ''}
          </div>
          ${page.notice ? html`<p class="notice" role="status">${page.notice}</p>` : ''}
          ${page.alert ? html`<div class="alert" role="alert">${page.alert}</div>` : ''} ${page.body}
        </main>
      </div>
    </body>
  </html>`;
}
