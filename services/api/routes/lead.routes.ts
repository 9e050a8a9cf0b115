/**
 * Leads: the stats route of the API reference (Bearer token, viewers may read), and the HTML pages
 * of the reference's "Lead Routes" (session cookie, services/web/). `/leads` also answers `/leads/`
 * (the gateway ignores a trailing slash). Convert and the contact and activity forms are the pages'
 * own additions.
 */
import { read, staffForm, staffPage, type RouteSpec } from './spec.ts';

const LEADS = 'Leads';

export const LEAD_ROUTES: RouteSpec[] = [
  read(
    '/leads/api/stats',
    'lead.stats',
    'Lead statistics: institutions, contacts, activities of the last 30 days, conversion rate, by type',
    LEADS,
  ),
];

export const LEAD_PAGE_ROUTES: RouteSpec[] = [
  staffPage('/leads', 'web.leadList', 'Lead overview: search, filters, sort, pages', LEADS),
  staffForm('/leads/create', 'web.leadNew', 'Create lead form', LEADS, { method: 'GET' }),
  staffForm('/leads/create', 'web.leadCreate', 'Save a new lead', LEADS),
  staffPage('/leads/edit/:lead_id', 'web.leadEdit', 'Edit lead form with its contacts and activities', LEADS),
  staffForm('/leads/update/:lead_id', 'web.leadUpdate', 'Update a lead', LEADS),
  staffForm('/leads/delete/:lead_id', 'web.leadDelete', 'Delete a lead (after a confirmation step)', LEADS),
  staffForm('/leads/convert/:lead_id', 'web.leadConvert', 'Convert a lead into a customer', LEADS),
  staffForm('/leads/edit/:lead_id/contacts', 'web.contactAdd', 'Add a contact to a lead', LEADS),
  staffForm('/leads/edit/:lead_id/contacts/:contact_id/update', 'web.contactUpdate', 'Change a contact', LEADS),
  staffForm('/leads/edit/:lead_id/contacts/:contact_id/delete', 'web.contactDelete', 'Remove a contact', LEADS),
  staffForm('/leads/edit/:lead_id/activities', 'web.activityAdd', 'Record an activity', LEADS),
  staffForm('/leads/edit/:lead_id/activities/:activity_id/delete', 'web.activityDelete', 'Remove an activity', LEADS),
  staffPage('/leads/export', 'web.leadExport', 'Export the leads of the current filter as CSV', LEADS),
  staffForm('/leads/import', 'web.leadImport', 'Import leads from a CSV file (report of each row)', LEADS, {
    body: 'multipart',
  }),
];
