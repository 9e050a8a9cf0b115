/**
 * Admin authentication at the gateway: `Authorization: Bearer <JWT>` from POST /api/admin/login.
 * (Implemented with the admin API; until then every admin route answers 401.)
 */
import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import { UnauthorizedError } from './errors.ts';

export const ADMIN_ROLES = ['admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminPrincipal {
  kind: 'admin';
  userId: number;
  username: string;
  role: AdminRole;
  /** Token id (jti), for logout. */
  tokenId: string;
  expiresAt: number;
}

export interface AdminAuthDeps {
  broker: ServiceBroker;
  redis: Redis;
}

export function authenticateAdmin(
  _deps: AdminAuthDeps,
  _authorization: string | undefined,
  _required: AdminRole,
): Promise<AdminPrincipal> {
  return Promise.reject(new UnauthorizedError('Missing or invalid bearer token'));
}
