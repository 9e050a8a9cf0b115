/**
 * System API keys: `AF-YYYY-` + 32 characters from a CSPRNG. Only a SHA-256 digest is stored (the key
 * itself has 190 bits of entropy, so a slow hash would add cost and no safety), and a presented key is
 * compared digest to digest in constant time.
 */
import { hash, randomInt, timingSafeEqual } from 'node:crypto';

export const API_KEY_PATTERN = /^AF-\d{4}-[A-Za-z0-9]{32}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateApiKey(now = new Date()): string {
  let random = '';
  for (let i = 0; i < 32; i += 1) random += ALPHABET[randomInt(ALPHABET.length)];
  return `AF-${now.getUTCFullYear()}-${random}`;
}

export function hashApiKey(key: string): Buffer {
  // One-shot hash: no Hash object per request (this runs on every client API call).
  return hash('sha256', key, 'buffer');
}

/** The part of a key that may be shown and logged: enough to recognise it, useless to use it. */
export function apiKeyPrefix(key: string): string {
  return key.length > 12 ? `${key.slice(0, 12)}...` : `${key.slice(0, 4)}...`;
}

export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
