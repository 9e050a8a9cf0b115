/**
 * Issuing and revoking tokens. Both token kinds are HS256 JWTs signed with JWT_SECRET and told apart by
 * `typ`; revocations live in Redis under the keys the gateway checks (lib/security/admin-tokens.ts,
 * services/api/admin-auth.ts explains the scheme).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { config } from '../../config/index.ts';
import type { AdminUserDoc } from '../../models/admin-user.model.ts';
import {
  TOKEN_TYPES,
  revokedTokenKey,
  revokedUserKey,
  type AdminPrincipal,
  type AdminTokenClaims,
} from '../../lib/security/admin-tokens.ts';
import { nowSeconds, signJwt } from '../../lib/security/jwt.ts';
import { ServiceUnavailableError } from '../../lib/core/errors.ts';
import type { LoginAnswer, TokenAnswer } from './contract.ts';

const MAX_TOKEN_TTL_SECONDS = 30 * 86_400;

function newTokenId(): string {
  return randomBytes(16).toString('base64url');
}

export async function issueAdminToken(user: Pick<AdminUserDoc, '_id' | 'username' | 'role'>): Promise<LoginAnswer> {
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
    token: await signJwt(claims, config().jwtSecret),
    expires_at: new Date(exp * 1000).toISOString(),
    role: user.role,
  };
}

/** For the analytics front end only: its type and scope make the gateway refuse it on admin routes. */
export async function issueAnalyticsToken(principal: AdminPrincipal | null): Promise<TokenAnswer> {
  const iat = nowSeconds();
  const exp = iat + config().admin.analyticsTokenTtlSeconds;
  const token = await signJwt(
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
}

/** Logout: the presented token stops working on every replica until it would have expired anyway. */
export async function revokeToken(redis: Redis, principal: AdminPrincipal): Promise<void> {
  const ttl = principal.expiresAt - nowSeconds();
  if (ttl <= 0) return;
  try {
    await redis.set(revokedTokenKey(principal.tokenId), '1', 'EX', ttl);
  } catch {
    throw new ServiceUnavailableError();
  }
}

/** Refuses every token of the user issued up to now; returns that cutoff (Unix seconds). */
export async function revokeUserTokens(redis: Redis, userId: number): Promise<number> {
  // Lives as long as the longest token can (30 days is ADMIN_TOKEN_TTL_SECONDS's upper bound, so a
  // token issued before the TTL was lowered is covered too); after that every token it refers to
  // has expired anyway.
  const ttl = Math.max(config().admin.tokenTtlSeconds, MAX_TOKEN_TTL_SECONDS) + 60;
  try {
    const cutoff = nowSeconds();
    await redis.set(revokedUserKey(userId), String(cutoff), 'EX', ttl);
    return cutoff;
  } catch {
    throw new ServiceUnavailableError();
  }
}
