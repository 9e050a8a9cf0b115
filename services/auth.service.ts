/**
 * Authentication data and the admin identity: admin users (scrypt hashes), login and logout (tokens
 * checked at the gateway by lib/admin-auth.ts, revocations in Redis), the system API key (hashed; the
 * gateway keeps the active key's digest in memory and reloads it when this service announces
 * `apikey.rotated`), and the short-lived analytics token.
 *
 * Login throttling: failures are counted per username and per client IP in Redis, shared by every
 * replica, in fixed 15-minute windows starting at the first failure. An attempt reserves its failure
 * BEFORE the password check (one atomic script), so parallel guesses cannot all slip past the limit;
 * a successful login gives the reservation back and clears the username's count.
 */
import { randomBytes } from 'node:crypto';
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { Redis } from 'ioredis';
import { config, TEST_CREDENTIALS } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { ApiKeyModel, SYSTEM_KEY_ID } from '../models/api-key.model.ts';
import {
  ADMIN_ROLES,
  AdminUserModel,
  normalizeUsername,
  type AdminRole,
  type AdminUserDoc,
} from '../models/admin-user.model.ts';
import { nextId } from '../models/counter.model.ts';
import { API_KEY_PATTERN, apiKeyPrefix, generateApiKey, hashApiKey } from '../lib/security/api-keys.ts';
import {
  TOKEN_TYPES,
  revokedTokenKey,
  revokedUserKey,
  type AdminPrincipal,
  type AdminTokenClaims,
} from '../lib/security/admin-tokens.ts';
import { nowSeconds, signJwt } from '../lib/security/jwt.ts';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './auth/passwords.ts';
import { acquireRedis, releaseRedis } from '../lib/infra/redis.ts';
import {
  ConflictError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
  isDuplicateKeyError,
} from '../lib/core/errors.ts';
import { objectSchema } from '../lib/core/validation.ts';
import { ID_SCHEMA } from '../lib/core/schemas.ts';

export const LOGIN_THROTTLE = {
  windowSeconds: 15 * 60,
  maxFailuresPerUsername: 5,
  /** Higher than per username: several admins may share one office address. */
  maxFailuresPerIp: 20,
} as const;

const MAX_TOKEN_TTL_SECONDS = 30 * 86_400;
const MIN_PASSWORD_LENGTH = { production: 12, other: 8 } as const;
const INVALID_CREDENTIALS_MESSAGE = 'Invalid username or password';

export interface LoginResult {
  token: string;
  expires_at: string;
  role: AdminRole;
}

export interface AdminUserView {
  id: number;
  username: string;
  role: AdminRole;
  created_at: string;
}

export interface UserListResult {
  users: AdminUserView[];
  total: number;
  page: number;
  limit: number;
}

export interface ApiKeyInfo {
  prefix: string;
  created_at: string;
}

export interface TokenResult {
  token: string;
  expires_at: string;
}

interface AuthMeta {
  principal?: AdminPrincipal | { kind: string };
  ip?: unknown;
  $statusCode?: number;
  $location?: string;
}

interface AuthThis extends Service {
  redis: Redis;
  seedApiKey(): Promise<void>;
  seedAdmin(): Promise<void>;
  reserveLoginAttempt(username: string, ip: string | null): Promise<void>;
  releaseLoginAttempt(username: string, ip: string | null): Promise<void>;
  /** Refuses every token of the user issued up to now; returns that cutoff (Unix seconds). */
  revokeUserTokens(userId: number): Promise<number>;
  withUserLock<T>(work: () => Promise<T>): Promise<T>;
  waitForGateways(): Promise<void>;
  announce(ctx: Context, event: string, payload: Record<string, unknown>): void;
}

// Returns 0 when the attempt may go ahead (its failure is counted in advance), otherwise the
// milliseconds until the exhausted window ends.
const RESERVE_SCRIPT = `
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 1 then ttl = 1000 end
    return ttl
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[#KEYS + 1]) end
end
return 0`;

// Success: the username starts afresh; the IP gets its reservation back (never below zero, never a
// key without expiry).
const RELEASE_SCRIPT = `
redis.call('DEL', KEYS[1])
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 and tonumber(redis.call('GET', KEYS[2])) > 0 then
  redis.call('DECR', KEYS[2])
end
return 0`;

const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const USER_LOCK_KEY = 'lock:admin-users';

function loginKeys(username: string, ip: string | null): string[] {
  const keys = [`login-fail:user:${normalizeUsername(username)}`];
  if (ip) keys.push(`login-fail:ip:${ip}`);
  return keys;
}

function clientIp(meta: AuthMeta): string | null {
  // Set by the gateway from the socket (or X-Forwarded-For behind a trusted proxy); absent for
  // internal callers, which are then throttled per username only.
  return typeof meta.ip === 'string' && meta.ip.length > 0 && meta.ip.length <= 64 ? meta.ip : null;
}

function adminPrincipal(meta: AuthMeta): AdminPrincipal | null {
  const p = meta.principal;
  return p && p.kind === 'admin' ? (p as AdminPrincipal) : null;
}

function view(doc: Pick<AdminUserDoc, '_id' | 'username' | 'role' | 'created_at'>): AdminUserView {
  return { id: doc._id, username: doc.username, role: doc.role, created_at: doc.created_at.toISOString() };
}

function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

const USERNAME_SCHEMA = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$',
  description: '3 to 64 letters, digits, dot, underscore, @ or hyphen; unique regardless of case',
  example: 'jane.doe',
};
// Login accepts any username the bootstrap may have created (ADMIN_USERNAME is not pattern-checked).
const LOGIN_USERNAME_SCHEMA = { type: 'string', minLength: 1, maxLength: 128, example: 'admin' };
const PASSWORD_SCHEMA = {
  type: 'string',
  minLength: MIN_PASSWORD_LENGTH.other,
  maxLength: 1024,
  description: 'At least 12 characters in production, 8 otherwise',
};

const AuthService: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, AuthThis> = {
  name: 'auth',
  mixins: [dbMixin([ApiKeyModel, AdminUserModel])],

  actions: {
    /** Digest of the active system key, for the gateways' in-memory check. Internal only. */
    activeApiKeyDigest: {
      visibility: 'public',
      params: { type: 'object', properties: {}, additionalProperties: false },
      async handler() {
        const key = await ApiKeyModel.findById(SYSTEM_KEY_ID).lean();
        return key ? { digest: key.digest } : null;
      },
    },

    /** POST /api/admin/login */
    login: {
      params: objectSchema(
        { username: LOGIN_USERNAME_SCHEMA, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        ['username', 'password'],
      ),
      async handler(
        this: AuthThis,
        ctx: Context<{ username: string; password: string }, AuthMeta>,
      ): Promise<LoginResult> {
        const { username, password } = ctx.params;
        const ip = clientIp(ctx.meta);
        try {
          await this.reserveLoginAttempt(username, ip);
        } catch (err) {
          if (err instanceof RateLimitError) {
            this.announce(ctx, 'admin.login_failed', { username, ip, reason: 'throttled' });
            this.logger.info('Admin login throttled', { username, ip });
          }
          throw err;
        }
        const user = await AdminUserModel.findOne({ username_lower: normalizeUsername(username) }).lean();
        const ok = user ? await verifyPassword(password, user.password) : await burnPasswordCheck(password);
        if (!user || !ok) {
          this.announce(ctx, 'admin.login_failed', { username, ip, reason: 'invalid_credentials' });
          this.logger.info('Admin login failed', { username, ip });
          throw new UnauthorizedError(INVALID_CREDENTIALS_MESSAGE, 'INVALID_CREDENTIALS');
        }
        await this.releaseLoginAttempt(username, ip);
        if (needsRehash(user.password)) {
          // Raised parameters reach old hashes at the next login; a concurrent change of the
          // password wins over this upgrade.
          const upgraded = await hashPassword(password);
          await AdminUserModel.updateOne(
            { _id: user._id, 'password.hash': user.password.hash },
            { $set: { password: upgraded } },
          );
        }

        const iat = nowSeconds();
        const exp = iat + config().admin.tokenTtlSeconds;
        const claims: AdminTokenClaims = {
          typ: TOKEN_TYPES.admin,
          sub: String(user._id),
          name: user.username,
          role: user.role,
          jti: newTokenId(),
          iat,
          exp,
        };
        return {
          token: signJwt(claims, config().jwtSecret),
          expires_at: new Date(exp * 1000).toISOString(),
          role: user.role,
        };
      },
    },

    /** POST /api/admin/logout: the presented token stops working on every replica. */
    logout: {
      params: objectSchema({}),
      async handler(this: AuthThis, ctx: Context<Record<string, never>, AuthMeta>) {
        const principal = adminPrincipal(ctx.meta);
        if (!principal) throw new UnauthorizedError('Missing or invalid bearer token');
        const ttl = principal.expiresAt - nowSeconds();
        if (ttl > 0) {
          try {
            await this.redis.set(revokedTokenKey(principal.tokenId), '1', 'EX', ttl);
          } catch {
            throw new ServiceUnavailableError();
          }
        }
        return { success: true, message: 'Logged out' };
      },
    },

    /** POST /api/admin/users (admin) */
    createUser: {
      params: objectSchema(
        { username: USERNAME_SCHEMA, password: PASSWORD_SCHEMA, role: { type: 'string', enum: [...ADMIN_ROLES] } },
        ['username', 'password', 'role'],
      ),
      async handler(
        this: AuthThis,
        ctx: Context<{ username: string; password: string; role: AdminRole }, AuthMeta>,
      ): Promise<AdminUserView> {
        const { username, password, role } = ctx.params;
        const minLength = config().isProduction ? MIN_PASSWORD_LENGTH.production : MIN_PASSWORD_LENGTH.other;
        if ([...password].length < minLength) {
          throw new ValidationError(`password must be at least ${minLength} characters`, {
            field: 'password',
            reason: 'too_short',
          });
        }
        const doc = {
          _id: await nextId('admin_user'),
          username,
          username_lower: normalizeUsername(username),
          password: await hashPassword(password),
          role,
          created_at: new Date(),
        };
        try {
          await AdminUserModel.create(doc);
        } catch (err) {
          if (isDuplicateKeyError(err)) {
            throw new ConflictError(`User ${username} already exists`, 'USERNAME_TAKEN', {
              field: 'username',
              reason: 'duplicate',
            });
          }
          throw err;
        }
        ctx.meta.$statusCode = 201;
        ctx.meta.$location = '/api/admin/users';
        this.announce(ctx, 'admin.user.created', { id: doc._id, role, by: adminPrincipal(ctx.meta)?.userId ?? null });
        return view(doc);
      },
    },

    /** GET /api/admin/users */
    listUsers: {
      params: objectSchema({
        page: { type: 'integer', minimum: 1, maximum: 100_000, default: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
      }),
      async handler(ctx: Context<{ page: number; limit: number }>): Promise<UserListResult> {
        const { page, limit } = ctx.params;
        const [docs, total] = await Promise.all([
          AdminUserModel.find({}, { username: 1, role: 1, created_at: 1 })
            .sort({ _id: 1 })
            .skip((page - 1) * limit)
            .limit(limit)
            .lean(),
          AdminUserModel.countDocuments(),
        ]);
        return { users: docs.map(view), total, page, limit };
      },
    },

    /** DELETE /api/admin/user/:id (admin): never yourself, never the last admin. */
    deleteUser: {
      params: objectSchema({ id: ID_SCHEMA }, ['id']),
      async handler(this: AuthThis, ctx: Context<{ id: number }, AuthMeta>) {
        const { id } = ctx.params;
        const caller = adminPrincipal(ctx.meta);
        if (caller?.userId === id) {
          throw new ConflictError('You cannot delete your own user', 'CANNOT_DELETE_SELF', { id });
        }
        // "Not the last admin" is a check over several documents; without transactions, deletions are
        // serialised by a short Redis lock so two admins deleting each other cannot both succeed.
        const deleted = await this.withUserLock(async () => {
          const target = await AdminUserModel.findById(id, { username: 1, role: 1, created_at: 1 }).lean();
          if (!target) throw new NotFoundError(`User ${id} not found`, 'USER_NOT_FOUND', { id });
          if (
            target.role === 'admin' &&
            (await AdminUserModel.countDocuments({ role: 'admin', _id: { $ne: id } })) === 0
          ) {
            throw new ConflictError('The last admin cannot be deleted', 'LAST_ADMIN', { id });
          }
          // Revoke first: should the delete then fail, the user only has to log in again.
          await this.revokeUserTokens(id);
          await AdminUserModel.deleteOne({ _id: id });
          return target;
        });
        this.announce(ctx, 'admin.user.deleted', { id, role: deleted.role, by: caller?.userId ?? null });
        return { success: true, id };
      },
    },

    /** GET /api/admin/api-key: what may be shown of the active key. */
    apiKeyInfo: {
      params: objectSchema({}),
      async handler(): Promise<ApiKeyInfo> {
        const key = await ApiKeyModel.findById(SYSTEM_KEY_ID, { prefix: 1, created_at: 1 }).lean();
        if (!key) throw new NotFoundError('No API key has been generated yet', 'NO_API_KEY');
        return { prefix: key.prefix, created_at: key.created_at.toISOString() };
      },
    },

    /** POST /api/admin/api-key/regenerate (admin): the new key is returned once, never stored. */
    regenerateApiKey: {
      params: objectSchema({}),
      async handler(this: AuthThis, ctx: Context<Record<string, never>, AuthMeta>) {
        const apiKey = generateApiKey();
        const doc = {
          digest: hashApiKey(apiKey).toString('hex'),
          prefix: apiKeyPrefix(apiKey),
          created_at: new Date(),
        };
        // One document, replaced in one write: there is never a moment with two active keys.
        await ApiKeyModel.replaceOne({ _id: SYSTEM_KEY_ID }, doc, { upsert: true });
        await ctx.broadcast('apikey.rotated', { prefix: doc.prefix, by: adminPrincipal(ctx.meta)?.userId ?? null });
        await this.waitForGateways();
        this.logger.info('System API key regenerated', { prefix: doc.prefix });
        return { api_key: apiKey, prefix: doc.prefix, created_at: doc.created_at.toISOString() };
      },
    },

    /** GET /api/admin/license/auth-token: a short-lived token for the analytics front end only. */
    analyticsToken: {
      params: objectSchema({}),
      handler(ctx: Context<Record<string, never>, AuthMeta>): TokenResult {
        const principal = adminPrincipal(ctx.meta);
        const iat = nowSeconds();
        const exp = iat + config().admin.analyticsTokenTtlSeconds;
        const token = signJwt(
          {
            typ: TOKEN_TYPES.analytics,
            scope: 'analytics',
            ...(principal ? { sub: String(principal.userId) } : {}),
            jti: newTokenId(),
            iat,
            exp,
          },
          config().jwtSecret,
        );
        return { token, expires_at: new Date(exp * 1000).toISOString() };
      },
    },
  },

  methods: {
    /**
     * Development and test: the reference's test key. Production: the key given in API_KEY, if any,
     * and only when none exists yet (a regenerated key is never overwritten by a restart).
     */
    async seedApiKey(this: AuthThis) {
      const cfg = config();
      const seed = cfg.isProduction ? process.env.API_KEY?.trim() : TEST_CREDENTIALS.apiKey;
      if (!seed) {
        this.logger.info('No API key seeded (production); generate one with POST /api/admin/api-key/regenerate');
        return;
      }
      if (cfg.isProduction && !API_KEY_PATTERN.test(seed)) {
        throw new Error('API_KEY must have the form AF-YYYY- followed by 32 letters or digits');
      }
      await ApiKeyModel.updateOne(
        { _id: SYSTEM_KEY_ID },
        {
          $setOnInsert: {
            digest: hashApiKey(seed).toString('hex'),
            prefix: apiKeyPrefix(seed),
            created_at: new Date(),
          },
        },
        { upsert: true },
      ).catch(err => {
        // Another replica seeded it first.
        if ((err as { code?: number }).code !== 11000) throw err;
      });
    },

    /**
     * The first admin from ADMIN_USERNAME / ADMIN_PASSWORD, on every start of every replica: created
     * if missing (the unique index on the lower-case name lets exactly one racing replica insert it),
     * otherwise given the admin role and, when ADMIN_PASSWORD changed, the new password, with its
     * existing tokens revoked.
     */
    async seedAdmin(this: AuthThis) {
      const cfg = config();
      const { username, password } = cfg.admin;
      if (username.length > 64) throw new Error('ADMIN_USERNAME must be at most 64 characters');
      if (
        !cfg.isProduction &&
        username === TEST_CREDENTIALS.adminUsername &&
        password === TEST_CREDENTIALS.adminPassword
      ) {
        this.logger.info(
          `Admin login uses the development defaults: username "${TEST_CREDENTIALS.adminUsername}", password "${TEST_CREDENTIALS.adminPassword}"`,
        );
      }
      const usernameLower = normalizeUsername(username);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const existing = await AdminUserModel.findOne({ username_lower: usernameLower }).lean();
        if (existing) {
          const same = await verifyPassword(password, existing.password);
          const changes: Partial<AdminUserDoc> = {};
          if (!same || needsRehash(existing.password)) changes.password = await hashPassword(password);
          if (existing.role !== 'admin') changes.role = 'admin';
          if (Object.keys(changes).length > 0) await AdminUserModel.updateOne({ _id: existing._id }, { $set: changes });
          if (!same) {
            const cutoff = await this.revokeUserTokens(existing._id);
            this.logger.info('Admin password updated from ADMIN_PASSWORD; earlier tokens revoked', {
              userId: existing._id,
            });
            // Revocation compares whole seconds (iat <= cutoff), so a token issued in the cutoff second
            // would be refused too: this replica starts serving logins only from the next second on.
            // (Another replica may issue such a token in that same second; its owner logs in again.)
            const wait = (cutoff + 1) * 1000 - Date.now();
            if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
          }
          return;
        }
        try {
          await AdminUserModel.create({
            _id: await nextId('admin_user'),
            username,
            username_lower: usernameLower,
            password: await hashPassword(password),
            role: 'admin',
            created_at: new Date(),
          });
          this.logger.info('Admin user created from ADMIN_USERNAME', { username });
          return;
        } catch (err) {
          // Another replica created it between our read and insert: read again and compare.
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
    },

    /** Emits an audit fact; a failed emit is logged, never turned into the caller's error. */
    announce(this: AuthThis, ctx: Context, event: string, payload: Record<string, unknown>) {
      ctx
        .emit(event, payload)
        .catch((err: unknown) => this.logger.warn('Could not emit event', { event, message: (err as Error).message }));
    },

    async reserveLoginAttempt(this: AuthThis, username: string, ip: string | null) {
      const keys = loginKeys(username, ip);
      const limits = [LOGIN_THROTTLE.maxFailuresPerUsername, LOGIN_THROTTLE.maxFailuresPerIp].slice(0, keys.length);
      let waitMs: number;
      try {
        waitMs = Number(
          await this.redis.eval(RESERVE_SCRIPT, keys.length, ...keys, ...limits, LOGIN_THROTTLE.windowSeconds * 1000),
        );
      } catch {
        throw new ServiceUnavailableError();
      }
      if (waitMs > 0) throw new RateLimitError(Math.max(1, Math.ceil(waitMs / 1000)));
    },

    async releaseLoginAttempt(this: AuthThis, username: string, ip: string | null) {
      const keys = loginKeys(username, ip);
      // Best effort: a lost release only leaves one phantom failure, which expires with its window.
      await this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys).catch(() => undefined);
    },

    async revokeUserTokens(this: AuthThis, userId: number) {
      // Lives as long as the longest token can (30 days is ADMIN_TOKEN_TTL_SECONDS's upper bound, so a
      // token issued before the TTL was lowered is covered too); after that every token it refers to
      // has expired anyway.
      const ttl = Math.max(config().admin.tokenTtlSeconds, MAX_TOKEN_TTL_SECONDS) + 60;
      try {
        const cutoff = nowSeconds();
        await this.redis.set(revokedUserKey(userId), String(cutoff), 'EX', ttl);
        return cutoff;
      } catch {
        throw new ServiceUnavailableError();
      }
    },

    async withUserLock<T>(this: AuthThis, work: () => Promise<T>): Promise<T> {
      const token = newTokenId();
      const deadline = Date.now() + 3000;
      for (;;) {
        let acquired: string | null;
        try {
          acquired = await this.redis.set(USER_LOCK_KEY, token, 'PX', 10_000, 'NX');
        } catch {
          throw new ServiceUnavailableError();
        }
        if (acquired === 'OK') break;
        if (Date.now() > deadline)
          throw new ServiceUnavailableError('Another change of admin users is in progress, retry');
        await new Promise(resolve => setTimeout(resolve, 25));
      }
      try {
        return await work();
      } finally {
        await this.redis.eval(UNLOCK_SCRIPT, 1, USER_LOCK_KEY, token).catch(() => undefined);
      }
    },

    /**
     * Regeneration answers only once every remote gateway has received `apikey.rotated`. The event is
     * fire-and-forget; a ping sent after it on the same NATS connection reaches each gateway after
     * it, and a gateway reads its packets in order and drops the old digest as the first step of
     * its handler, so a pong means the old key is refused there. Without this the answer could
     * overtake the event on a busy node. A gateway that stays silent for a second is down or cut
     * off; its periodic reload (30 s) catches up.
     */
    async waitForGateways(this: AuthThis) {
      const gateways = (
        this.broker.registry.getServiceList({ onlyAvailable: true }) as Array<{ name: string; nodeID: string }>
      )
        .filter(s => s.name === 'api' && s.nodeID !== this.broker.nodeID)
        .map(s => s.nodeID);
      if (gateways.length === 0) return;
      const pongs = (await this.broker.ping([...new Set(gateways)], 1000)) as unknown as Record<string, unknown>;
      const silent = Object.entries(pongs)
        .filter(([, pong]) => !pong)
        .map(([nodeID]) => nodeID);
      if (silent.length > 0) this.logger.warn('Gateways did not confirm the API key rotation', { nodes: silent });
    },
  },

  started(this: AuthThis) {
    this.redis = acquireRedis();
    return Promise.all([this.seedApiKey(), this.seedAdmin()]).then(() => undefined);
  },

  async stopped(this: AuthThis) {
    await releaseRedis();
  },
};

export default AuthService as unknown as ServiceSchema;
