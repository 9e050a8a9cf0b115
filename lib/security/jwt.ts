/**
 * HS256 JSON Web Tokens, only what this server needs: compact serialization, one algorithm, HMAC-SHA256
 * with the JWT secret. Written on node:crypto instead of a library so that the accepted set is exactly
 * this one algorithm: any other `alg` (including `none` and `HS512`) is refused before any signature
 * work, which closes algorithm confusion by construction.
 *
 * verifyJwt checks, in this order: shape, header (alg HS256, typ JWT if present), signature (constant
 * time), then the time claims (exp required and in the future, iat required and not in the future).
 * Claims are only looked at after the signature holds, so nothing is learned from a forged token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown> & { iat: number; exp: number };

export const JWT_FAILURES = ['malformed', 'algorithm', 'signature', 'expired', 'claims'] as const;
export type JwtFailure = (typeof JWT_FAILURES)[number];

/** Why a token was refused; the callers decide which HTTP answer that becomes. */
export class JwtError extends Error {
  readonly reason: JwtFailure;
  constructor(reason: JwtFailure, message: string) {
    super(message);
    this.name = 'JwtError';
    this.reason = reason;
  }
}

/** Far above any token this server issues; bounds the work spent on a hostile header. */
export const MAX_TOKEN_LENGTH = 4096;
/** Tolerated clock difference between the replicas that sign and those that verify. */
const CLOCK_SKEW_SECONDS = 30;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const HEADER = { alg: 'HS256', typ: 'JWT' } as const;

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hmac(secret: string, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput, 'utf8').digest();
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Signs `claims` (which must carry iat and exp, in Unix seconds). The secret must not be empty: an
 * empty HMAC key would make every token forgeable.
 */
export function signJwt(claims: JwtClaims, secret: string): string {
  if (!secret) throw new TypeError('signJwt needs a non-empty secret');
  const signingInput = `${encode(HEADER)}.${encode(claims)}`;
  return `${signingInput}.${hmac(secret, signingInput).toString('base64url')}`;
}

/** The verified claims of `token`, or a JwtError saying why it was refused. */
export function verifyJwt(token: string, secret: string, now = nowSeconds()): JwtClaims {
  if (!secret) throw new TypeError('verifyJwt needs a non-empty secret');
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new JwtError('malformed', 'Token is empty or too long');
  }
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every(p => SEGMENT.test(p))) {
    throw new JwtError('malformed', 'Token is not a compact JWT');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJson(headerPart);
  if (!isObject(header)) throw new JwtError('malformed', 'Token header is not a JSON object');
  if (header.alg !== 'HS256') throw new JwtError('algorithm', 'Token algorithm is not HS256');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new JwtError('malformed', 'Token type is not JWT');
  // A header that asks for another key or an embedded key is not one this server wrote.
  if ('crit' in header || 'jwk' in header || 'jku' in header || 'kid' in header) {
    throw new JwtError('malformed', 'Token header has unsupported parameters');
  }

  // Compared as canonical base64url text, not as decoded bytes: base64 decoding ignores the unused
  // low bits of the last character, so byte comparison would accept several spellings of one token.
  const expected = Buffer.from(hmac(secret, `${headerPart}.${payloadPart}`).toString('base64url'), 'utf8');
  const presented = Buffer.from(signaturePart, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new JwtError('signature', 'Token signature is invalid');
  }

  const claims = decodeJson(payloadPart);
  if (!isObject(claims)) throw new JwtError('malformed', 'Token payload is not a JSON object');
  const { exp, iat } = claims;
  if (!Number.isSafeInteger(exp) || !Number.isSafeInteger(iat)) {
    throw new JwtError('claims', 'Token lacks integer exp and iat claims');
  }
  if ((iat as number) > now + CLOCK_SKEW_SECONDS || (exp as number) <= (iat as number)) {
    throw new JwtError('claims', 'Token times are inconsistent');
  }
  if ((exp as number) <= now) throw new JwtError('expired', 'Token has expired');
  return claims as JwtClaims;
}

/** The claims of a token WITHOUT any check: for tests and diagnostics, never for a decision. */
export function decodeJwtUnverified(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  const claims = decodeJson(payload);
  return isObject(claims) ? claims : undefined;
}
