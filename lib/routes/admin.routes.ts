/**
 * The admin API (Bearer token from POST /api/admin/login; admin rate limit per token). `viewer` routes
 * are readable by every admin user, `admin` routes need the admin role. Each domain adds its routes in
 * its own list below.
 */
import type { HttpMethod, RouteSpec } from '../routes.ts';

export function read(path: string, action: string, summary: string, tag: string): RouteSpec {
  return { method: 'GET', path, action, auth: 'viewer', limit: 'admin', tag, summary };
}

export function write(method: HttpMethod, path: string, action: string, summary: string, tag: string, status?: number): RouteSpec {
  return { method, path, action, auth: 'admin', limit: 'admin', tag, summary, ...(status ? { status } : {}) };
}

const RELEASE_ROUTES: RouteSpec[] = [
  write('POST', '/api/versions', 'version.publish', 'Publish a release', 'Releases', 201),
  read('/api/versions', 'version.list', 'List releases', 'Releases'),
];

export const ADMIN_ROUTES: RouteSpec[] = [...RELEASE_ROUTES];
