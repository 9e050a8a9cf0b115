import { expect } from 'chai';
import { ServiceBroker, type Context } from 'moleculer';
import { ValidationError } from '../../lib/core/errors.ts';
import {
  AjvValidator,
  assertValid,
  compileSchema,
  isJsonSchema,
  objectSchema,
  type JsonSchema,
} from '../../lib/core/validation.ts';

function validationError(schema: JsonSchema, value: unknown): ValidationError {
  let caught: unknown;
  try {
    assertValid(schema, value);
  } catch (err) {
    caught = err;
  }
  expect(caught, `${JSON.stringify(value)} should be rejected`).to.be.instanceOf(ValidationError);
  return caught as ValidationError;
}

const KEY = { type: 'string', pattern: '^[A-Z]{4}$', 'x-error-code': 'INVALID_LICENSE' };

const SCHEMA = objectSchema(
  {
    license_key: KEY,
    count: { type: 'integer', minimum: 1, maximum: 10 },
    name: { type: 'string', minLength: 2, maxLength: 5 },
    status: { type: 'string', enum: ['active', 'revoked'] },
    email: { type: 'string', format: 'email' },
    flag: { type: 'boolean', default: false },
    nested: objectSchema({ inner: { type: 'integer' } }, ['inner']),
  },
  ['license_key'],
);

describe('validation', function () {
  describe('objectSchema', function () {
    it('builds a closed object schema with its required list', function () {
      expect(objectSchema({ a: { type: 'string' } }, ['a'])).to.deep.equal({
        type: 'object',
        properties: { a: { type: 'string' } },
        required: ['a'],
        additionalProperties: false,
      });
      expect(objectSchema({}).required).to.deep.equal([]);
      expect(objectSchema({}, [], { minProperties: 1 }).minProperties).to.equal(1);
    });
  });

  describe('isJsonSchema', function () {
    it('recognises object schemas and leaves fastest-validator shorthand alone', function () {
      expect(isJsonSchema(objectSchema({}))).to.equal(true);
      expect(isJsonSchema({ id: 'string' })).to.equal(false);
      expect(isJsonSchema(undefined)).to.equal(false);
      expect(isJsonSchema(null)).to.equal(false);
    });
  });

  describe('assertValid', function () {
    it('accepts valid params and fills defaults in', function () {
      const params: Record<string, unknown> = { license_key: 'ABCD', count: 3 };
      assertValid(SCHEMA, params);
      expect(params).to.deep.equal({ license_key: 'ABCD', count: 3, flag: false });
    });

    it("reports a missing field as required, with the field's own error code", function () {
      const err = validationError(SCHEMA, {});
      expect(err.code).to.equal(400);
      expect(err.type).to.equal('INVALID_LICENSE');
      expect(err.data).to.deep.equal({ field: 'license_key', reason: 'required' });
      expect(err.message).to.equal('license_key is required');
    });

    it('reports a missing field without an annotation as VALIDATION_ERROR', function () {
      const err = validationError(objectSchema({ a: { type: 'string' } }, ['a']), {});
      expect(err.type).to.equal('VALIDATION_ERROR');
      expect(err.data).to.deep.equal({ field: 'a', reason: 'required' });
    });

    it('reports an unknown field', function () {
      const err = validationError(SCHEMA, { license_key: 'ABCD', extra: 1 });
      expect(err.type).to.equal('VALIDATION_ERROR');
      expect(err.data).to.deep.equal({ field: 'extra', reason: 'unknown_field' });
      expect(err.message).to.equal('extra is not an accepted field');
    });

    it('rejects a query operator where a string is expected', function () {
      const err = validationError(SCHEMA, { license_key: { $ne: null } });
      expect(err.data).to.deep.equal({ field: 'license_key', reason: 'type_invalid' });
      expect(err.message).to.equal('license_key must be of type string');
      expect(err.type).to.equal('INVALID_LICENSE');
    });

    it('does not coerce types', function () {
      expect(validationError(SCHEMA, { license_key: 'ABCD', count: '3' }).data).to.deep.equal({
        field: 'count',
        reason: 'type_invalid',
      });
      expect(validationError(SCHEMA, { license_key: 'ABCD', flag: 'true' }).data).to.deep.equal({
        field: 'flag',
        reason: 'type_invalid',
      });
    });

    it("reports a pattern mismatch as format_invalid with the field's code", function () {
      const err = validationError(SCHEMA, { license_key: 'abcd' });
      expect(err.type).to.equal('INVALID_LICENSE');
      expect(err.data).to.deep.equal({ field: 'license_key', reason: 'format_invalid' });
      expect(err.message).to.equal('license_key has an invalid format');
    });

    it('reports a bad format as format_invalid', function () {
      expect(validationError(SCHEMA, { license_key: 'ABCD', email: 'nope' }).data).to.deep.equal({
        field: 'email',
        reason: 'format_invalid',
      });
    });

    it('reports range and length violations', function () {
      expect(validationError(SCHEMA, { license_key: 'ABCD', count: 0 }).data).to.deep.equal({
        field: 'count',
        reason: 'out_of_range',
      });
      expect(validationError(SCHEMA, { license_key: 'ABCD', count: 11 }).data).to.deep.equal({
        field: 'count',
        reason: 'out_of_range',
      });
      expect(validationError(SCHEMA, { license_key: 'ABCD', name: 'a' }).data).to.deep.equal({
        field: 'name',
        reason: 'too_short',
      });
      expect(validationError(SCHEMA, { license_key: 'ABCD', name: 'abcdef' }).data).to.deep.equal({
        field: 'name',
        reason: 'too_long',
      });
    });

    it('lists the allowed values of an enum', function () {
      const err = validationError(SCHEMA, { license_key: 'ABCD', status: 'paused' });
      expect(err.data).to.deep.equal({ field: 'status', reason: 'not_allowed', allowed: ['active', 'revoked'] });
    });

    it('names nested fields with dots', function () {
      expect(validationError(SCHEMA, { license_key: 'ABCD', nested: {} }).data).to.deep.equal({
        field: 'nested.inner',
        reason: 'required',
      });
      expect(validationError(SCHEMA, { license_key: 'ABCD', nested: { inner: 'x' } }).data).to.deep.equal({
        field: 'nested.inner',
        reason: 'type_invalid',
      });
      expect(validationError(SCHEMA, { license_key: 'ABCD', nested: { inner: 1, other: 2 } }).data).to.deep.equal({
        field: 'nested.other',
        reason: 'unknown_field',
      });
    });

    it('rejects a value that is not an object at all', function () {
      const err = validationError(SCHEMA, ['ABCD']);
      expect(err.data).to.deep.equal({ field: '', reason: 'type_invalid' });
      expect(err.message).to.equal('the request must be of type object');
    });
  });

  describe('compileSchema', function () {
    it('compiles each schema object once', function () {
      const schema = objectSchema({ a: { type: 'string' } });
      expect(compileSchema(schema)).to.equal(compileSchema(schema));
    });
  });

  describe('AjvValidator in a broker', function () {
    let broker: ServiceBroker;

    before(async function () {
      broker = new ServiceBroker({ logger: false, validator: new AjvValidator({}) });
      broker.createService({
        name: 'probe',
        actions: {
          echo: {
            params: objectSchema({ n: { type: 'integer' } }, ['n']),
            handler: (ctx: Context<{ n: number }>) => ({ n: ctx.params.n }),
          },
          shorthand: {
            params: { n: 'number' },
            handler: (ctx: Context<unknown>) => ctx.params,
          },
        },
      });
      await broker.start();
    });

    after(async function () {
      await broker.stop();
    });

    it('runs the handler for valid params', async function () {
      expect(await broker.call('probe.echo', { n: 2 })).to.deep.equal({ n: 2 });
    });

    it("rejects invalid params before the handler, with the reference's details", async function () {
      let caught: unknown;
      try {
        await broker.call('probe.echo', { n: 2, extra: true });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ValidationError);
      expect((caught as ValidationError).data).to.deep.equal({ field: 'extra', reason: 'unknown_field' });
    });

    it('leaves fastest-validator shorthand schemas unchecked', async function () {
      expect(await broker.call('probe.shorthand', { n: 'not a number' })).to.deep.equal({ n: 'not a number' });
    });
  });
});
