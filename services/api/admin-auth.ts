/**
 * Admin authentication at the gateway: `Authorization: Bearer <JWT>` from POST /api/admin/login.
 *
 * A token is accepted when it is an HS256 JWT signed with JWT_SECRET (lib/jwt.ts), not expired, of type
 * `admin` (the analytics token of GET /api/admin/license/auth-token is signed with the same secret and is
 * refused here by its type and scope), and not revoked. The role comes from the signed token; a viewer
 * on an `admin` route gets 403.
 *
 * Revocation lives in Redis, shared by every replica, and is checked with ONE round trip per admin
 * request (an MGET of two keys). Admin traffic is low (1000/min per token at most), so this is cheaper
 * than any alternative that stays correct across replicas:
 *   - `revoked:<jti>`: one token, written by logout with a TTL until that token's expiry;
 *   - `revoked-user:<id>`: a Unix time; every token of that user issued at or before it is refused.
 *     Written when a user is deleted or its password is reset, with a TTL of the longest token life.
 * Roles are never changed in place (a user is deleted and created again), so a token's role cannot go
 * stale; a future "change role" action must write `revoked-user:<id>` as deletion does. This avoids a
 * per-request user lookup (a broker call plus a database read) that a stored token_version would need.
 * If Redis is unreachable the answer is 503: an unverifiable revocation never lets a token through.
 */
import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import { config } from '../../config/index.ts';
import { ADMIN_ROLES, type AdminRole } from '../../models/admin-user.model.ts';
import {
  TOKEN_TYPES,
  revokedTokenKey,
  revokedUserKey,
  type AdminPrincipal,
  type AdminTokenClaims,
} from '../../lib/security/admin-tokens.ts';
import { ForbiddenError, ServiceUnavailableError, UnauthorizedError } from '../../lib/core/errors.ts';
import { JwtError, MAX_TOKEN_LENGTH, verifyJwt, type JwtClaims } from '../../lib/security/jwt.ts';

export interface AdminAuthDeps {
  broker: ServiceBroker;
  redis: Redis;
}

const BEARER = /^Bearer +(\S+)$/i;
const JTI = /^[A-Za-z0-9_-]{16,64}$/;
const INVALID_MESSAGE = 'Missing or invalid bearer token';

function isAdminClaims(claims: JwtClaims): claims is AdminTokenClaims {
  return (
    claims.typ === TOKEN_TYPES.admin &&
    !('scope' in claims) &&
    typeof claims.sub === 'string' &&
    /^[1-9]\d{0,15}$/.test(claims.sub) &&
    typeof claims.name === 'string' &&
    (ADMIN_ROLES as readonly unknown[]).includes(claims.role) &&
    typeof claims.jti === 'string' &&
    JTI.test(claims.jti)
  );
}

export async function authenticateAdmin(
  deps: AdminAuthDeps,
  authorization: string | undefined,
  required: AdminRole,
): Promise<AdminPrincipal> {
  const match =
    typeof authorization === 'string' && authorization.length <= MAX_TOKEN_LENGTH + 16
      ? BEARER.exec(authorization)
      : null;
  if (!match) throw new UnauthorizedError(INVALID_MESSAGE);

  let claims: JwtClaims;
  try {
    claims = await verifyJwt(match[1]!, config().jwtSecret);
  } catch (err) {
    if (err instanceof JwtError && err.reason === 'expired')
      throw new UnauthorizedError('The token has expired', 'TOKEN_EXPIRED');
    throw new UnauthorizedError(INVALID_MESSAGE);
  }
  if (!isAdminClaims(claims)) throw new UnauthorizedError(INVALID_MESSAGE);
  const userId = Number(claims.sub);

  let revocations: Array<string | null>;
  try {
    revocations = await deps.redis.mget(revokedTokenKey(claims.jti), revokedUserKey(userId));
  } catch {
    throw new ServiceUnavailableError();
  }
  const [revokedToken, revokedBefore] = revocations;
  if (revokedToken != null || (revokedBefore != null && claims.iat <= Number(revokedBefore))) {
    throw new UnauthorizedError('The token has been revoked', 'TOKEN_REVOKED');
  }

  if (required === 'admin' && claims.role !== 'admin') {
    throw new ForbiddenError('This action needs the admin role');
  }
  return {
    kind: 'admin',
    userId,
    username: claims.name,
    role: claims.role,
    tokenId: claims.jti,
    expiresAt: claims.exp,
  };
}
