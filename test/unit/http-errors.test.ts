import { expect } from 'chai';
import { Errors } from 'moleculer';
import { toHttpError } from '../../services/api/http-errors.ts';
import {
  ConflictError,
  InvalidApiKeyError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from '../../lib/core/errors.ts';

function errorBody(code: string, message: string, details: unknown = {}) {
  return { error: { code, message, details } };
}

describe('toHttpError', function () {
  describe('database and Redis clients that cannot reach their server', function () {
    const cases: Array<[string, string]> = [
      ['MongoServerSelectionError', 'Server selection timed out after 2000 ms'],
      ['MongooseServerSelectionError', 'connect ECONNREFUSED 127.0.0.1:27017'],
      ['MongoNetworkError', 'connection 3 to 127.0.0.1:27017 closed'],
      ['MongoNetworkTimeoutError', 'connection timed out'],
      ['MongoOperationTimeoutError', 'Timed out during operation'],
      ['MongooseError', 'Operation `licenses.findOne()` buffering timed out after 2000ms'],
      ['Error', 'Command timed out'],
      ['Error', 'Connection is closed.'],
      ['MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).'],
    ];
    for (const [name, message] of cases) {
      it(`maps ${name} "${message}" to 503 SERVICE_UNAVAILABLE with Retry-After, no internals`, function () {
        const err = Object.assign(new Error(message), { name, code: name === 'MongoNetworkError' ? 89 : undefined });
        const answer = toHttpError(err);
        expect(answer.status).to.equal(503);
        expect(answer.headers['Retry-After']).to.equal('5');
        expect(JSON.stringify(answer.body)).to.not.include('127.0.0.1');
        expect((answer.body as { error: { code: string } }).error.code).to.equal('SERVICE_UNAVAILABLE');
      });
    }

    it('leaves other errors alone (a plain Error is still a 500)', function () {
      expect(toHttpError(new Error('something broke')).status).to.equal(500);
    });
  });

  describe('body-parser errors', function () {
    const cases: Array<[string, number, string]> = [
      ['entity.parse.failed', 400, 'INVALID_JSON'],
      ['entity.too.large', 413, 'PAYLOAD_TOO_LARGE'],
      ['encoding.unsupported', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['charset.unsupported', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['request.aborted', 400, 'REQUEST_ABORTED'],
      ['request.size.invalid', 400, 'INVALID_REQUEST'],
      ['stream.encoding.set', 500, 'INTERNAL_ERROR'],
    ];
    for (const [type, status, code] of cases) {
      it(`maps ${type} to ${status} ${code}, without the parser's own message`, function () {
        // body-parser's errors carry the offending input in the message; it must not be echoed.
        const err = Object.assign(new Error('Unexpected token } in JSON at position 7: {"secret"'), {
          type,
          status: 400,
        });
        const answer = toHttpError(err);
        expect(answer.status).to.equal(status);
        const body = answer.body as { error: { code: string; message: string; details: unknown } };
        expect(body.error.code).to.equal(code);
        expect(body.error.details).to.deep.equal({});
        expect(body.error.message).to.not.include('secret');
      });
    }
  });

  it('gives the invalid API key its documented body', function () {
    expect(toHttpError(new InvalidApiKeyError())).to.deep.equal({
      status: 401,
      body: { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 },
      headers: {},
    });
  });

  it('maps a rate-limit error to 429 with Retry-After', function () {
    expect(toHttpError(new RateLimitError(17))).to.deep.equal({
      status: 429,
      body: errorBody('RATE_LIMIT_EXCEEDED', 'Too many requests, retry later', { retry_after: 17 }),
      headers: { 'Retry-After': '17' },
    });
  });

  it('defaults Retry-After to a minute when a 429 does not say', function () {
    const answer = toHttpError({ code: 429, type: 'SOMETHING', message: 'slow down' });
    expect(answer.headers).to.deep.equal({ 'Retry-After': '60' });
    expect(answer.body).to.deep.equal(errorBody('RATE_LIMIT_EXCEEDED', 'slow down', { retry_after: 60 }));
  });

  it('passes application client errors through with code, message and details', function () {
    const err = new ValidationError(
      'license_key has an invalid format',
      { field: 'license_key', reason: 'format_invalid' },
      'INVALID_LICENSE',
    );
    expect(toHttpError(err)).to.deep.equal({
      status: 400,
      body: errorBody('INVALID_LICENSE', 'license_key has an invalid format', {
        field: 'license_key',
        reason: 'format_invalid',
      }),
      headers: {},
    });
    expect(toHttpError(new NotFoundError('No such license', 'LICENSE_NOT_FOUND'))).to.deep.equal({
      status: 404,
      body: errorBody('LICENSE_NOT_FOUND', 'No such license'),
      headers: {},
    });
    expect(toHttpError(new ConflictError('exists')).status).to.equal(409);
  });

  it('maps an error deserialized from another node by its fields', function () {
    // Over NATS an error arrives as a plain object: the mapping must not depend on its class.
    const plain = {
      name: 'NotFoundError',
      message: 'No such device',
      code: 404,
      type: 'DEVICE_NOT_FOUND',
      data: { id: 3 },
    };
    expect(toHttpError(plain)).to.deep.equal({
      status: 404,
      body: errorBody('DEVICE_NOT_FOUND', 'No such device', { id: 3 }),
      headers: {},
    });
  });

  it('answers a client error without a type as INTERNAL_ERROR code but keeps its status', function () {
    const answer = toHttpError({ code: 400, message: 'bad' });
    expect(answer.status).to.equal(400);
    expect(answer.body).to.deep.equal(errorBody('INTERNAL_ERROR', 'bad'));
  });

  it("hides the details of Moleculer's own 422 validation errors behind a 400", function () {
    const err = new Errors.ValidationError('Parameters validation error!', 'VALIDATION_ERROR', [
      { field: 'x', message: 'internal' },
    ]);
    expect(toHttpError(err)).to.deep.equal({
      status: 400,
      body: errorBody('VALIDATION_ERROR', 'Invalid request parameters'),
      headers: {},
    });
  });

  it('turns a missing or unavailable service into a retryable 503', function () {
    for (const err of [
      new Errors.ServiceNotFoundError({ action: 'license.verify' }),
      new Errors.ServiceNotAvailableError({ action: 'license.verify', nodeID: 'n1' }),
    ]) {
      expect(toHttpError(err)).to.deep.equal({
        status: 503,
        body: errorBody('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'),
        headers: { 'Retry-After': '5' },
      });
    }
  });

  it('answers an unavailable dependency with 503 and no internals', function () {
    const answer = toHttpError(new ServiceUnavailableError('mongo at 10.0.0.5:27017 refused', { host: '10.0.0.5' }));
    expect(answer).to.deep.equal({
      status: 503,
      body: errorBody('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'),
      headers: { 'Retry-After': '5' },
    });
  });

  it('answers a missed deadline (a dependency that hangs) with 503 and Retry-After, like an outage', function () {
    const expected = {
      status: 503,
      body: errorBody('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'),
      headers: { 'Retry-After': '5' },
    };
    expect(toHttpError(new Errors.RequestTimeoutError({ action: 'license.verify', nodeID: 'node-7' }))).to.deep.equal(
      expected,
    );
    expect(toHttpError(new Errors.RequestSkippedError({ action: 'device.register', nodeID: 'node-7' }))).to.deep.equal(
      expected,
    );
  });

  it('answers anything else with a bare 500', function () {
    const expected = { status: 500, body: errorBody('INTERNAL_ERROR', 'Internal server error'), headers: {} };
    expect(toHttpError(new Error('connection string mongodb://user:pw@host'))).to.deep.equal(expected);
    expect(
      toHttpError(new Errors.MoleculerServerError('boom at /srv/app.ts:12', 500, 'DB_CRASH', { stack: 'x' })),
    ).to.deep.equal(expected);
    expect(toHttpError(new TypeError('undefined is not a function'))).to.deep.equal(expected);
    expect(toHttpError('a thrown string')).to.deep.equal(expected);
    expect(toHttpError(null)).to.deep.equal(expected);
    expect(toHttpError(undefined)).to.deep.equal(expected);
  });
});
