/**
 * Operations endpoints and the API reference (public), and the client licensing API (X-API-Key, public
 * rate limit).
 */
import { client, operations, page, type RouteSpec } from './spec.ts';

export const OPERATION_ROUTES: RouteSpec[] = [
  operations('/', 'api.root', 'Service status'),
  operations('/health', 'api.health', 'Health of the service and its dependencies (503 when one is down)'),
  operations('/health/live', 'api.live', 'Liveness probe: the process answers'),
  operations(
    '/health/ready',
    'api.ready',
    'Readiness probe: this gateway can serve client calls (503 otherwise, and while draining)',
  ),
  operations('/metrics', 'api.metrics', 'Prometheus metrics (text format 0.0.4)'),
  operations('/api/docs/openapi.json', 'api.openapi', 'This OpenAPI 3.1 document'),
  page('/api/docs', 'api.docsPage', 'Interactive API reference (Swagger UI, HTML)'),
  page('/api/docs/assets/:file', 'api.docsAsset', 'A static file of the API reference page'),
];

export const CLIENT_ROUTES: RouteSpec[] = [
  client('POST', '/api/license/activate', 'license.activate', 'Activate a license on a machine'),
  client('POST', '/api/license/verify', 'license.verify', 'Verify a license on this machine'),
  client('GET', '/api/license/info/:license_key', 'license.info', 'License information and activations'),
  client(
    'POST',
    '/api/license/heartbeat',
    'license.heartbeat',
    'Heartbeat of a running activation (1/min per activation)',
  ),
  client('POST', '/api/version/check', 'version.check', 'Check for an update', 'Version API'),
  client('GET', '/api/version/latest', 'version.latest', 'Latest release', 'Version API'),
  client('POST', '/api/v1/activate', 'license.activateLegacy', 'Activate (legacy client route)', 'Legacy client API'),
  client('POST', '/api/v1/validate', 'license.validateLegacy', 'Validate (legacy client route)', 'Legacy client API'),
];
