// A gateway node and a service node as separate brokers over the machine's NATS: the API key check
// (auth.activeApiKeyDigest) and the action itself both cross the transporter.
import { expect } from 'chai';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

describe('gateway and services on separate nodes over NATS', function () {
  this.timeout(20_000);
  let system: TestSystem;

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api'], ['auth', 'version']] });
  });

  after(async function () {
    await system?.stop();
  });

  it('runs the gateway and the services on different, NATS-connected nodes', function () {
    expect(system.brokers).to.have.lengthOf(2);
    const [gateway, services] = system.brokers;
    expect(gateway!.transit?.connected).to.equal(true);
    expect(gateway!.getLocalService('version')).to.equal(undefined);
    expect(services!.getLocalService('api')).to.equal(undefined);
    expect(system.urls).to.have.lengthOf(1);
  });

  it('answers an authenticated GET /api/version/latest with the seeded release', async function () {
    const res = await http('GET', `${system.url}/api/version/latest`, { headers: { 'x-api-key': TEST_API_KEY } });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({
      version: '1.1.0',
      release_date: '2025-06-15',
      download_url: 'https://example.com/download/v1.1.0',
      release_notes: 'Bug fixes and performance improvements',
      is_mandatory: false,
    });
  });

  it('answers a wrong key with the documented 401', async function () {
    const res = await http('GET', `${system.url}/api/version/latest`, { headers: { 'x-api-key': 'not-the-key' } });
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
  });

  it('carries validation errors from the service node in the reference format', async function () {
    const res = await http('POST', `${system.url}/api/version/check`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { current_version: '1.0.0', extra: 1 },
    });
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({
      error: {
        code: 'VALIDATION_ERROR',
        message: 'extra is not an accepted field',
        details: { field: 'extra', reason: 'unknown_field' },
      },
    });
  });

  it("keeps a field's own error code and the 400 status across the transporter", async function () {
    const res = await http('POST', `${system.url}/api/version/check`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { current_version: '1.0.0', license_key: 'not-a-key' },
    });
    expect(res.status, res.text).to.equal(400);
    expect(res.body.error.code).to.equal('INVALID_LICENSE');
    expect(res.body.error.details).to.deep.equal({ field: 'license_key', reason: 'format_invalid' });
  });
});

describe('a gateway whose auth service is not there (yet)', function () {
  this.timeout(20_000);
  let system: TestSystem;

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api'], ['version']] });
  });

  after(async function () {
    await system?.stop();
  });

  it('answers 503 with Retry-After at once instead of retrying the request (whose body is already read)', async function () {
    const started = Date.now();
    const res = await http('POST', `${system.url}/api/version/check`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { current_version: '1.0.0' },
    });
    expect(res.status, res.text).to.equal(503);
    expect(res.body.error.code).to.equal('SERVICE_UNAVAILABLE');
    expect(res.headers.get('retry-after')).to.equal('5');
    expect(Date.now() - started).to.be.below(5000);
  });

  // Readiness is the gateway's own state (issue 12, finding 6): no license service beside it and no API
  // key digest it could load, so it cannot serve a client call.
  it('is not ready: no license service and no API key', async function () {
    const res = await http('GET', `${system.url}/health/ready`);
    expect(res.status).to.equal(503);
    expect(res.body.checks).to.include({ license: 'down', api_key: 'down' });
  });
});
