/**
 * The Admin Panel's business pages (services/web/admin-biz-*.ts): customers, licenses, resources and
 * releases. Session cookie; every form needs the admin role and its CSRF token, pages are open to
 * viewers (read-only). Fixed paths (`/new`, `/bulk`) come before the `:id` paths they would match.
 */
import { staffForm, staffPage, type RouteSpec } from './spec.ts';

const CUSTOMERS = 'Admin Panel: customers';
const LICENSES = 'Admin Panel: licenses';
const RESOURCES = 'Admin Panel: resources';
const RELEASES = 'Admin Panel: releases';

const CUSTOMER_PAGES: RouteSpec[] = [
  staffPage('/admin/customers', 'web.customerList', 'Customers: search, status filter, pages', CUSTOMERS),
  staffForm('/admin/customers/new', 'web.customerNew', 'New customer form', CUSTOMERS, { method: 'GET' }),
  staffForm('/admin/customers/new', 'web.customerCreate', 'Create a customer', CUSTOMERS),
  staffPage('/admin/customers/:customer_id', 'web.customerShow', 'A customer with its licenses and figures', CUSTOMERS),
  staffForm('/admin/customers/:customer_id/edit', 'web.customerEdit', 'Edit customer form', CUSTOMERS, {
    method: 'GET',
  }),
  staffForm('/admin/customers/:customer_id/edit', 'web.customerUpdate', 'Change a customer', CUSTOMERS),
  staffForm(
    '/admin/customers/:customer_id/deactivate',
    'web.customerDeactivate',
    'Deactivate a customer (after a confirmation step)',
    CUSTOMERS,
  ),
  staffForm('/admin/customers/:customer_id/reactivate', 'web.customerReactivate', 'Reactivate a customer', CUSTOMERS),
  staffForm(
    '/admin/customers/:customer_id/delete',
    'web.customerDelete',
    'Delete a customer without licenses (after a confirmation step)',
    CUSTOMERS,
  ),
];

const LICENSE_PAGES: RouteSpec[] = [
  staffPage('/admin/licenses', 'web.licenseList', 'Licenses: key search, filters, sort, pages, bulk changes', LICENSES),
  staffForm('/admin/licenses/new', 'web.licenseNew', 'New license form', LICENSES, { method: 'GET' }),
  staffForm(
    '/admin/licenses/new',
    'web.licenseCreate',
    'Create a license (or find customers, generate a key)',
    LICENSES,
  ),
  staffForm(
    '/admin/licenses/bulk',
    'web.licenseBulk',
    'Bulk activate, deactivate or delete (after a confirmation step)',
    LICENSES,
  ),
  staffPage(
    '/admin/licenses/:license_id',
    'web.licenseShow',
    'A license with its devices, sessions, resources and history',
    LICENSES,
  ),
  staffForm('/admin/licenses/:license_id/quick-edit', 'web.licenseQuickEdit', 'Quick edit a license', LICENSES),
  staffForm('/admin/licenses/:license_id/toggle', 'web.licenseToggle', 'Activate or deactivate a license', LICENSES),
  staffForm(
    '/admin/licenses/:license_id/delete',
    'web.licenseDelete',
    'Delete a license (after a confirmation step)',
    LICENSES,
  ),
  staffForm('/admin/licenses/:license_id/devices', 'web.deviceRegister', 'Register a device by hand', LICENSES),
  staffForm(
    '/admin/licenses/:license_id/devices/:device_id/deactivate',
    'web.deviceDeactivate',
    'Deactivate a device (after a confirmation step)',
    LICENSES,
  ),
  staffForm('/admin/licenses/:license_id/resources', 'web.licenseAllocate', 'Allocate a free resource', LICENSES),
  staffForm(
    '/admin/licenses/:license_id/resources/:resource_id/release',
    'web.licenseRelease',
    'Release a resource of the license',
    LICENSES,
  ),
];

const RESOURCE_PAGES: RouteSpec[] = [
  staffPage('/admin/resources', 'web.resourceList', 'Resource pools and the filtered list', RESOURCES),
  staffForm('/admin/resources/new', 'web.resourceCreate', 'Add a resource to the pool', RESOURCES),
  staffForm(
    '/admin/resources/:resource_id/delete',
    'web.resourceDelete',
    'Delete a free resource (after a confirmation step)',
    RESOURCES,
  ),
  staffForm(
    '/admin/resources/:resource_id/allocate',
    'web.resourceAllocatePage',
    'Choose the license to allocate a resource to',
    RESOURCES,
    { method: 'GET' },
  ),
  staffForm('/admin/resources/:resource_id/allocate', 'web.resourceAllocate', 'Allocate a resource', RESOURCES),
  staffForm('/admin/resources/:resource_id/release', 'web.resourceRelease', 'Release a resource', RESOURCES),
];

const RELEASE_PAGES: RouteSpec[] = [
  staffPage('/admin/releases', 'web.releaseList', 'Published releases', RELEASES),
  staffForm('/admin/releases', 'web.releasePublish', 'Publish a release', RELEASES),
];

export const ADMIN_BUSINESS_PAGE_ROUTES: RouteSpec[] = [
  ...CUSTOMER_PAGES,
  ...LICENSE_PAGES,
  ...RESOURCE_PAGES,
  ...RELEASE_PAGES,
];
