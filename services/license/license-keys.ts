/**
 * License keys: XXXX-XXXX-XXXX-XXXX from a CSPRNG, over an alphabet without look-alike characters
 * (no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, U/V), so a key read aloud or retyped from paper survives.
 * 21 symbols ^ 16 positions ~ 2^70 keys: guessing one is hopeless, and uniqueness is still enforced by
 * the unique index (a collision is retried by the caller).
 */
import { randomInt } from 'node:crypto';
import { config, TEST_CREDENTIALS } from '../../config/index.ts';

export const LICENSE_KEY_ALPHABET = 'ACEFGHJKMNPRTWXY34679';

export function generateLicenseKey(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g += 1) {
    let group = '';
    for (let i = 0; i < 4; i += 1) group += LICENSE_KEY_ALPHABET[randomInt(LICENSE_KEY_ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/**
 * The reference's test key never opens anything in production, whatever the database holds (data
 * copied from a development system, or an admin who typed it in): it is answered as no license at all.
 */
export function isRefusedKey(key: string): boolean {
  return key === TEST_CREDENTIALS.licenseKey && config().isProduction;
}
