/**
 * The admin's session: login (throttled, see login-throttle.ts), logout, and the short-lived analytics
 * token. Tokens are checked at the gateway (services/api/admin-auth.ts), never here.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { RateLimitError, UnauthorizedError } from '../../lib/core/errors.ts';
import { AdminUserModel, normalizeUsername } from '../../models/admin-user.model.ts';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { issueAdminToken, issueAnalyticsToken, revokeToken } from './tokens.ts';
import { requireCaller } from '../../lib/security/principal-proof.ts';
import { clientIp, type AuthMeta } from './caller.ts';
import type { AuthThis } from './state.ts';
import type { LoginAnswer, TokenAnswer } from './contract.ts';

const action = actionFor<AuthThis, AuthMeta>();

const INVALID_CREDENTIALS_MESSAGE = 'Invalid username or password';

/** Answers that carry a token: never kept by a browser cache or a proxy. */
const NO_STORE = { 'Cache-Control': 'no-store' };

// Login accepts any username the bootstrap may have created (ADMIN_USERNAME is not pattern-checked).
const LOGIN_USERNAME_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  example: 'admin',
} as const satisfies JsonSchema;

const LOGIN_PARAMS = objectSchema(
  { username: LOGIN_USERNAME_SCHEMA, password: { type: 'string', minLength: 1, maxLength: 1024 } },
  ['username', 'password'],
);

export const loginActions = {
  /** POST /api/admin/login */
  login: action({
    params: LOGIN_PARAMS,
    async handler(ctx): Promise<LoginAnswer> {
      const { username, password } = ctx.params;
      const ip = clientIp(ctx.meta);
      try {
        await this.loginThrottle.reserve(username, ip);
      } catch (err) {
        if (err instanceof RateLimitError) {
          await this.announce(ctx, 'admin.login_failed', { username, ip, reason: 'throttled' });
          this.logger.info('Admin login throttled', { username, ip });
        }
        throw err;
      }
      const user = await AdminUserModel.findOne({ username_lower: normalizeUsername(username) }).lean();
      const ok = user ? await verifyPassword(password, user.password) : await burnPasswordCheck(password);
      if (!user || !ok) {
        await this.announce(ctx, 'admin.login_failed', { username, ip, reason: 'invalid_credentials' });
        this.logger.info('Admin login failed', { username, ip });
        throw new UnauthorizedError(INVALID_CREDENTIALS_MESSAGE, 'INVALID_CREDENTIALS');
      }
      await this.loginThrottle.release(username, ip);
      ctx.meta.$responseHeaders = NO_STORE;
      if (needsRehash(user.password)) {
        // Raised parameters reach old hashes at the next login; a concurrent change of the
        // password wins over this upgrade.
        const upgraded = await hashPassword(password);
        await AdminUserModel.updateOne(
          { _id: user._id, 'password.hash': user.password.hash },
          { $set: { password: upgraded } },
        );
      }
      return issueAdminToken(user);
    },
  }),

  /** POST /api/admin/logout: the presented token stops working on every replica. */
  logout: action({
    params: objectSchema({}),
    async handler(ctx) {
      await revokeToken(this.redis, requireCaller(ctx.meta, 'viewer'));
      return { success: true, message: 'Logged out' };
    },
  }),

  /** GET /api/admin/license/auth-token: a short-lived token for the analytics front end only. */
  analyticsToken: action({
    params: objectSchema({}),
    handler(ctx): Promise<TokenAnswer> {
      // A token signed with JWT_SECRET: only for a signed-in user, never for any broker client.
      const caller = requireCaller(ctx.meta, 'viewer');
      ctx.meta.$responseHeaders = NO_STORE;
      return issueAnalyticsToken(caller);
    },
  }),
};
