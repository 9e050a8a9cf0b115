// Webhook secrets (services/webhook/secrets.ts): the Standard Webhooks format, encryption at rest and
// signatures that the `standardwebhooks` library accepts.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { SecretBox, generateSecret, isValidSecret, secretBytes, sign } from '../../services/webhook/secrets.ts';

const b64 = (n: number) => randomBytes(n).toString('base64');

describe('webhook secrets', function () {
  describe('format', function () {
    it('generates whsec_ + base64 of 32 random bytes, different each time', function () {
      const a = generateSecret();
      expect(a).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(secretBytes(a)).to.have.lengthOf(32);
      expect(generateSecret()).to.not.equal(a);
    });

    it('accepts 24 to 64 bytes', function () {
      for (const n of [24, 32, 48, 64]) expect(isValidSecret(`whsec_${b64(n)}`), String(n)).to.equal(true);
    });

    const bad: Array<[string, string]> = [
      [b64(32), 'no whsec_ prefix'],
      [`whsec_${b64(23)}`, '23 bytes'],
      [`whsec_${b64(65)}`, '65 bytes'],
      ['whsec_', 'empty'],
      ['whsec_not base64 at all!!', 'not base64'],
      [`whsec_${b64(32).replace(/=+$/, '')}`, 'padding missing'],
      [`whsec_${b64(32)}\n`, 'trailing newline'],
      [`WHSEC_${b64(32)}`, 'prefix in capitals'],
      [`whsec_${b64(32).slice(0, 42)}B=`, 'non-canonical last character'],
    ];
    for (const [secret, what] of bad) {
      it(`refuses a secret with ${what}`, function () {
        expect(isValidSecret(secret)).to.equal(false);
      });
    }
  });

  describe('sign', function () {
    it('makes a v1 signature that the standardwebhooks library verifies', function () {
      const secret = generateSecret();
      const body = '{"event":"license.activated","timestamp":"2026-01-01T00:00:00.000Z","data":{"license_id":1}}';
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': '42',
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sign(secret, '42', timestamp, body),
      };
      expect(headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(new Webhook(secret).verify(body, headers)).to.deep.include({ event: 'license.activated' });
      expect(new Webhook(secret).sign('42', new Date(timestamp * 1000), body)).to.equal(headers['webhook-signature']);
    });
  });

  describe('SecretBox (encryption at rest)', function () {
    it('seals to a value that does not contain the secret, and opens it again', function () {
      const box = new SecretBox('a-webhook-key-of-at-least-32-characters');
      const secret = generateSecret();
      const sealed = box.seal(secret);
      expect(sealed).to.match(/^v1\./);
      expect(sealed).to.not.include(secret.slice(6));
      expect(box.open(sealed)).to.equal(secret);
      expect(box.seal(secret), 'a fresh IV each time').to.not.equal(sealed);
    });

    it('cannot open a value sealed under another key, nor a tampered one', function () {
      const sealed = new SecretBox('a-webhook-key-of-at-least-32-characters').seal(generateSecret());
      expect(() => new SecretBox('another-webhook-key-of-32-characters!!').open(sealed)).to.throw();
      const parts = sealed.split('.');
      parts[3] = Buffer.from('tampered-ciphertext').toString('base64');
      expect(() => new SecretBox('a-webhook-key-of-at-least-32-characters').open(parts.join('.'))).to.throw();
    });
  });
});
