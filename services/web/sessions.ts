/**
 * Page sessions, kept in Redis so every replica sees a login and a logout at once. The browser holds a
 * random 256-bit id in an HttpOnly, SameSite=Lax cookie (Secure and `__Host-` in production); Redis
 * holds, under the id's SHA-256 (a copy of Redis gives no usable cookie), the user, their role, the
 * session's CSRF token, when it began and when it must end.
 *
 * A session slides: each request pushes its end WEB_SESSION_IDLE_SECONDS ahead, but never past
 * WEB_SESSION_MAX_SECONDS after login. Logout deletes the key. A user deleted or whose tokens were
 * revoked (auth writes `revoked-user:<id>`, lib/security/admin-tokens.ts) loses every session begun
 * at or before that moment, exactly as their bearer tokens are refused (services/api/admin-auth.ts).
 *
 * The gateway resolves the cookie (services/api/request-pipeline.ts) into the same principal the
 * admin API uses; the web service creates and deletes sessions (services/web/auth.actions.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../../lib/core/errors.ts';
import { revokedUserKey, type AdminPrincipal } from '../../lib/security/admin-tokens.ts';
import { ADMIN_ROLES, type AdminRole } from '../../models/admin-user.model.ts';

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface SessionCookieNames {
  session: string;
  loginCsrf: string;
}

/** `__Host-` cookies must be Secure, so the prefix is used only where cookies are Secure. */
export function cookieNames(secure: boolean): SessionCookieNames {
  return secure
    ? { session: '__Host-ls_session', loginCsrf: '__Host-ls_login' }
    : { session: 'ls_session', loginCsrf: 'ls_login' };
}

interface StoredSession {
  uid: number;
  name: string;
  role: AdminRole;
  csrf: string;
  /** Unix seconds: login. */
  iat: number;
  /** Unix seconds: the latest end. */
  max: number;
}

/** A resolved session, as the gateway puts it in ctx.meta (never the cookie's id itself). */
export interface PageSession {
  /** The Redis key's hash part: enough to delete the session, useless as a cookie. */
  key: string;
  csrf: string;
  principal: AdminPrincipal;
}

export function isSessionId(value: string | undefined): value is string {
  return value !== undefined && SESSION_ID.test(value);
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function sessionKey(hash: string): string {
  return `web-session:${hash}`;
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** Compares two secrets in constant time (their digests, so lengths do not leak either). */
export function secretsEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 256) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** One cookie's value from a Cookie header (the first of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie; undefined: until the browser closes. */
  maxAge?: number;
  path?: string;
  sameSite?: 'Lax' | 'Strict';
}

export function setCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [
    `${name}=${value}`,
    `Path=${options.path ?? '/'}`,
    'HttpOnly',
    `SameSite=${options.sameSite ?? 'Lax'}`,
  ];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export class SessionStore {
  private readonly redis: Redis;
  private readonly idleSeconds: number;
  private readonly maxSeconds: number;

  constructor(redis: Redis, idleSeconds: number, maxSeconds: number) {
    this.redis = redis;
    this.idleSeconds = idleSeconds;
    this.maxSeconds = maxSeconds;
  }

  /** A new session for a user who just logged in: the cookie's id and the session's CSRF token. */
  async create(user: { id: number; username: string; role: AdminRole }): Promise<{ id: string; csrf: string }> {
    const id = newSecret();
    const csrf = newSecret();
    const iat = Math.floor(Date.now() / 1000);
    const stored: StoredSession = {
      uid: user.id,
      name: user.username,
      role: user.role,
      csrf,
      iat,
      max: iat + this.maxSeconds,
    };
    try {
      await this.redis.set(
        sessionKey(hashOf(id)),
        JSON.stringify(stored),
        'EX',
        Math.min(this.idleSeconds, this.maxSeconds),
      );
    } catch {
      throw new ServiceUnavailableError();
    }
    return { id, csrf };
  }

  /**
   * The session a cookie names, its end pushed ahead; null when there is none, it ended, or its user
   * was revoked. Redis unreachable: 503, never a page served without a checked session.
   */
  async resolve(cookieId: string | undefined): Promise<PageSession | null> {
    if (!isSessionId(cookieId)) return null;
    const hash = hashOf(cookieId);
    const key = sessionKey(hash);
    try {
      const raw = await this.redis.getex(key, 'EX', this.idleSeconds);
      if (raw === null) return null;
      const s = parseStored(raw);
      const now = Math.floor(Date.now() / 1000);
      if (!s || now >= s.max) {
        await this.redis.del(key);
        return null;
      }
      const pipeline = this.redis.pipeline().get(revokedUserKey(s.uid));
      // The last idle period is cut at the absolute end.
      if (s.max - now < this.idleSeconds) pipeline.expireat(key, s.max);
      const [[, revokedBefore]] = (await pipeline.exec()) as Array<[Error | null, unknown]> as [
        [Error | null, string | null],
      ];
      if (revokedBefore != null && s.iat <= Number(revokedBefore)) {
        await this.redis.del(key);
        return null;
      }
      return {
        key: hash,
        csrf: s.csrf,
        principal: {
          kind: 'admin',
          userId: s.uid,
          username: s.name,
          role: s.role,
          tokenId: `session:${hash.slice(0, 16)}`,
          expiresAt: s.max,
        },
      };
    } catch {
      throw new ServiceUnavailableError();
    }
  }

  /** Logout: the session ends on every replica at once. */
  async destroy(hash: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return;
    try {
      await this.redis.del(sessionKey(hash));
    } catch {
      throw new ServiceUnavailableError();
    }
  }
}

function parseStored(raw: string): StoredSession | null {
  try {
    const s = JSON.parse(raw) as Partial<StoredSession>;
    const ok =
      Number.isSafeInteger(s.uid) &&
      typeof s.name === 'string' &&
      (ADMIN_ROLES as readonly unknown[]).includes(s.role) &&
      typeof s.csrf === 'string' &&
      Number.isSafeInteger(s.iat) &&
      Number.isSafeInteger(s.max);
    return ok ? (s as StoredSession) : null;
  } catch {
    return null;
  }
}
