import { randomBytes, scryptSync } from 'node:crypto';
import { expect } from 'chai';
import {
  SCRYPT_PARAMS,
  burnPasswordCheck,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../../services/auth/passwords.ts';

describe('lib/passwords: scrypt hashes', function () {
  this.timeout(10_000);

  it('stores salt and parameters, never the password, and verifies only the right password', async function () {
    const stored = await hashPassword('correct horse battery');
    expect(stored).to.include({ alg: 'scrypt', n: SCRYPT_PARAMS.n, r: SCRYPT_PARAMS.r, p: SCRYPT_PARAMS.p });
    expect(Buffer.from(stored.salt, 'base64')).to.have.length(16);
    expect(Buffer.from(stored.hash, 'base64')).to.have.length(32);
    expect(JSON.stringify(stored)).not.to.include('correct horse');
    expect(await verifyPassword('correct horse battery', stored)).to.equal(true);
    expect(await verifyPassword('correct horse batterY', stored)).to.equal(false);
    expect(await verifyPassword('', stored)).to.equal(false);
  });

  it('salts every hash: one password, two different hashes, both valid', async function () {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a.salt).not.to.equal(b.salt);
    expect(a.hash).not.to.equal(b.hash);
    expect(await verifyPassword('same password', b)).to.equal(true);
  });

  it('treats composed and decomposed spellings of a password as the same password', async function () {
    const stored = await hashPassword('caf\u00e9-password');
    expect(await verifyPassword('cafe\u0301-password', stored)).to.equal(true);
  });

  it('verifies with the parameters stored in the hash, and flags weaker ones for rehashing', async function () {
    const current = await hashPassword('parameters');
    expect(needsRehash(current)).to.equal(false);
    // A hash made earlier with N = 2^10 stays valid but is flagged.
    const salt = randomBytes(16);
    const weak = {
      alg: 'scrypt' as const,
      n: 1024,
      r: 8,
      p: 1,
      salt: salt.toString('base64'),
      hash: scryptSync('parameters', salt, 32, { N: 1024, r: 8, p: 1 }).toString('base64'),
    };
    expect(await verifyPassword('parameters', weak)).to.equal(true);
    expect(await verifyPassword('parameters', { ...weak, n: 2048 })).to.equal(false);
    expect(needsRehash(weak)).to.equal(true);
  });

  it('refuses unusable stored hashes (hostile cost parameters, other algorithms) without trying them', async function () {
    const stored = await hashPassword('pw-pw-pw-pw');
    const started = Date.now();
    for (const bad of [
      { ...stored, n: 2 ** 30 },
      { ...stored, n: 1000 },
      { ...stored, r: 0 },
      { ...stored, alg: 'md5' as 'scrypt' },
      null,
    ]) {
      expect(await verifyPassword('pw-pw-pw-pw', bad)).to.equal(false);
    }
    expect(Date.now() - started).to.be.below(5000);
  });

  it('spends about the same time on an unknown user as on a real check', async function () {
    const stored = await hashPassword('timing-password');
    const time = async (work: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 3; i += 1) await work();
      return Number(process.hrtime.bigint() - start) / 3e6;
    };
    const real = await time(() => verifyPassword('wrong-password', stored));
    const burned = await time(() => burnPasswordCheck('wrong-password'));
    expect(burned).to.be.within(real * 0.5, real * 2);
  });
});
