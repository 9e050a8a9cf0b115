/**
 * Devices (activations): claiming and giving back seats (device/seats.ts), listing, heartbeat
 * bookkeeping (device/heartbeat-buffer.ts, written out by the `heartbeat-flush` job, and once more
 * when a replica stops so a clean shutdown loses no heartbeat). Heartbeats are counted (by the license
 * service's session script), never announced one by one.
 *
 * Every change of a license's activations drops the license's verify view on every license node
 * before the answer goes out, and is announced once as a fact (device/changes.ts).
 */
import { dbMixin } from '../mixins/db.mixin.ts';
import { redisMixin } from '../mixins/redis.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { viewInvalidationMixin } from '../mixins/view-invalidation.mixin.ts';
import { repeatingJobMixin } from '../mixins/repeating-job.mixin.ts';
import { ActivationModel } from '../models/activation.model.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { DeviceThis } from './device/state.ts';
import { FLUSH_EVERY_MS, HEARTBEAT_FLUSH_JOB, flushHeartbeats } from './device/heartbeat-buffer.ts';
import { internalActions } from './device/internal.actions.ts';
import { adminActions } from './device/admin.actions.ts';

const DeviceService: ServiceSchemaOf<DeviceThis> = {
  name: 'device',
  // Moleculer starts mixins last to first and stops them first to last (after the service itself), so
  // the job, listed first, starts once the database and Redis are there, and its last flush on stop
  // runs before either is given back: a clean shutdown loses no heartbeat.
  mixins: [
    repeatingJobMixin<DeviceThis>({
      name: HEARTBEAT_FLUSH_JOB,
      everyMs: FLUSH_EVERY_MS,
      run() {
        return flushHeartbeats(this.redis);
      },
      runOnStop: true,
    }),
    dbMixin([ActivationModel]),
    redisMixin(),
    factsMixin(),
    viewInvalidationMixin(),
  ],

  actions: { ...internalActions, ...adminActions },
};

export default DeviceService;
