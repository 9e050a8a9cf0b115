/**
 * Who is calling, as the gateway describes it in ctx.meta: the checked principal and the client's IP.
 * The auth actions read both (audit facts, throttling, "never yourself"); internal callers have neither.
 */
import type { AdminPrincipal } from '../../lib/security/admin-tokens.ts';

export interface AuthMeta {
  principal?: AdminPrincipal | { kind: string };
  ip?: unknown;
  $statusCode?: number;
  $location?: string;
}

export function clientIp(meta: AuthMeta): string | null {
  // Set by the gateway from the socket (or X-Forwarded-For behind a trusted proxy); absent for
  // internal callers, which are then throttled per username only.
  return typeof meta.ip === 'string' && meta.ip.length > 0 && meta.ip.length <= 64 ? meta.ip : null;
}

export function adminPrincipal(meta: AuthMeta): AdminPrincipal | null {
  const p = meta.principal;
  return p && p.kind === 'admin' ? (p as AdminPrincipal) : null;
}
