// The canonical hardware hash of legacy clients' HardwareInfo objects.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { hardwareHashOf } from '../../services/license/hardware.ts';

describe('hardwareHashOf', function () {
  it('keeps a string hash as it is', function () {
    expect(hardwareHashOf('my-machine')).to.equal('my-machine');
  });

  it('hashes an object as SHA-256 of its JSON with keys sorted', function () {
    const expected = createHash('sha256').update('{"cpu":"x","disk":"y"}').digest('hex');
    expect(hardwareHashOf({ disk: 'y', cpu: 'x' })).to.equal(expected);
  });

  it('gives the same hash whatever the key order, at every level', function () {
    const a = hardwareHashOf({ cpu: 'x', board: { serial: '1', vendor: 'v' }, macs: ['a', 'b'] });
    const b = hardwareHashOf({ macs: ['a', 'b'], board: { vendor: 'v', serial: '1' }, cpu: 'x' });
    expect(a).to.equal(b);
  });

  it('tells different machines apart, including array order', function () {
    expect(hardwareHashOf({ cpu: 'x' })).to.not.equal(hardwareHashOf({ cpu: 'y' }));
    expect(hardwareHashOf({ macs: ['a', 'b'] })).to.not.equal(hardwareHashOf({ macs: ['b', 'a'] }));
  });
});
