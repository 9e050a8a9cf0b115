/**
 * The web foundation's pages (services/web/): login, logout and the pages' static files. Every area
 * with pages (leads, the Admin Panel) adds its own list to PAGE_ROUTES in index.ts.
 */
import { publicPage, staffForm, type RouteSpec } from './spec.ts';

export const WEB_PAGE_ROUTES: RouteSpec[] = [
  publicPage('GET', '/login', 'web.loginPage', 'Login page'),
  publicPage('POST', '/login', 'web.login', 'Log in: starts a page session (cookie)'),
  staffForm('/logout', 'web.logout', 'Log out: ends the page session on every replica', 'Pages', { anyRole: true }),
  // In memory, cached by browsers for a day: no limit, like the health probes.
  {
    method: 'GET',
    path: '/assets/:file',
    action: 'web.asset',
    auth: 'none',
    limit: 'none',
    tag: 'Pages',
    summary: 'A static file of the pages (stylesheet)',
    html: true,
  },
];
