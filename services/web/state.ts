/** The web service's `this`: Redis (sessions) from its mixin, and the session store it starts. */
import type { Service } from 'moleculer';
import type { RedisVars } from '../../mixins/redis.mixin.ts';
import type { SessionStore } from './sessions.ts';

export interface WebState {
  sessions: SessionStore;
}

export type WebThis = Service & RedisVars & WebState;
