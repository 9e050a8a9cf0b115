import { expect } from 'chai';
import { coerceFromStrings } from '../../services/api/coerce.ts';
import { objectSchema } from '../../lib/core/validation.ts';

const SCHEMA = objectSchema({
  id: { type: 'integer' },
  ratio: { type: 'number' },
  active: { type: 'boolean' },
  name: { type: 'string' },
  either: { type: ['string', 'integer'] },
  maybe: { type: ['integer', 'null'] },
  untyped: {},
});

describe('coerceFromStrings', function () {
  it('turns digits into integers for integer fields', function () {
    expect(coerceFromStrings({ id: '42' }, SCHEMA)).to.deep.equal({ id: 42 });
    expect(coerceFromStrings({ id: '-7' }, SCHEMA)).to.deep.equal({ id: -7 });
    expect(coerceFromStrings({ maybe: '5' }, SCHEMA)).to.deep.equal({ maybe: 5 });
  });

  it('turns decimals into numbers only for number fields', function () {
    expect(coerceFromStrings({ ratio: '1.5' }, SCHEMA)).to.deep.equal({ ratio: 1.5 });
    expect(coerceFromStrings({ ratio: '3' }, SCHEMA)).to.deep.equal({ ratio: 3 });
    expect(coerceFromStrings({ id: '1.5' }, SCHEMA)).to.deep.equal({ id: '1.5' });
  });

  it('leaves ambiguous or oversized numbers as strings for the schema to reject', function () {
    expect(coerceFromStrings({ id: '' }, SCHEMA)).to.deep.equal({ id: '' });
    expect(coerceFromStrings({ id: ' 1' }, SCHEMA)).to.deep.equal({ id: ' 1' });
    expect(coerceFromStrings({ id: '1e3' }, SCHEMA)).to.deep.equal({ id: '1e3' });
    expect(coerceFromStrings({ id: '0x10' }, SCHEMA)).to.deep.equal({ id: '0x10' });
    expect(coerceFromStrings({ id: '1234567890123456' }, SCHEMA)).to.deep.equal({ id: '1234567890123456' });
    expect(coerceFromStrings({ id: '123456789012345' }, SCHEMA)).to.deep.equal({ id: 123456789012345 });
  });

  it('turns exactly "true" and "false" into booleans', function () {
    expect(coerceFromStrings({ active: 'true' }, SCHEMA)).to.deep.equal({ active: true });
    expect(coerceFromStrings({ active: 'false' }, SCHEMA)).to.deep.equal({ active: false });
    expect(coerceFromStrings({ active: 'TRUE' }, SCHEMA)).to.deep.equal({ active: 'TRUE' });
    expect(coerceFromStrings({ active: '1' }, SCHEMA)).to.deep.equal({ active: '1' });
  });

  it('keeps strings where a string is accepted', function () {
    expect(coerceFromStrings({ name: '42' }, SCHEMA)).to.deep.equal({ name: '42' });
    expect(coerceFromStrings({ either: '42' }, SCHEMA)).to.deep.equal({ either: '42' });
  });

  it('leaves unknown and untyped fields as they are', function () {
    expect(coerceFromStrings({ unknown: '42', untyped: '42' }, SCHEMA)).to.deep.equal({ unknown: '42', untyped: '42' });
  });

  it('leaves non-string values (repeated query keys, bracket objects) for the schema to reject', function () {
    const values = { id: ['1', '2'], active: { $ne: 'x' } };
    expect(coerceFromStrings(values, SCHEMA)).to.deep.equal(values);
  });

  it('does not change its input', function () {
    const values = { id: '1' };
    coerceFromStrings(values, SCHEMA);
    expect(values).to.deep.equal({ id: '1' });
  });
});
