/**
 * The gateway's rate limits and the headers every limited answer carries. The public limit counts per
 * client IP (IPv6: per /64); admin and page requests count twice: per client IP before authentication
 * (random tokens or cookies cannot open fresh buckets), and per verified token id or page session after
 * it (one user cannot use up an office's shared address).
 */
import type { ServerResponse } from 'node:http';
import { RateLimitError } from '../../lib/core/errors.ts';
import { headerInt } from '../../lib/core/values.ts';
import type { LimitDecision } from '../../lib/infra/rate-limiter.ts';

/** The three X-RateLimit-* headers of a decision (as text: lib/core/values.ts `headerInt`). */
export function setLimitHeaders(
  res: ServerResponse,
  decision: Pick<LimitDecision, 'limit' | 'remaining' | 'resetSeconds'>,
): void {
  res.setHeader('X-RateLimit-Limit', headerInt(decision.limit));
  res.setHeader('X-RateLimit-Remaining', headerInt(decision.remaining));
  res.setHeader('X-RateLimit-Reset', headerInt(decision.resetSeconds));
}

export function applyLimit(res: ServerResponse, decision: LimitDecision): void {
  setLimitHeaders(res, decision);
  if (!decision.allowed) throw new RateLimitError(decision.resetSeconds);
}

/** The admin limiter's key of a verified admin token (its jti: random, not a credential by itself). */
export function tokenLimitKey(tokenId: string): string {
  return `t:${tokenId}`;
}

/** The admin limiter's key of a resolved page session (the hash of its cookie, never the cookie). */
export function sessionLimitKey(sessionKey: string): string {
  return `s:${sessionKey}`;
}
