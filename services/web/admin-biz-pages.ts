/**
 * The Admin Panel's business pages as one group of web actions: customers, licenses (list, new,
 * bulk, the license's page), resources and releases. services/web.service.ts spreads this group;
 * services/api/routes/admin-pages-business.routes.ts lists their routes.
 */
import { customerPageActions } from './admin-biz-customers.actions.ts';
import { deviceActions } from './admin-biz-license-devices.actions.ts';
import { licenseDetailActions } from './admin-biz-license-page.actions.ts';
import { licensePageActions } from './admin-biz-licenses.actions.ts';
import { releasePageActions } from './admin-biz-releases.actions.ts';
import { resourcePageActions } from './admin-biz-resources.actions.ts';

export const businessPageActions = {
  ...customerPageActions,
  ...licensePageActions,
  ...licenseDetailActions,
  ...deviceActions,
  ...resourcePageActions,
  ...releasePageActions,
};
