/**
 * Licenses and the client licensing flow: activate, verify, heartbeat, info (client.actions.ts), the
 * admin API (admin.actions.ts, devices.actions.ts), what other services ask (internal.actions.ts) and
 * the figures monitoring reads (figures.actions.ts).
 *
 * The verify path (license/verify-path.ts) answers warm verifies from memory with no I/O at all;
 * whoever changes a license, its customer, its activations or the releases drops the views on every
 * license node before answering (license.dropViews). docs/architecture.md follows a verify through
 * the files.
 *
 * Facts: license.activated / .deactivated / .expired (expiry.ts job) / .usage_threshold (usage.ts),
 * device.heartbeat.dead (lapses.ts job) and device.heartbeat.excessive; docs/monitoring.md.
 */
import { config } from '../config/index.ts';
import { LicenseModel } from '../models/license.model.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { redisMixin } from '../mixins/redis.mixin.ts';
import { repeatingJobMixin } from '../mixins/repeating-job.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { viewInvalidationMixin } from '../mixins/view-invalidation.mixin.ts';
import { ExactLimiter } from '../lib/infra/rate-limiter.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import { adminActions } from './license/admin.actions.ts';
import { clientActions } from './license/client.actions.ts';
import { deviceActions } from './license/devices.actions.ts';
import { figureActions } from './license/figures.actions.ts';
import { internalActions } from './license/internal.actions.ts';
import { sessionActions } from './license/sessions.actions.ts';
import { EXPIRY_JOB, announceExpiries } from './license/expiry.ts';
import { LAPSE_JOB, announceLapses } from './license/lapses.ts';
import { licenseCounters } from './license/metrics.ts';
import { seedTestLicense } from './license/seed.ts';
import { SessionStore } from './license/sessions.ts';
import type { LicenseThis } from './license/state.ts';
import { announceUsersLevel } from './license/usage.ts';
import { VerifyPath } from './license/verify-path.ts';
import { VerifySeries } from './license/verify-series.ts';
import { answerVerifiesLocally, stopAnsweringVerifiesLocally } from './license/verify-local.ts';

const LicenseService: ServiceSchemaOf<LicenseThis> = {
  name: 'license',
  // Moleculer starts the last mixin first and stops it last: the jobs go first in the list so they
  // start after, and stop before, the database and Redis they need.
  mixins: [
    repeatingJobMixin<LicenseThis>({
      ...EXPIRY_JOB,
      run() {
        return announceExpiries(this);
      },
    }),
    repeatingJobMixin<LicenseThis>({
      ...LAPSE_JOB,
      run() {
        return announceLapses(this);
      },
    }),
    factsMixin(),
    viewInvalidationMixin(),
    redisMixin(),
    dbMixin([LicenseModel]),
  ],

  actions: {
    ...clientActions,
    ...adminActions,
    ...deviceActions,
    ...internalActions,
    ...figureActions,
    ...sessionActions,
  },

  async started(this: LicenseThis) {
    const cfg = config();
    this.counters = licenseCounters(this.broker);
    this.sessions = new SessionStore(this.redis, cfg.heartbeat.timeoutSeconds);
    this.verifier = new VerifyPath(
      this.broker,
      this.logger,
      this.sessions,
      (license, moved) => announceUsersLevel(this, license, moved),
      this.counters.viewLoads,
    );
    this.heartbeatLimiter = new ExactLimiter(this.redis, 'heartbeat', cfg.rateLimit.heartbeatPerMinute);
    this.heartbeatExcess = cfg.anomalies.heartbeatExcess;
    this.verifySeries = new VerifySeries(this.redis);
    this.verifySeries.start();
    if (!cfg.isProduction) await seedTestLicense(this);
    answerVerifiesLocally(this);
  },

  async stopped(this: LicenseThis) {
    stopAnsweringVerifiesLocally(this);
    await this.verifySeries?.stop();
  },
};

export default LicenseService;
