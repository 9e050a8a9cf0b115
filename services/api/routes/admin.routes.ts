/**
 * The admin API (Bearer token from POST /api/admin/login; admin rate limit per token). `viewer` routes
 * are readable by every admin user, `admin` routes need the admin role. Each domain adds its routes in
 * its own list below.
 */
import { read, write, type RouteSpec } from './spec.ts';

const RELEASE_ROUTES: RouteSpec[] = [
  write('POST', '/api/versions', 'version.publish', 'Publish a release', 'Releases', 201),
  read('/api/versions', 'version.list', 'List releases', 'Releases'),
];

// Login is public and limited per IP on top of its own per-username/per-IP failure throttling (the
// public limit also bounds the scrypt work one address can cause). Logout needs any valid token.
const AUTH_ROUTES: RouteSpec[] = [
  {
    method: 'POST',
    path: '/api/admin/login',
    action: 'auth.login',
    auth: 'none',
    limit: 'public',
    tag: 'Admin authentication',
    summary: 'Log in: a bearer token for the admin API',
  },
  {
    method: 'POST',
    path: '/api/admin/logout',
    action: 'auth.logout',
    auth: 'viewer',
    limit: 'admin',
    tag: 'Admin authentication',
    summary: 'Log out: revoke the presented token',
  },
  write(
    'POST',
    '/api/admin/users',
    'auth.createUser',
    'Create an admin user (role admin or viewer)',
    'Admin authentication',
    201,
  ),
  read(
    '/api/admin/users',
    'auth.listUsers',
    'List admin users (q: text of the username, role, page, limit)',
    'Admin authentication',
  ),
  write(
    'DELETE',
    '/api/admin/user/:id',
    'auth.deleteUser',
    'Delete an admin user (not yourself, not the last admin)',
    'Admin authentication',
  ),
  read('/api/admin/api-key', 'auth.apiKeyInfo', 'Prefix and creation time of the active API key', 'API keys'),
  write(
    'POST',
    '/api/admin/api-key/regenerate',
    'auth.regenerateApiKey',
    'Replace the API key (returned once; the old one stops working at once)',
    'API keys',
  ),
  read(
    '/api/admin/license/auth-token',
    'auth.analyticsToken',
    'Short-lived JWT for analytics access',
    'Admin authentication',
  ),
];

export const ADMIN_ROUTES: RouteSpec[] = [...AUTH_ROUTES, ...RELEASE_ROUTES];
