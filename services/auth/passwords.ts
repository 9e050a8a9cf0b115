/**
 * Admin passwords: scrypt from node:crypto, run asynchronously on libuv's thread pool so a login never
 * blocks the event loop. Each hash stores its own salt and cost parameters, so the cost can be raised
 * later without invalidating existing hashes (needsRehash says when a stored hash is below the current
 * parameters).
 *
 * N = 2^15, r = 8 costs 32 MiB and about 65 ms per hash on the development machines: slow enough to
 * make offline guessing expensive, cheap enough for four concurrent logins per thread pool.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHash } from '../../models/admin-user.model.ts';

export const SCRYPT_PARAMS = { n: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Stored parameters come from the database; bound them so a corrupted document cannot make one login
// allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // NFC: the same password typed on two systems may arrive composed or decomposed.
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const { n, r, p } = SCRYPT_PARAMS;
  const key = await derive(password, salt, n, r, p, KEY_BYTES);
  return { alg: 'scrypt', n, r, p, salt: salt.toString('base64'), hash: key.toString('base64') };
}

function usable(stored: PasswordHash | undefined | null): stored is PasswordHash {
  if (!stored || stored.alg !== 'scrypt') return false;
  const { n, r, p } = stored;
  return (
    Number.isSafeInteger(n) &&
    n > 1 &&
    n <= MAX_N &&
    (n & (n - 1)) === 0 &&
    Number.isSafeInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isSafeInteger(p) &&
    p >= 1 &&
    p <= MAX_P &&
    typeof stored.salt === 'string' &&
    typeof stored.hash === 'string'
  );
}

export async function verifyPassword(password: string, stored: PasswordHash | undefined | null): Promise<boolean> {
  if (!usable(stored)) {
    await burnPasswordCheck(password);
    return false;
  }
  const expected = Buffer.from(stored.hash, 'base64');
  if (expected.length === 0) return false;
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored.n, stored.r, stored.p, expected.length);
  return timingSafeEqual(key, expected);
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

/**
 * The same scrypt work as a real check, for a login whose username does not exist: without it the
 * answer time would tell an attacker which usernames are real.
 */
export async function burnPasswordCheck(password: string): Promise<false> {
  const { n, r, p } = SCRYPT_PARAMS;
  await derive(password, DUMMY_SALT, n, r, p, KEY_BYTES);
  return false;
}

/** True when a stored hash was made with weaker parameters than the current ones. */
export function needsRehash(stored: PasswordHash): boolean {
  return stored.n < SCRYPT_PARAMS.n || stored.r < SCRYPT_PARAMS.r || stored.p < SCRYPT_PARAMS.p;
}
