/**
 * Endpoint secrets in the Standard Webhooks form (`whsec_` + base64 of 24 to 64 random bytes), their
 * encryption at rest (AES-256-GCM under a key derived from WEBHOOK_SECRET_KEY: a database dump alone
 * does not reveal them) and the signature of a delivery:
 * `v1,<base64 HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>")>`.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
const MIN_BYTES = 24;
const MAX_BYTES = 64;
const GENERATED_BYTES = 32;

/** A fresh secret: 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + randomBytes(GENERATED_BYTES).toString('base64');
}

/** The secret's key bytes, or null when it is not `whsec_` + canonical base64 of 24-64 bytes. */
export function secretBytes(secret: string): Buffer | null {
  if (!secret.startsWith(PREFIX)) return null;
  const encoded = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return null;
  const bytes = Buffer.from(encoded, 'base64');
  // Canonical only: a re-encoding that differs means stray bits Buffer silently dropped.
  if (bytes.toString('base64') !== encoded) return null;
  return bytes.length >= MIN_BYTES && bytes.length <= MAX_BYTES ? bytes : null;
}

export function isValidSecret(secret: string): boolean {
  return secretBytes(secret) !== null;
}

/** One `v1,<signature>` entry; several are joined by a space in the header. */
export function sign(secret: string, webhookId: string, timestamp: number, body: string): string {
  const key = secretBytes(secret);
  if (!key) throw new Error('Cannot sign with a malformed secret');
  const mac = createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Encrypts and decrypts stored secrets with the deployment's WEBHOOK_SECRET_KEY. */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = createHash('sha256').update(`webhook-secrets:${secretKey}`).digest();
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, each base64. */
  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map(p => (typeof p === 'string' ? p : p.toString('base64'))).join('.');
  }

  /** The clear secret; throws when the value was not sealed with this key (a changed WEBHOOK_SECRET_KEY). */
  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || !data) throw new Error('Unknown sealed secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
