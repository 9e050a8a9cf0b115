/**
 * Who is calling, in a form a service can check by itself. ctx.meta travels with every call over the
 * broker, and anything that can publish on NATS can write any meta it likes; a principal the gateway
 * merely copied into ctx.meta would let such a client call auth.createUser "as an admin". So the
 * gateway seals the principal it has checked (a token or a page session) with an HMAC under a key
 * derived from JWT_SECRET, and the sensitive actions (users, API keys, webhook secrets) accept only a
 * sealed, unexpired principal of the required role (`requireCaller`). A forged or copied-and-altered
 * principal fails the seal; code that only knows the broker has no JWT_SECRET.
 *
 * A sealed principal lives as long as the token or session it came from (its expiresAt); revocation
 * is checked by the gateway on every request, before sealing. Internal callers that legitimately do
 * what these actions do (seeding the first admin and the API key) call functions, not the actions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { config } from '../../config/index.ts';
import { ForbiddenError } from '../core/errors.ts';
import { ADMIN_ROLES, type AdminRole } from '../../models/admin-user.model.ts';
import type { AdminPrincipal } from './admin-tokens.ts';

export interface SealedPrincipal extends AdminPrincipal {
  /** HMAC-SHA256 of the other fields (base64url). */
  seal: string;
}

let derived: { secret: string; key: Buffer } | null = null;

/** A key of its own, derived from JWT_SECRET: a seal is never a usable token signature. */
function sealKey(): Buffer {
  const secret = config().jwtSecret;
  if (derived?.secret !== secret) {
    derived = { secret, key: createHmac('sha256', secret).update('license-server/principal-seal/v1').digest() };
  }
  return derived.key;
}

function sealOf(p: AdminPrincipal): Buffer {
  // JSON of a fixed field list: unambiguous whatever a username contains.
  const material = JSON.stringify([p.kind, p.userId, p.username, p.role, p.tokenId, p.expiresAt]);
  return createHmac('sha256', sealKey()).update(material).digest();
}

export function sealPrincipal(principal: AdminPrincipal): SealedPrincipal {
  const { kind, userId, username, role, tokenId, expiresAt } = principal;
  const bare: AdminPrincipal = { kind, userId, username, role, tokenId, expiresAt };
  return { ...bare, seal: sealOf(bare).toString('base64url') };
}

function isPrincipalShape(p: unknown): p is SealedPrincipal {
  if (typeof p !== 'object' || p === null) return false;
  const o = p as Record<string, unknown>;
  return (
    o.kind === 'admin' &&
    Number.isSafeInteger(o.userId) &&
    typeof o.username === 'string' &&
    (ADMIN_ROLES as readonly unknown[]).includes(o.role) &&
    typeof o.tokenId === 'string' &&
    Number.isSafeInteger(o.expiresAt) &&
    typeof o.seal === 'string' &&
    o.seal.length === 43
  );
}

/** The principal in ctx.meta when the gateway sealed it and it has not expired; null otherwise. */
export function verifiedPrincipal(
  principal: unknown,
  nowSeconds = Math.floor(Date.now() / 1000),
): AdminPrincipal | null {
  if (!isPrincipalShape(principal) || principal.expiresAt <= nowSeconds) return null;
  const given = Buffer.from(principal.seal, 'base64url');
  const expected = sealOf(principal);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const { kind, userId, username, role, tokenId, expiresAt } = principal;
  return { kind, userId, username, role, tokenId, expiresAt };
}

/**
 * The checked caller of a sensitive action, or FORBIDDEN: no principal, a forged or expired one, or a
 * viewer where the admin role is needed.
 */
export function requireCaller(meta: { principal?: unknown }, role: AdminRole = 'admin'): AdminPrincipal {
  const principal = verifiedPrincipal(meta.principal);
  if (!principal) throw new ForbiddenError('This action needs a signed-in admin user');
  if (role === 'admin' && principal.role !== 'admin') throw new ForbiddenError('This action needs the admin role');
  return principal;
}
