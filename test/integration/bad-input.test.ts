// Bad input on the client API against a real system (one process): wrong types, missing and unknown
// fields, Mongo operators in the body and the query string, malformed keys, oversized and broken
// bodies. Each gets a clear 4xx in the reference's error format naming the field at fault, never a
// 500, and nothing is stored.
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { ActivationModel } from '../../models/activation.model.ts';
import { LicenseModel } from '../../models/license.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const KEY = 'TEST-TEST-TEST-TEST';
const HW = 'bad-input-machine';

interface Case {
  name: string;
  body: Record<string, unknown>;
  code: string;
  field: string;
  reason: string;
}

/** Cases that apply to activate and verify alike (both take license_key, hardware_hash, app_version). */
const COMMON_CASES: Case[] = [
  // wrong types
  {
    name: 'a number as license_key',
    body: { license_key: 12345678, hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'type_invalid',
  },
  {
    name: 'null as license_key',
    body: { license_key: null, hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'type_invalid',
  },
  {
    name: 'an array as license_key',
    body: { license_key: [KEY], hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'type_invalid',
  },
  {
    name: 'a number as hardware_hash',
    body: { license_key: KEY, hardware_hash: 42 },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'type_invalid',
  },
  {
    name: 'a boolean as hardware_hash',
    body: { license_key: KEY, hardware_hash: true },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'type_invalid',
  },
  {
    name: 'a number as app_version',
    body: { license_key: KEY, hardware_hash: HW, app_version: 1.1 },
    code: 'VALIDATION_ERROR',
    field: 'app_version',
    reason: 'type_invalid',
  },
  // missing or empty fields
  { name: 'an empty object', body: {}, code: 'INVALID_LICENSE', field: 'license_key', reason: 'required' },
  {
    name: 'no hardware_hash',
    body: { license_key: KEY },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'required',
  },
  {
    name: 'no license_key',
    body: { hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'required',
  },
  {
    name: 'an empty hardware_hash',
    body: { license_key: KEY, hardware_hash: '' },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'too_short',
  },
  {
    name: 'a hardware_hash with spaces',
    body: { license_key: KEY, hardware_hash: 'my machine' },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'format_invalid',
  },
  {
    name: 'a 257-character hardware_hash',
    body: { license_key: KEY, hardware_hash: 'h'.repeat(257) },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'too_long',
  },
  // unknown fields
  {
    name: 'an unknown field',
    body: { license_key: KEY, hardware_hash: HW, extra: 1 },
    code: 'VALIDATION_ERROR',
    field: 'extra',
    reason: 'unknown_field',
  },
  {
    name: 'a smuggled is_active',
    body: { license_key: KEY, hardware_hash: HW, is_active: true },
    code: 'VALIDATION_ERROR',
    field: 'is_active',
    reason: 'unknown_field',
  },
  // The missing field is reported before the stray one: either names a field the client got wrong.
  {
    name: 'a misspelt field',
    body: { license_key: KEY, hardwareHash: HW },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'required',
  },
  // Mongo operators in JSON
  {
    name: '{"$ne": null} as license_key',
    body: { license_key: { $ne: null }, hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'type_invalid',
  },
  {
    name: '{"$gt": ""} as hardware_hash',
    body: { license_key: KEY, hardware_hash: { $gt: '' } },
    code: 'VALIDATION_ERROR',
    field: 'hardware_hash',
    reason: 'type_invalid',
  },
  {
    name: '{"$regex": ".*"} as license_key',
    body: { license_key: { $regex: '.*' }, hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'type_invalid',
  },
  {
    name: 'a top-level $where',
    body: { license_key: KEY, hardware_hash: HW, $where: 'sleep(1000)' },
    code: 'VALIDATION_ERROR',
    field: '$where',
    reason: 'unknown_field',
  },
  // malformed keys
  ...[
    'TEST-TEST-TEST',
    'test-test-test-test',
    'TEST-TEST-TEST-TEST-TEST',
    'TESTTESTTESTTEST',
    'TEST-TEST-TEST-TES!',
    ' TEST-TEST-TEST-TEST',
    'TEST-TEST-TEST-TEST\n',
    '',
    'TÉST-TEST-TEST-TEST',
  ].map((key): Case => ({
    name: `the malformed key ${JSON.stringify(key)}`,
    body: { license_key: key, hardware_hash: HW },
    code: 'INVALID_LICENSE',
    field: 'license_key',
    reason: 'format_invalid',
  })),
];

const ACTIVATE_CASES: Case[] = [
  ...COMMON_CASES,
  {
    name: 'an array as machine_name',
    body: { license_key: KEY, hardware_hash: HW, machine_name: ['PC'] },
    code: 'VALIDATION_ERROR',
    field: 'machine_name',
    reason: 'type_invalid',
  },
  {
    name: 'an object as machine_name',
    body: { license_key: KEY, hardware_hash: HW, machine_name: { $ne: '' } },
    code: 'VALIDATION_ERROR',
    field: 'machine_name',
    reason: 'type_invalid',
  },
  {
    name: 'a 256-character machine_name',
    body: { license_key: KEY, hardware_hash: HW, machine_name: 'm'.repeat(256) },
    code: 'VALIDATION_ERROR',
    field: 'machine_name',
    reason: 'too_long',
  },
];

const VERIFY_CASES: Case[] = [
  ...COMMON_CASES,
  {
    name: 'machine_name (not a verify field)',
    body: { license_key: KEY, hardware_hash: HW, machine_name: 'PC' },
    code: 'VALIDATION_ERROR',
    field: 'machine_name',
    reason: 'unknown_field',
  },
];

describe('bad input on the client API', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let stored: { activations: number; licenses: number };

  async function counts(): Promise<{ activations: number; licenses: number }> {
    return { activations: await ActivationModel.countDocuments(), licenses: await LicenseModel.countDocuments() };
  }

  function post(
    path: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<HttpAnswer> {
    return http('POST', `${system.url}${path}`, { ...options, headers: { ...AUTH, ...options.headers } });
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    // One real activation of the seeded license: bad requests must not add to it or change it.
    const res = await post('/api/license/activate', {
      body: { license_key: KEY, hardware_hash: 'existing-machine', machine_name: 'KEEP' },
    });
    expect(res.status, res.text).to.equal(200);
  });

  beforeEach(async function () {
    stored = await counts();
  });

  afterEach(async function () {
    expect(await counts(), 'nothing stored').to.deep.equal(stored);
  });

  after(async function () {
    const existing = await ActivationModel.findOne({ hardware_hash: 'existing-machine' }).lean();
    expect(existing).to.include({ machine_name: 'KEEP', is_active: true });
    await system?.stop();
  });

  for (const [path, cases] of [
    ['/api/license/activate', ACTIVATE_CASES],
    ['/api/license/verify', VERIFY_CASES],
  ] as const) {
    describe(`POST ${path}`, function () {
      for (const c of cases) {
        it(`answers ${c.name} with 400 ${c.code} naming ${c.field || 'the body'} (${c.reason})`, async function () {
          const error = expectError(await post(path, { body: c.body }), 400, c.code);
          expect(error.details).to.deep.equal({ field: c.field, reason: c.reason });
        });
      }

      it('answers __proto__ in the body as an unknown field, and pollutes nothing', async function () {
        const error = expectError(
          await post(path, {
            rawBody: `{"license_key":"${KEY}","hardware_hash":"${HW}","__proto__":{"is_admin":true}}`,
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'VALIDATION_ERROR',
        );
        expect(error.details).to.deep.equal({ field: '__proto__', reason: 'unknown_field' });
        expect(({} as Record<string, unknown>).is_admin).to.equal(undefined);
      });

      it('answers a 1 MB body with 413 PAYLOAD_TOO_LARGE', async function () {
        const body = { license_key: KEY, hardware_hash: HW, machine_name: 'x'.repeat(1024 * 1024) };
        expectError(await post(path, { body }), 413, 'PAYLOAD_TOO_LARGE');
      });

      it('answers invalid JSON with 400 INVALID_JSON', async function () {
        expectError(
          await post(path, {
            rawBody: `{"license_key": "${KEY}", "hardware_hash": `,
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'INVALID_JSON',
        );
        expectError(
          await post(path, { rawBody: `{'license_key': '${KEY}'}`, headers: { 'content-type': 'application/json' } }),
          400,
          'INVALID_JSON',
        );
      });

      it('answers a JSON body that is not an object with 400', async function () {
        for (const raw of ['null', '"TEST-TEST-TEST-TEST"', '42']) {
          expectError(
            await post(path, { rawBody: raw, headers: { 'content-type': 'application/json' } }),
            400,
            'INVALID_JSON',
          );
        }
        const error = expectError(
          await post(path, { rawBody: `[{"license_key":"${KEY}"}]`, headers: { 'content-type': 'application/json' } }),
          400,
          'VALIDATION_ERROR',
        );
        expect(error.details).to.include({ reason: 'type_invalid' });
      });

      it('answers a body that is not JSON with 415', async function () {
        expectError(
          await post(path, {
            rawBody: `license_key=${KEY}&hardware_hash=${HW}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      });

      it('takes nothing from the query string of a POST: a field there does not fill a missing one', async function () {
        const error = expectError(
          await post(`${path}?hardware_hash=${HW}`, { body: { license_key: KEY } }),
          400,
          'VALIDATION_ERROR',
        );
        expect(error.details).to.deep.equal({ field: 'hardware_hash', reason: 'required' });
      });
    });
  }

  describe('operators in the query string', function () {
    const info = (query: string) => http('GET', `${system.url}/api/license/info/${KEY}${query}`, { headers: AUTH });

    it("license_key[$ne]=x next to the path's key: the path wins, the answer is the license's own", async function () {
      const plain = await info('');
      expect(plain.status, plain.text).to.equal(200);
      const res = await info('?license_key[$ne]=x');
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal(plain.body);
      expect(res.body.license.key).to.equal(KEY);
    });

    it('an unknown query parameter is a 400 naming it', async function () {
      const error = expectError(await info('?foo=bar'), 400, 'VALIDATION_ERROR');
      expect(error.details).to.deep.equal({ field: 'foo', reason: 'unknown_field' });
    });

    it('an operator in a query parameter of a route without path key is a 400, not a query', async function () {
      const error = expectError(
        await http('GET', `${system.url}/api/version/latest?license_key[$ne]=x`, { headers: AUTH }),
        400,
        'VALIDATION_ERROR',
      );
      expect(error.details).to.deep.equal({ field: 'license_key', reason: 'unknown_field' });
    });

    it('an operator in the query of a POST changes nothing: the body alone decides', async function () {
      const body = { license_key: KEY, hardware_hash: 'existing-machine' };
      const res = await post('/api/license/verify?license_key[$ne]=x&hardware_hash[$ne]=y', { body });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ valid: true, code: 'VALID' });
      const unknown = await post('/api/license/verify?hardware_hash[$ne]=y', {
        body: { license_key: KEY, hardware_hash: 'not-activated-here' },
      });
      expect(unknown.body).to.include({ valid: false, code: 'NOT_ACTIVATED' });
    });
  });

  it('the same bad input through the broker gets the same validation error (internal callers too)', async function () {
    const err = await broker.call('license.activate', { license_key: { $ne: null }, hardware_hash: HW }).then(
      () => null,
      (e: { code?: number; type?: string; data?: unknown }) => e,
    );
    expect(err).to.include({ code: 400, type: 'INVALID_LICENSE' });
    expect(err!.data).to.deep.equal({ field: 'license_key', reason: 'type_invalid' });
  });
});
