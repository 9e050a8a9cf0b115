/** Admin API: license management, devices, live sessions. */
import { read, write, type RouteSpec } from './spec.ts';

const LICENSES = 'License Management';
const DEVICES = 'Device Management';

export const LICENSE_ADMIN_ROUTES: RouteSpec[] = [
  write('POST', '/api/licenses', 'license.create', 'Create a license (key generated unless given)', LICENSES, 201),
  read('/api/licenses', 'license.list', 'List licenses (filter, sort, page, limit)', LICENSES),
  read('/api/license/:license_id', 'license.read', 'Read a license', LICENSES),
  write('POST', '/api/license/:license_id/toggle', 'license.toggle', 'Toggle license active status', LICENSES),
  write('POST', '/api/licenses/bulk-activate', 'license.bulkActivate', 'Activate multiple licenses', LICENSES),
  write('POST', '/api/licenses/bulk-deactivate', 'license.bulkDeactivate', 'Deactivate multiple licenses', LICENSES),
  write(
    'POST',
    '/api/licenses/bulk-delete',
    'license.bulkDelete',
    'Delete multiple licenses, their devices and allocations',
    LICENSES,
  ),
  write(
    'POST',
    '/api/license/:license_id/quick-edit',
    'license.quickEdit',
    'Quick edit valid_until, max_activations, max_users',
    LICENSES,
  ),
  write('POST', '/api/generate-license-key', 'license.generateKey', 'Generate a new, unused license key', LICENSES),
  read('/api/license/:license_id/devices', 'license.devices', 'Devices of a license', DEVICES),
  write(
    'POST',
    '/api/license/:license_id/register-device',
    'license.registerDevice',
    'Register a device (same limit as activation)',
    DEVICES,
  ),
  write(
    'POST',
    '/api/license/:license_id/deactivate-device/:device_id',
    'license.deactivateDevice',
    'Deactivate a device (frees its seat)',
    DEVICES,
  ),
  read('/api/sessions/active-count', 'license.activeSessions', 'Number of live client sessions', 'Session Management'),
];
