// The canonical hardware hash of legacy clients' HardwareInfo objects.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { ValidationError } from '../../lib/core/errors.ts';
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

  it('refuses an object nested deeper than 8 levels with 400 VALIDATION_ERROR, however deep', function () {
    for (const depth of [9, 5000]) {
      let deep: Record<string, unknown> = { leaf: 'x' };
      for (let i = 0; i < depth; i += 1) deep = { a: deep };
      expect(() => hardwareHashOf(deep))
        .to.throw(ValidationError)
        .with.property('data')
        .that.deep.equals({ field: 'hardware_id', reason: 'too_deep' });
    }
  });

  it('refuses an object with more than 512 values', function () {
    const wide = { list: Array.from({ length: 600 }, (_, i) => i) };
    expect(() => hardwareHashOf(wide))
      .to.throw(ValidationError)
      .with.property('data')
      .that.deep.equals({
        field: 'hardware_id',
        reason: 'too_large',
      });
  });

  it('accepts a realistic HardwareInfo nested a few levels', function () {
    const info = { cpu: { id: 'x', cores: 8 }, board: { serial: '1' }, disks: [{ serial: 'a' }, { serial: 'b' }] };
    expect(hardwareHashOf(info)).to.match(/^[0-9a-f]{64}$/);
  });
});
