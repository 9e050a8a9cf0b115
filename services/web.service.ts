/**
 * The staff's web pages, rendered on the server: the web foundation (login, logout, page sessions,
 * the layout and the stylesheet: web/auth.actions.ts, web/sessions.ts, web/layout.ts) and the lead
 * pages (web/lead-*.actions.ts). The gateway resolves the session cookie and checks roles and CSRF
 * tokens before a handler runs (services/api/pages.ts); the handlers call the same actions as the
 * admin API and render their answers. It runs beside the gateway (config/topology.ts), and works on
 * any node: uploads wait in Redis, exports stream (docs/web.md, "Placement").
 */
import { config } from '../config/index.ts';
import { redisMixin } from '../mixins/redis.mixin.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { WebThis } from './web/state.ts';
import { SessionStore } from './web/sessions.ts';
import { authActions } from './web/auth.actions.ts';
import { leadPageActions } from './web/lead-pages.actions.ts';
import { leadPeopleActions } from './web/lead-people.actions.ts';
import { leadTransferActions } from './web/lead-transfer.actions.ts';
import { adminOpsActions } from './web/admin-ops-pages.actions.ts';
import { businessPageActions } from './web/admin-biz-pages.ts';

const TRANSFER_TIMEOUT_MS = 120_000;

const WebService: ServiceSchemaOf<WebThis> = {
  name: 'web',
  mixins: [redisMixin()],

  actions: {
    ...authActions,
    ...leadPageActions,
    ...leadPeopleActions,
    ...adminOpsActions,
    ...businessPageActions,
    // A whole file in one request: more time than a page (REQUEST_TIMEOUT_MS) for tens of thousands of rows.
    leadExport: Object.assign({ timeout: TRANSFER_TIMEOUT_MS }, leadTransferActions.leadExport),
    leadImport: Object.assign({ timeout: TRANSFER_TIMEOUT_MS }, leadTransferActions.leadImport),
  },

  started(this: WebThis) {
    const { web } = config();
    this.sessions = new SessionStore(this.redis, web.sessionIdleSeconds, web.sessionMaxSeconds);
  },
};

export default WebService;
