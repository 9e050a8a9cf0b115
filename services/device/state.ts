/**
 * The device service's `this`. It keeps no state of its own: the Redis connection, the heartbeat flush
 * job, facts and view drops all come from its mixins.
 */
import type { Service } from 'moleculer';
import type { RedisVars } from '../../mixins/redis.mixin.ts';
import type { JobVars } from '../../mixins/repeating-job.mixin.ts';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { ViewInvalidationMethods } from '../../mixins/view-invalidation.mixin.ts';

export type DeviceThis = Service & RedisVars & JobVars & FactsMethods & ViewInvalidationMethods;
