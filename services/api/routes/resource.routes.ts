/** Admin API: the resource pool and its allocation to licenses. */
import { read, write, type RouteSpec } from './spec.ts';

const RESOURCES = 'Resource Management';

export const RESOURCE_ROUTES: RouteSpec[] = [
  write(
    'POST',
    '/api/resources',
    'resource.create',
    'Add a resource to the pool (identifier unique, case-insensitively)',
    RESOURCES,
    201,
  ),
  read(
    '/api/resources',
    'resource.list',
    'List resources (type, status, license_id filters, q: identifier text; page, limit)',
    RESOURCES,
  ),
  read('/api/resource/:resource_id', 'resource.read', 'Read a resource', RESOURCES),
  write(
    'DELETE',
    '/api/resource/:resource_id',
    'resource.remove',
    'Delete a free resource (an allocated one is refused)',
    RESOURCES,
  ),
  write(
    'POST',
    '/api/resources/allocate',
    'resource.allocate',
    'Allocate resources to a license (all or nothing)',
    RESOURCES,
  ),
  write(
    'POST',
    '/api/resources/release',
    'resource.release',
    'Release resources (optionally only those of one license)',
    RESOURCES,
  ),
  read('/api/license/:license_id/resources', 'resource.forLicense', 'Resources allocated to a license', RESOURCES),
  read(
    '/api/resources/check-availability',
    'resource.checkAvailability',
    'Check resource availability (type, count)',
    RESOURCES,
  ),
  read('/api/resources/stats', 'resource.stats', 'Resource statistics, overall and by type', RESOURCES),
];
