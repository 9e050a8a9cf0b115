// The reference's test credentials in production mode: the test license key never verifies, activates
// or heartbeats, whatever the database holds (data copied from development, or an admin who typed the
// key in): it is answered as no license at all. The test API key is refused at the gateway, and the
// test JWT secret stops the configuration from loading.
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import { ConfigError, TEST_CREDENTIALS, loadConfig } from '../../config/index.ts';
import { loginAs } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

const ADMIN = { username: 'operator', password: 'a-long-production-password' };
const API_KEY = `AF-${new Date().getUTCFullYear()}-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345`;
const TEST_KEY = TEST_CREDENTIALS.licenseKey;
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  JWT_SECRET: 'a-production-jwt-secret-of-at-least-32-characters',
  ADMIN_USERNAME: ADMIN.username,
  ADMIN_PASSWORD: ADMIN.password,
  API_KEY,
  WEBHOOK_SECRET_KEY: 'a-production-webhook-key-of-32-characters-or-more',
  METRICS_PORT: '0',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '10000',
};

describe('the reference test credentials in production mode', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let db: Connection;
  let admin: Record<string, string>;
  const client = (headers: Record<string, string> = {}) => ({ 'x-api-key': API_KEY, ...headers });

  before(async function () {
    await resetStores();
    // The auth service reads the first API key from the environment itself (services/auth/seed.ts).
    process.env.API_KEY = API_KEY;
    system = await startSystem({
      nodes: [['api', 'auth', 'license', 'device', 'version', 'customer']],
      env: PRODUCTION_ENV,
    });
    admin = { authorization: `Bearer ${await loginAs(system.url, ADMIN.username, ADMIN.password)}` };
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
    // An admin types the test key in (or a development database was copied over) ...
    const created = await http('POST', `${system.url}/api/licenses`, {
      headers: admin,
      body: { key: TEST_KEY, type: 'perpetual', max_activations: 5, max_users: 5 },
    });
    expect(created.status, created.text).to.equal(201);
    // ... with a machine already activated on it.
    await db.collection('activations').insertOne({
      _id: 900_001,
      license_id: created.body.id,
      license_key: TEST_KEY,
      hardware_hash: 'copied-machine',
      machine_name: 'dev box',
      app_version: '1.0.0',
      slot: 0,
      is_active: true,
      activated_at: new Date(),
      deactivated_at: null,
      last_heartbeat: null,
    } as never);
  });

  after(async function () {
    delete process.env.API_KEY;
    await system?.stop();
    await db?.close();
  });

  it('seeds no test license itself', async function () {
    // Only the one the admin created above.
    expect(await db.collection('licenses').countDocuments({ key: TEST_KEY })).to.equal(1);
  });

  it('verify answers NOT_FOUND for the test key, even for a machine activated on it', async function () {
    for (const hardware of ['copied-machine', 'another-machine']) {
      const res = await http('POST', `${system.url}/api/license/verify`, {
        headers: client(),
        body: { license_key: TEST_KEY, hardware_hash: hardware },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ valid: false, code: 'NOT_FOUND' });
      expect(res.body).not.to.have.property('license');
    }
  });

  it('activate answers 404 LICENSE_NOT_FOUND for the test key and stores nothing', async function () {
    const before = await db.collection('activations').countDocuments();
    const res = await http('POST', `${system.url}/api/license/activate`, {
      headers: client(),
      body: { license_key: TEST_KEY, hardware_hash: 'new-machine' },
    });
    expectError(res, 404, 'LICENSE_NOT_FOUND');
    expect(await db.collection('activations').countDocuments()).to.equal(before);
  });

  it('heartbeat answers NOT_FOUND for the test key and records nothing', async function () {
    const res = await http('POST', `${system.url}/api/license/heartbeat`, {
      headers: client(),
      body: { license_key: TEST_KEY, hardware_hash: 'copied-machine' },
    });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({ valid: false, success: false, code: 'NOT_FOUND', last_heartbeat: null });
  });

  it('license info and the legacy routes know no test license either', async function () {
    expectError(
      await http('GET', `${system.url}/api/license/info/${TEST_KEY}`, { headers: client() }),
      404,
      'LICENSE_NOT_FOUND',
    );
    expectError(
      await http('POST', `${system.url}/api/v1/activate`, {
        headers: client(),
        body: { license_key: TEST_KEY, hardware_id: 'legacy-machine' },
      }),
      404,
      'LICENSE_NOT_FOUND',
    );
    const validate = await http('POST', `${system.url}/api/v1/validate`, {
      headers: client(),
      body: { license_key: TEST_KEY, hardware_id: 'copied-machine', activation_id: 900_001 },
    });
    expect(validate.body).to.include({ valid: false, code: 'NOT_FOUND' });
  });

  it('still serves every other license', async function () {
    const created = await http('POST', `${system.url}/api/licenses`, {
      headers: admin,
      body: { type: 'perpetual', max_activations: 1, max_users: 1 },
    });
    const activated = await http('POST', `${system.url}/api/license/activate`, {
      headers: client(),
      body: { license_key: created.body.key, hardware_hash: 'real-machine' },
    });
    expect(activated.status, activated.text).to.equal(200);
    const verified = await http('POST', `${system.url}/api/license/verify`, {
      headers: client(),
      body: { license_key: created.body.key, hardware_hash: 'real-machine' },
    });
    expect(verified.body).to.include({ valid: true, code: 'VALID' });
  });

  it('refuses the test API key at the gateway, even if its digest is the stored key', async function () {
    const res = await http('GET', `${system.url}/api/version/latest`, {
      headers: { 'x-api-key': TEST_CREDENTIALS.apiKey },
    });
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
  });

  it('does not load a production configuration with the test JWT secret', function () {
    const { JWT_SECRET: _secret, ...rest } = PRODUCTION_ENV;
    expect(() => loadConfig({ ...rest, MONGO_URL: 'mongodb://db:27017/x', JWT_SECRET: TEST_CREDENTIALS.jwtSecret }))
      .to.throw(ConfigError)
      .with.property('variable', 'JWT_SECRET');
  });
});
