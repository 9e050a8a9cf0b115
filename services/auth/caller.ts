/**
 * Who is calling, as the gateway describes it in ctx.meta: the sealed principal (checked with
 * requireCaller, lib/security/principal-proof.ts) and the client's IP (throttling, audit facts);
 * internal callers have neither.
 */
import type { AdminPrincipal } from '../../lib/security/admin-tokens.ts';

export interface AuthMeta {
  principal?: AdminPrincipal | { kind: string };
  ip?: unknown;
  $statusCode?: number;
  $location?: string;
  $responseHeaders?: Record<string, string>;
}

export function clientIp(meta: AuthMeta): string | null {
  // Set by the gateway from the socket (or X-Forwarded-For behind a trusted proxy); absent for
  // internal callers, which are then throttled per username only.
  return typeof meta.ip === 'string' && meta.ip.length > 0 && meta.ip.length <= 64 ? meta.ip : null;
}
