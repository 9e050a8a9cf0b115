/**
 * The HTTP surface: every documented route, the action behind it and who may call it. The gateway
 * builds its aliases from this table and the OpenAPI document is generated from it plus the actions'
 * params schemas, so a route exists in exactly one place.
 *
 * Params: GET and DELETE take the query string, other methods the JSON body (never both: a query
 * string cannot smuggle fields into a body); path params are added on top. Strings from the path and
 * query are converted to the types the action's schema declares.
 */

import { CLIENT_ROUTES, OPERATION_ROUTES } from './client.routes.ts';
import { ADMIN_ROUTES } from './admin.routes.ts';
import { LICENSE_ADMIN_ROUTES } from './license-admin.routes.ts';
import { CUSTOMER_ROUTES } from './customer.routes.ts';
import { RESOURCE_ROUTES } from './resource.routes.ts';
import { SEARCH_ROUTES } from './search.routes.ts';
import { WEBHOOK_ROUTES } from './webhook.routes.ts';
import { MONITORING_ROUTES } from './monitoring.routes.ts';
import { LEAD_PAGE_ROUTES, LEAD_ROUTES } from './lead.routes.ts';
import { WEB_PAGE_ROUTES } from './web.routes.ts';
import { ADMIN_OPS_PAGE_ROUTES } from './admin-pages-ops.routes.ts';
import { ADMIN_BUSINESS_PAGE_ROUTES } from './admin-pages-business.routes.ts';
import type { RouteSpec } from './spec.ts';

export { routeKey, type RouteSpec, type AuthKind, type LimitKind, type HttpMethod } from './spec.ts';

export const ROUTES: RouteSpec[] = [
  ...OPERATION_ROUTES,
  ...CLIENT_ROUTES,
  ...ADMIN_ROUTES,
  ...LICENSE_ADMIN_ROUTES,
  ...CUSTOMER_ROUTES,
  ...RESOURCE_ROUTES,
  ...SEARCH_ROUTES,
  ...LEAD_ROUTES,
  ...WEBHOOK_ROUTES,
  ...MONITORING_ROUTES,
];

/**
 * The staff's HTML pages: signed in with a session cookie, forms with a CSRF token, answers in HTML
 * (services/web/). Not part of the API, so not in ROUTES nor in the OpenAPI document.
 */
export const PAGE_ROUTES: RouteSpec[] = [
  ...WEB_PAGE_ROUTES,
  ...LEAD_PAGE_ROUTES,
  ...ADMIN_OPS_PAGE_ROUTES,
  ...ADMIN_BUSINESS_PAGE_ROUTES,
];
