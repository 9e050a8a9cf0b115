/**
 * HS256 JSON Web Tokens on `jose` (maintained and audited), pinned to exactly one algorithm: any other
 * `alg`, `none` included, is refused by jose before any signature work, which closes algorithm
 * confusion. Around jose, the rules this server adds:
 *  - the token is bounded in size and must be a compact JWS whose signature segment is the canonical
 *    base64url of its bytes (base64 decoding ignores the unused low bits of the last character, so
 *    several spellings would otherwise verify as one token);
 *  - a header that names a key (`kid`, `jku`, `jwk`, `x5u`, `x5c`) or critical extensions, or whose
 *    `typ` is not JWT, is not one this server wrote and is refused;
 *  - `exp` and `iat` are required integers, `iat` not in the future (30 s skew) and before `exp`.
 * Claims are only read after the signature holds, so nothing is learned from a forged token.
 */
import { SignJWT, decodeProtectedHeader, errors, jwtVerify } from 'jose';

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
const ALGORITHM = 'HS256';
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const KEY_HEADERS = ['kid', 'jku', 'jwk', 'x5u', 'x5c', 'crit'] as const;

const keys = new Map<string, Uint8Array>();

function keyOf(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = new TextEncoder().encode(secret);
    // Normally one secret per process; the bound only guards against a caller that varies it.
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Signs `claims` (which must carry iat and exp, in Unix seconds). The secret must not be empty: an
 * empty HMAC key would make every token forgeable.
 */
export async function signJwt(claims: JwtClaims, secret: string): Promise<string> {
  if (!secret) throw new TypeError('signJwt needs a non-empty secret');
  return new SignJWT(claims).setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' }).sign(keyOf(secret));
}

/** Refusals that need no key: size, shape, canonical signature encoding, header parameters. */
function checkShape(token: string): void {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new JwtError('malformed', 'Token is empty or too long');
  }
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every(p => SEGMENT.test(p))) {
    throw new JwtError('malformed', 'Token is not a compact JWT');
  }
  const signature = parts[2]!;
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
    throw new JwtError('signature', 'Token signature is not canonically encoded');
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new JwtError('malformed', 'Token header is not a JSON object');
  }
  if (header.alg !== ALGORITHM) throw new JwtError('algorithm', 'Token algorithm is not HS256');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new JwtError('malformed', 'Token type is not JWT');
  if (KEY_HEADERS.some(name => name in header)) {
    throw new JwtError('malformed', 'Token header has unsupported parameters');
  }
}

function failureOf(err: unknown): JwtError {
  if (err instanceof JwtError) return err;
  if (err instanceof errors.JWTExpired) return new JwtError('expired', 'Token has expired');
  if (err instanceof errors.JOSEAlgNotAllowed) return new JwtError('algorithm', 'Token algorithm is not HS256');
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new JwtError('signature', 'Token signature is invalid');
  if (err instanceof errors.JWTClaimValidationFailed) return new JwtError('claims', 'Token claims are invalid');
  return new JwtError('malformed', 'Token is malformed');
}

/** The verified claims of `token`, or a JwtError saying why it was refused. */
export async function verifyJwt(token: string, secret: string, now = nowSeconds()): Promise<JwtClaims> {
  if (!secret) throw new TypeError('verifyJwt needs a non-empty secret');
  let claims: unknown;
  try {
    checkShape(token);
    const verified = await jwtVerify(token, keyOf(secret), {
      algorithms: [ALGORITHM],
      currentDate: new Date(now * 1000),
      // Expiry is exact (a token is refused at its exp); the skew only applies to iat below.
      clockTolerance: 0,
    });
    claims = verified.payload;
  } catch (err) {
    // jose reports expiry before anything else about the claims; an expired token whose times are
    // inconsistent anyway is reported as such (its signature did hold: jose checks claims after it).
    if (!(err instanceof errors.JWTExpired)) throw failureOf(err);
    claims = err.payload;
  }
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
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return isObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}
