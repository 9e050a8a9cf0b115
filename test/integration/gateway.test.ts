// The HTTP gateway against a real system (one node: api, auth, version) on the test database and Redis.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const AUTH = { 'x-api-key': TEST_API_KEY };
const INVALID_API_KEY = { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 };

/** Rate-limit windows are whole minutes: a short test must not straddle two of them. */
async function awayFromMinuteBoundary(marginMs = 3000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise(resolve => setTimeout(resolve, left + 50));
}

describe('gateway', function () {
  this.timeout(20_000);
  let system: TestSystem;

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api', 'auth', 'version']] });
  });

  after(async function () {
    await system?.stop();
  });

  describe('GET /', function () {
    it('answers the service status', async function () {
      const res = await http('GET', `${system.url}/`);
      expect(res.status).to.equal(200);
      expect(res.body).to.have.all.keys('status', 'service', 'timestamp');
      expect(res.body.status).to.equal('ok');
      expect(res.body.service).to.equal('V2 License Server');
      expect(res.body.timestamp).to.match(ISO_TIMESTAMP);
      expect(Math.abs(Date.parse(res.body.timestamp) - Date.now())).to.be.below(60_000);
    });
  });

  describe('GET /health/live', function () {
    it('answers alive without looking at dependencies', async function () {
      const res = await http('GET', `${system.url}/health/live`);
      expect(res.status).to.equal(200);
      expect(res.body).to.have.all.keys('status', 'timestamp');
      expect(res.body.status).to.equal('alive');
      expect(res.body.timestamp).to.match(ISO_TIMESTAMP);
    });
  });

  describe('GET /health', function () {
    it('reports the database and Redis as up', async function () {
      const res = await http('GET', `${system.url}/health`);
      expect(res.body).to.have.all.keys('status', 'timestamp', 'checks');
      expect(res.body.checks).to.have.all.keys('database', 'redis', 'broker');
      expect(res.body.checks.database).to.equal('up');
      expect(res.body.checks.redis).to.equal('up');
      // The status follows the checks: 200 healthy only when every one is up (the broker check also
      // needs services this node does not run).
      const allUp = Object.values(res.body.checks).every(v => v === 'up');
      expect(res.status).to.equal(allUp ? 200 : 503);
      expect(res.body.status).to.equal(allUp ? 'healthy' : 'unhealthy');
    });
  });

  describe('GET /metrics', function () {
    it("serves Prometheus text with request metrics by route and Moleculer's own", async function () {
      expect((await http('GET', `${system.url}/api/version/latest`, { headers: AUTH })).status).to.equal(200);
      const res = await http('GET', `${system.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      expect(res.text).to.match(/^# TYPE http_requests_total counter$/m);
      expect(res.text).to.match(
        /^http_requests_total\{[^}]*method="GET",route="\/api\/version\/latest",status="200"\} [1-9]\d*$/m,
      );
      expect(res.text).to.match(/^# TYPE http_request_duration_seconds histogram$/m);
      expect(res.text).to.match(
        /^http_request_duration_seconds_bucket\{[^}]*route="\/api\/version\/latest"[^}]*\} \d+$/m,
      );
      expect(res.text).to.match(
        /^moleculer_action_calls_total\{[^}]*action="version\.latest",outcome="ok"\} [1-9]\d*$/m,
      );
      expect(res.text).to.match(
        /^moleculer_action_duration_seconds_bucket\{[^}]*action="version\.latest",le="\+Inf"\} [1-9]\d*$/m,
      );
      // Moleculer's own process and broker metrics are there too.
      expect(res.text).to.match(/^# TYPE moleculer_registry_nodes_total gauge$/m);
    });

    it('counts requests that matched no route under route="unmatched"', async function () {
      expect((await http('GET', `${system.url}/no/such/route`)).status).to.equal(404);
      const res = await http('GET', `${system.url}/metrics`);
      expect(res.text).to.match(/^http_requests_total\{[^}]*method="GET",route="unmatched",status="404"\} [1-9]\d*$/m);
      // Raw URLs as labels would let any client grow the metric set without bound.
      expect(res.text).to.not.include('/no/such/route');
    });
  });

  describe('GET /api/docs/openapi.json', function () {
    let doc: any;

    before(async function () {
      const res = await http('GET', `${system.url}/api/docs/openapi.json`);
      expect(res.status).to.equal(200);
      doc = res.body;
    });

    it('is an OpenAPI 3.1.0 document with the API-key scheme', function () {
      expect(doc.openapi).to.equal('3.1.0');
      expect(doc.info.title).to.equal('V2 License Server');
      expect(doc.components.securitySchemes.ApiKey).to.deep.equal({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    });

    it('documents the client routes behind the API key', function () {
      expect(doc.paths['/api/license/verify'].post.security).to.deep.equal([{ ApiKey: [] }]);
      expect(doc.paths['/api/version/check'].post.security).to.deep.equal([{ ApiKey: [] }]);
      expect(doc.paths['/api/version/check'].post.responses['401'].content['application/json'].schema).to.deep.equal({
        $ref: '#/components/schemas/ApiKeyError',
      });
      expect(doc.paths['/api/license/info/{license_key}'].get.parameters[0]).to.include({
        name: 'license_key',
        in: 'path',
        required: true,
      });
      expect(doc.paths['/'].get.security).to.equal(undefined);
    });

    it("derives the request body from the action's params schema", function () {
      const body = doc.paths['/api/version/check'].post.requestBody;
      expect(body.required).to.equal(true);
      const schema = body.content['application/json'].schema;
      expect(schema.type).to.equal('object');
      expect(schema.additionalProperties).to.equal(false);
      expect(schema.required).to.deep.equal(['current_version']);
      expect(schema.properties).to.have.all.keys('current_version', 'license_key');
      expect(schema.properties.current_version.type).to.equal('string');
      expect(schema.properties.license_key.pattern).to.equal('^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$');
    });
  });

  describe('X-API-Key', function () {
    const url = () => `${system.url}/api/version/latest`;

    it('answers the documented 401 when the header is missing', async function () {
      const res = await http('GET', url());
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal(INVALID_API_KEY);
    });

    it('answers the documented 401 for a wrong key', async function () {
      const res = await http('GET', url(), { headers: { 'x-api-key': 'wrong' } });
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal(INVALID_API_KEY);
    });

    it('answers the documented 401 for a well-formed but unknown key', async function () {
      const res = await http('GET', url(), { headers: { 'x-api-key': `AF-2025-${'aB3'.repeat(10)}xY` } });
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal(INVALID_API_KEY);
    });

    it('lets the seeded test key through', async function () {
      const res = await http('GET', url(), { headers: AUTH });
      expect(res.status).to.equal(200);
      expect(res.body.version).to.equal('1.1.0');
    });
  });

  describe('error format', function () {
    const checkUrl = () => `${system.url}/api/version/check`;

    it('answers 400 INVALID_JSON for a body that is not JSON', async function () {
      const res = await http('POST', checkUrl(), {
        headers: { ...AUTH, 'content-type': 'application/json' },
        rawBody: '{"current_version": ',
      });
      expect(expectError(res, 400, 'INVALID_JSON').details).to.deep.equal({});
    });

    it('answers 413 PAYLOAD_TOO_LARGE for a body over MAX_BODY_BYTES', async function () {
      const rawBody = JSON.stringify({ current_version: 'x'.repeat(1024 * 1024) });
      const res = await http('POST', checkUrl(), { headers: { ...AUTH, 'content-type': 'application/json' }, rawBody });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers 400 for a JSON array body', async function () {
      const res = await http('POST', checkUrl(), { headers: AUTH, body: [{ current_version: '1.0.0' }] });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details).to.deep.equal({ field: '', reason: 'type_invalid' });
    });

    it('answers 415 for a body that is not declared as JSON', async function () {
      const res = await http('POST', checkUrl(), {
        headers: { ...AUTH, 'content-type': 'text/plain' },
        rawBody: 'current_version=1.0.0',
      });
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers 400 unknown_field for a field the action does not accept', async function () {
      const res = await http('POST', checkUrl(), { headers: AUTH, body: { current_version: '1.0.0', admin: true } });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details).to.deep.equal({
        field: 'admin',
        reason: 'unknown_field',
      });
    });

    it('answers 400 type_invalid for a query operator in place of a value', async function () {
      const res = await http('POST', checkUrl(), { headers: AUTH, body: { current_version: { $ne: null } } });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details).to.deep.equal({
        field: 'current_version',
        reason: 'type_invalid',
      });
    });

    it("answers 400 with the field's own code for a malformed license key", async function () {
      const res = await http('POST', checkUrl(), {
        headers: AUTH,
        body: { current_version: '1.0.0', license_key: 'not-a-key' },
      });
      expect(expectError(res, 400, 'INVALID_LICENSE').details).to.deep.equal({
        field: 'license_key',
        reason: 'format_invalid',
      });
    });

    it('answers 400 required for a missing field', async function () {
      const res = await http('POST', checkUrl(), { headers: AUTH, body: {} });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details).to.deep.equal({
        field: 'current_version',
        reason: 'required',
      });
    });

    it('answers 404 ROUTE_NOT_FOUND for an unknown route', async function () {
      const res = await http('GET', `${system.url}/api/nothing-here`);
      expectError(res, 404, 'ROUTE_NOT_FOUND');
    });

    it('answers 405 METHOD_NOT_ALLOWED with Allow for a known path with another method', async function () {
      const res = await http('DELETE', `${system.url}/api/version/latest`, { headers: AUTH });
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow')).to.equal('GET');
    });

    it('still answers a valid request after all of these', async function () {
      const res = await http('POST', checkUrl(), { headers: AUTH, body: { current_version: '1.0.0' } });
      expect(res.status).to.equal(200);
    });
  });

  describe('API-key cache', function () {
    const newKey = `AF-2025-${'Zq7'.repeat(10)}Kp`;
    let conn: mongoose.Connection;

    before(async function () {
      conn = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    });

    after(async function () {
      // Put the test key back so the order of these tests never matters.
      await conn
        .collection<{ _id: string }>('api_keys')
        .updateOne({ _id: 'system' }, { $set: { digest: createHash('sha256').update(TEST_API_KEY).digest('hex') } });
      await system.brokers[0]!.broadcast('apikey.rotated');
      await conn.close();
    });

    it('drops the old key and accepts the new one on the next request after apikey.rotated', async function () {
      const url = `${system.url}/api/version/latest`;
      // Prime the gateway's in-memory key.
      expect((await http('GET', url, { headers: AUTH })).status).to.equal(200);

      const updated = await conn
        .collection<{ _id: string }>('api_keys')
        .updateOne({ _id: 'system' }, { $set: { digest: createHash('sha256').update(newKey).digest('hex') } });
      expect(updated.matchedCount).to.equal(1);
      await system.brokers[0]!.broadcast('apikey.rotated');

      const old = await http('GET', url, { headers: AUTH });
      expect(old.status).to.equal(401);
      expect(old.body).to.deep.equal(INVALID_API_KEY);
      const fresh = await http('GET', url, { headers: { 'x-api-key': newKey } });
      expect(fresh.status).to.equal(200);
      expect(fresh.body.version).to.equal('1.1.0');
    });
  });
});

describe('gateway rate limit', function () {
  this.timeout(20_000);
  let system: TestSystem;

  before(async function () {
    // The shared counters live in Redis, where other suites' requests from 127.0.0.1 also count.
    await resetStores();
    system = await startSystem({ nodes: [['api', 'auth', 'version']], env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '3' } });
  });

  after(async function () {
    await system?.stop();
  });

  it('refuses the 4th request in a minute with 429 and Retry-After, and reports the limit on every answer', async function () {
    await awayFromMinuteBoundary();
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 5; i += 1)
      answers.push(await http('GET', `${system.url}/api/version/latest`, { headers: AUTH }));

    expect(answers.map(a => a.status)).to.deep.equal([200, 200, 200, 429, 429]);
    expect(answers.map(a => a.headers.get('x-ratelimit-limit'))).to.deep.equal(['3', '3', '3', '3', '3']);
    expect(answers.map(a => a.headers.get('x-ratelimit-remaining'))).to.deep.equal(['2', '1', '0', '0', '0']);
    for (const answer of answers) {
      const reset = Number(answer.headers.get('x-ratelimit-reset'));
      expect(reset).to.be.within(1, 60);
    }

    const refused = answers[3]!;
    const error = expectError(refused, 429, 'RATE_LIMIT_EXCEEDED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
    expect(error.details).to.deep.equal({ retry_after: retryAfter });
  });

  it('does not limit the operations endpoints', async function () {
    for (let i = 0; i < 5; i += 1) {
      const res = await http('GET', `${system.url}/health/live`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-ratelimit-limit')).to.equal(null);
    }
  });
});
