/**
 * What the auth service (which issues admin tokens) and the gateway (which checks them) agree on: the
 * token types, the claims of an admin token, the principal a checked token becomes, and the Redis keys
 * of revocations (services/api/admin-auth.ts explains the revocation scheme).
 */
import type { AdminRole } from '../../models/admin-user.model.ts';
import type { JwtClaims } from './jwt.ts';

/** The `typ` claim of the two kinds of token signed with JWT_SECRET. */
export const TOKEN_TYPES = { admin: 'admin', analytics: 'analytics' } as const;

export interface AdminPrincipal {
  kind: 'admin';
  userId: number;
  username: string;
  role: AdminRole;
  /** Token id (jti), for logout. */
  tokenId: string;
  /** The token's exp, in Unix seconds. */
  expiresAt: number;
}

/** Claims of an admin token, as issued by auth.login. */
export interface AdminTokenClaims extends JwtClaims {
  typ: typeof TOKEN_TYPES.admin;
  sub: string;
  name: string;
  role: AdminRole;
  jti: string;
}

export function revokedTokenKey(tokenId: string): string {
  return `revoked:${tokenId}`;
}

export function revokedUserKey(userId: number): string {
  return `revoked-user:${userId}`;
}
