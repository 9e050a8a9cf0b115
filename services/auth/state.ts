/** The auth service's `this`: the mixins' members plus what its own `started` sets. */
import type { Service } from 'moleculer';
import type { RedisVars } from '../../mixins/redis.mixin.ts';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { UserLock } from './user-lock.ts';

export interface AuthState {
  loginThrottle: LoginThrottle;
  userLock: UserLock;
}

export type AuthThis = Service & RedisVars & FactsMethods & AuthState;
