/**
 * Authentication data and the admin identity: admin users (scrypt hashes), login and logout (tokens
 * checked at the gateway by services/api/admin-auth.ts, revocations in Redis), the system API key
 * (hashed; the gateway keeps the active key's digest in memory and reloads it when this service
 * announces `apikey.rotated`), and the short-lived analytics token. The parts live in services/auth/.
 */
import type { ServiceSchema } from 'moleculer';
import { dbMixin } from '../mixins/db.mixin.ts';
import { redisMixin } from '../mixins/redis.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { ApiKeyModel } from '../models/api-key.model.ts';
import { AdminUserModel } from '../models/admin-user.model.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { UserLock } from './auth/user-lock.ts';
import { seedAdmin, seedApiKey } from './auth/seed.ts';
import { loginActions } from './auth/login.actions.ts';
import { userActions } from './auth/users.actions.ts';
import { apiKeyActions } from './auth/api-key.actions.ts';
import type { AuthThis } from './auth/state.ts';

const schema: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, AuthThis> = {
  name: 'auth',
  // Order matters: the database and this.redis are ready before `started` below seeds.
  mixins: [dbMixin([ApiKeyModel, AdminUserModel]), redisMixin(), factsMixin()],

  actions: { ...loginActions, ...userActions, ...apiKeyActions },

  async started(this: AuthThis) {
    this.loginThrottle = new LoginThrottle(this.redis);
    this.userLock = new UserLock(this.redis);
    await Promise.all([seedApiKey(this.logger), seedAdmin(this.redis, this.logger)]);
  },
};

export default schema;
