// API key rotation in the production topology: two gateway nodes and one service node, separate brokers
// over the machine's NATS. Both gateways hold the active key in memory; a regeneration through one of
// them must make BOTH refuse the old key on the very next request.
import { expect } from 'chai';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { API_KEY_PATTERN } from '../../lib/security/api-keys.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

describe('API key rotation across two gateways over NATS', function () {
  this.timeout(60_000);

  let system: TestSystem;

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api'], ['api'], ['auth', 'version']] });
    expect(system.urls).to.have.length(2);
  });

  after(async function () {
    await system?.stop();
    await resetStores();
  });

  const latest = (gateway: string, key: string) =>
    http('GET', `${gateway}/api/version/latest`, { headers: { 'x-api-key': key } });

  it('after a regeneration through gateway 0, both gateways refuse the old key and accept the new one at once', async function () {
    const [gateway0, gateway1] = system.urls as [string, string];
    // Warm both gateways' in-memory copies of the current key, so the test proves invalidation, not a cold load.
    for (const gateway of system.urls) expect((await latest(gateway, TEST_CREDENTIALS.apiKey)).status).to.equal(200);

    const login = await http('POST', `${gateway0}/api/admin/login`, {
      body: { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword },
    });
    expect(login.status, login.text).to.equal(200);
    // The admin token is verified on gateway 1 as well (same secret, revocations in the shared Redis).
    const auth = { authorization: `Bearer ${login.body.token as string}` };
    expect((await http('GET', `${gateway1}/api/admin/api-key`, { headers: auth })).status).to.equal(200);

    const rotated = await http('POST', `${gateway0}/api/admin/api-key/regenerate`, { headers: auth });
    expect(rotated.status, rotated.text).to.equal(200);
    const newKey = rotated.body.api_key as string;
    expect(newKey).to.match(API_KEY_PATTERN);

    // No waiting: the very next requests, on both gateways, in parallel.
    const [old0, old1, new0, new1] = await Promise.all([
      latest(gateway0, TEST_CREDENTIALS.apiKey),
      latest(gateway1, TEST_CREDENTIALS.apiKey),
      latest(gateway0, newKey),
      latest(gateway1, newKey),
    ]);
    for (const refused of [old0, old1]) {
      expect(refused.status).to.equal(401);
      expect(refused.body).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
    }
    expect(new0.status, new0.text).to.equal(200);
    expect(new1.status, new1.text).to.equal(200);
    expect(new1.body).to.have.property('version');

    const info = await http('GET', `${gateway1}/api/admin/api-key`, { headers: auth });
    expect(info.body.prefix).to.equal(`${newKey.slice(0, 12)}...`);
  });

  it('a second rotation through gateway 1 retires the first new key everywhere as well', async function () {
    const [gateway0, gateway1] = system.urls as [string, string];
    const login = await http('POST', `${gateway1}/api/admin/login`, {
      body: { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword },
    });
    const auth = { authorization: `Bearer ${login.body.token as string}` };
    const first = (await http('POST', `${gateway1}/api/admin/api-key/regenerate`, { headers: auth })).body
      .api_key as string;
    for (const gateway of system.urls) expect((await latest(gateway, first)).status).to.equal(200);
    const second = (await http('POST', `${gateway1}/api/admin/api-key/regenerate`, { headers: auth })).body
      .api_key as string;
    const answers = await Promise.all([
      latest(gateway0, first),
      latest(gateway1, first),
      latest(gateway0, second),
      latest(gateway1, second),
    ]);
    expect(answers.map(a => a.status)).to.deep.equal([401, 401, 200, 200]);
  });

  it('a logout through one gateway revokes the token on the other', async function () {
    const [gateway0, gateway1] = system.urls as [string, string];
    const login = await http('POST', `${gateway0}/api/admin/login`, {
      body: { username: TEST_CREDENTIALS.adminUsername, password: TEST_CREDENTIALS.adminPassword },
    });
    const auth = { authorization: `Bearer ${login.body.token as string}` };
    expect((await http('GET', `${gateway1}/api/admin/users`, { headers: auth })).status).to.equal(200);
    expect((await http('POST', `${gateway0}/api/admin/logout`, { headers: auth })).status).to.equal(200);
    const after = await http('GET', `${gateway1}/api/admin/users`, { headers: auth });
    expect(after.status).to.equal(401);
    expect(after.body.error.code).to.equal('TOKEN_REVOKED');
  });
});
