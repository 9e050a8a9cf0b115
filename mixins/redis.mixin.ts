/**
 * The process's shared Redis connection (lib/infra/redis.ts) as `this.redis`, taken when the service
 * starts and given back when it stops; the connection closes when its last user stops.
 */
import type { Service, ServiceSchema } from 'moleculer';
import type { Redis } from 'ioredis';
import { acquireRedis, releaseRedis } from '../lib/infra/redis.ts';

export interface RedisVars {
  redis: Redis;
}

export function redisMixin(): Partial<ServiceSchema> {
  return {
    started(this: Service) {
      (this as Service & RedisVars).redis = acquireRedis();
    },
    async stopped() {
      await releaseRedis();
    },
  };
}
