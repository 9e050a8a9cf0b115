import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import {
  JwtError,
  decodeJwtUnverified,
  signJwt,
  verifyJwt,
  type JwtClaims,
  type JwtFailure,
} from '../../lib/security/jwt.ts';

const SECRET = 'unit-test-secret';
const NOW = 1_750_000_000;

function claims(extra: Record<string, unknown> = {}): JwtClaims {
  return { sub: '7', jti: 'abcdefghijklmnop', iat: NOW - 10, exp: NOW + 3600, ...extra };
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A token with any header and payload, correctly signed with SECRET (for header-level attacks). */
function forge(header: unknown, payload: unknown, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function refusal(token: string, secret = SECRET, now = NOW): Promise<JwtFailure> {
  try {
    await verifyJwt(token, secret, now);
  } catch (err) {
    expect(err).to.be.instanceOf(JwtError);
    return (err as JwtError).reason;
  }
  expect.fail('the token should have been refused');
}

describe('lib/security/jwt: HS256 tokens on jose', function () {
  it('round-trips the claims of a token it signed', async function () {
    const token = await signJwt(claims({ role: 'admin' }), SECRET);
    expect(token.split('.')).to.have.length(3);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as unknown;
    expect(header).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    expect(await verifyJwt(token, SECRET, NOW)).to.deep.equal(claims({ role: 'admin' }));
  });

  it('produces a standard HS256 signature (same bytes as an independent HMAC)', async function () {
    const token = await signJwt(claims(), SECRET);
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(s).to.equal(createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url'));
  });

  it('refuses a token signed with another secret', async function () {
    expect(await refusal(await signJwt(claims(), 'another-secret'))).to.equal('signature');
  });

  it('refuses a token whose payload was changed after signing', async function () {
    const [h, , s] = (await signJwt(claims({ role: 'viewer' }), SECRET)).split('.');
    const tampered = `${h}.${b64(claims({ role: 'admin' }))}.${s}`;
    expect(await refusal(tampered)).to.equal('signature');
  });

  it('refuses a second spelling of a valid signature (base64 padding bits)', async function () {
    const token = await signJwt(claims(), SECRET);
    const sig = token.split('.')[2]!;
    // 32 bytes in 43 characters: the last character carries 2 unused bits, so a neighbour decodes alike.
    const last = sig.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(sig.slice(0, -1) + twin, 'base64url').equals(Buffer.from(sig, 'base64url'))).to.equal(true);
    expect(await refusal(`${token.slice(0, -1)}${twin}`)).to.equal('signature');
  });

  it('refuses alg none, with or without a signature', async function () {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    expect(await refusal(unsigned)).to.equal('malformed');
    expect(await refusal(forge({ alg: 'none', typ: 'JWT' }, claims()))).to.equal('algorithm');
  });

  it('refuses every algorithm but exactly HS256', async function () {
    for (const alg of ['HS512', 'HS384', 'RS256', 'hs256', 'HS256 ', null]) {
      expect(await refusal(forge({ alg, typ: 'JWT' }, claims())), String(alg)).to.equal('algorithm');
    }
    expect(await refusal(forge({ typ: 'JWT' }, claims()))).to.equal('algorithm');
  });

  it('refuses a header that names a key or another type', async function () {
    expect(await refusal(forge({ alg: 'HS256', typ: 'JWT', kid: '../../dev/null' }, claims()))).to.equal('malformed');
    expect(await refusal(forge({ alg: 'HS256', jku: 'https://example.com/keys' }, claims()))).to.equal('malformed');
    expect(await refusal(forge({ alg: 'HS256', jwk: { kty: 'oct', k: 'AAAA' } }, claims()))).to.equal('malformed');
    expect(await refusal(forge({ alg: 'HS256', typ: 'JWE' }, claims()))).to.equal('malformed');
    expect((await verifyJwt(forge({ alg: 'HS256' }, claims()), SECRET, NOW)).sub).to.equal('7');
  });

  it('refuses an expired token, and accepts it a second before expiry', async function () {
    const token = await signJwt(claims({ iat: NOW - 100, exp: NOW }), SECRET);
    expect(await refusal(token)).to.equal('expired');
    expect((await verifyJwt(token, SECRET, NOW - 1)).exp).to.equal(NOW);
  });

  it('refuses tokens without integer exp and iat, issued in the future, or ending before they start', async function () {
    expect(await refusal(forge({ alg: 'HS256' }, { sub: '1', iat: NOW }))).to.equal('claims');
    expect(await refusal(forge({ alg: 'HS256' }, { sub: '1', exp: NOW + 60 }))).to.equal('claims');
    expect(await refusal(forge({ alg: 'HS256' }, claims({ exp: String(NOW + 60) })))).to.equal('claims');
    expect(await refusal(forge({ alg: 'HS256' }, claims({ exp: NOW + 60.5 })))).to.equal('claims');
    expect(await refusal(forge({ alg: 'HS256' }, claims({ iat: NOW + 600, exp: NOW + 3600 })))).to.equal('claims');
    expect(await refusal(forge({ alg: 'HS256' }, claims({ iat: NOW, exp: NOW - 5 })))).to.equal('claims');
  });

  it('refuses malformed tokens without throwing anything but JwtError', async function () {
    const good = await signJwt(claims(), SECRET);
    const cases = [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      `${good}.`,
      good.replace('.', '.+'),
      `${b64('not json')}.${b64(claims())}.sig`,
      `${b64([1, 2])}.${b64(claims())}.sig`,
      forge({ alg: 'HS256' }, 'a string payload'),
      forge({ alg: 'HS256' }, [1, 2, 3]),
      'x'.repeat(5000),
    ];
    for (const token of cases) expect(['malformed', 'signature']).to.include(await refusal(token));
    expect(await refusal(forge({ alg: 'HS256' }, [1, 2, 3]))).to.equal('malformed');
  });

  it('refuses to sign or verify with an empty secret', async function () {
    const token = await signJwt(claims(), SECRET);
    for (const attempt of [() => signJwt(claims(), ''), () => verifyJwt(token, '')]) {
      const outcome = await attempt().then(
        () => 'accepted',
        (err: unknown) => err,
      );
      expect(outcome).to.be.instanceOf(TypeError);
    }
  });

  it('decodes claims without verifying only through the explicitly named helper', async function () {
    expect(decodeJwtUnverified(await signJwt(claims(), 'whatever'))).to.deep.equal(claims());
    expect(decodeJwtUnverified('garbage')).to.equal(undefined);
  });
});
