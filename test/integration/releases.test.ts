// Releases through the gateway against a real system (one process, every service): admins publish
// (semver validated, unique, http(s) download URL), list newest first by semver, and the client's
// version API and verify see a new release at once. "Latest" is a property of the whole list, so each
// test starts from no releases at all and publishes what it needs.
import { expect } from 'chai';
import { dropReleaseLists } from '../../mixins/view-invalidation.mixin.ts';
import type { ServiceBroker } from 'moleculer';
import { TEST_CREDENTIALS } from '../../config/index.ts';
import { ReleaseModel } from '../../models/release.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';
import { adminToken as loginAdmin } from '../helpers/admin.ts';

const RELEASE_KEYS = ['id', 'version', 'release_date', 'download_url', 'release_notes', 'is_mandatory'];
const UPDATE_KEYS = ['update_available', 'latest_version', 'download_url', 'release_notes', 'is_mandatory'];

function url(version: string): string {
  return `https://downloads.example.com/app/v${version}`;
}

describe('releases: publish, list, and the version API', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let token: string;

  function admin(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
  }

  function client(method: string, path: string, body?: unknown): Promise<HttpAnswer> {
    return http(method, `${system.url}${path}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { 'x-api-key': TEST_API_KEY },
    });
  }

  async function publish(version: string, extra: Record<string, unknown> = {}): Promise<HttpAnswer> {
    const res = await admin('POST', '/api/versions', { version, download_url: url(version), ...extra });
    expect(res.status, res.text).to.equal(201);
    return res;
  }

  async function listed(): Promise<string[]> {
    const res = await admin('GET', '/api/versions');
    expect(res.status, res.text).to.equal(200);
    return res.body.releases.map((r: { version: string }) => r.version);
  }

  async function latest(): Promise<HttpAnswer> {
    return client('GET', '/api/version/latest');
  }

  async function check(currentVersion: string): Promise<Record<string, unknown>> {
    const res = await client('POST', '/api/version/check', {
      current_version: currentVersion,
      license_key: TEST_CREDENTIALS.licenseKey,
    });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.have.all.keys(...UPDATE_KEYS);
    return res.body;
  }

  async function verifyOn(appVersion: string): Promise<Record<string, unknown>> {
    const res = await client('POST', '/api/license/verify', {
      license_key: TEST_CREDENTIALS.licenseKey,
      hardware_hash: 'release-test-machine',
      app_version: appVersion,
    });
    expect(res.status, res.text).to.equal(200);
    return res.body;
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    token = await loginAdmin(system.url);
  });

  beforeEach(async function () {
    // Drop the seeded and earlier releases, and every cached copy of the list, through the same event
    // a publication sends.
    await ReleaseModel.deleteMany({});
    await dropReleaseLists(broker);
  });

  after(async function () {
    await system?.stop();
  });

  it('with no release at all: latest is 404 NO_RELEASE, check and verify offer no update', async function () {
    expectError(await latest(), 404, 'NO_RELEASE');
    expect(await check('1.0.0')).to.deep.equal({
      update_available: false,
      latest_version: null,
      download_url: null,
      release_notes: null,
      is_mandatory: false,
    });
    expect(await admin('GET', '/api/versions').then(r => r.body)).to.deep.equal({ releases: [] });
  });

  it('publishes a release: 201 with the stored fields; latest, check and verify see it at once', async function () {
    await publish('1.1.0', { release_date: '2025-06-15' });
    // Warm every cache that could keep the old list.
    expect((await latest()).body.version).to.equal('1.1.0');
    expect(await check('1.1.0')).to.include({ update_available: false, latest_version: '1.1.0' });
    expect(await verifyOn('1.1.0')).to.include({ update_available: false, latest_version: '1.1.0' });

    const res = await admin('POST', '/api/versions', {
      version: '1.2.0',
      release_date: '2025-07-01',
      download_url: url('1.2.0'),
      release_notes: 'Faster start-up',
      is_mandatory: false,
    });
    expect(res.status, res.text).to.equal(201);
    expect(res.body).to.have.all.keys(...RELEASE_KEYS);
    expect(res.body).to.deep.include({
      version: '1.2.0',
      release_date: '2025-07-01',
      download_url: url('1.2.0'),
      release_notes: 'Faster start-up',
      is_mandatory: false,
    });
    const stored = await ReleaseModel.findById(res.body.id).lean();
    expect(stored).to.include({
      version: '1.2.0',
      download_url: url('1.2.0'),
      release_notes: 'Faster start-up',
      is_mandatory: false,
    });
    expect(stored!.release_date.toISOString()).to.equal('2025-07-01T00:00:00.000Z');

    const now = await latest();
    expect(now.status, now.text).to.equal(200);
    expect(now.body).to.deep.equal({
      version: '1.2.0',
      release_date: '2025-07-01',
      download_url: url('1.2.0'),
      release_notes: 'Faster start-up',
      is_mandatory: false,
    });
    expect(await check('1.1.0')).to.deep.equal({
      update_available: true,
      latest_version: '1.2.0',
      download_url: url('1.2.0'),
      release_notes: 'Faster start-up',
      is_mandatory: false,
    });
    expect(await verifyOn('1.1.0')).to.include({ update_available: true, latest_version: '1.2.0' });
  });

  it('defaults the release date to today, the notes to empty and is_mandatory to false', async function () {
    const res = await publish('1.2.1');
    expect(res.body).to.include({
      release_date: new Date().toISOString().slice(0, 10),
      release_notes: '',
      is_mandatory: false,
    });
    expect(await ReleaseModel.findById(res.body.id).lean()).to.include({ release_notes: '', is_mandatory: false });
  });

  it('lists newest first by semver, not by text or publication order: 1.10.0 comes before 1.9.0', async function () {
    for (const version of ['1.2.0', '1.10.0', '1.9.0', '1.10.0-rc.1']) await publish(version);
    const res = await admin('GET', '/api/versions');
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.have.all.keys('releases');
    for (const release of res.body.releases) expect(release).to.have.all.keys(...RELEASE_KEYS);
    expect(await listed()).to.deep.equal(['1.10.0', '1.10.0-rc.1', '1.9.0', '1.2.0']);
    expect((await latest()).body.version).to.equal('1.10.0');
    expect(await check('1.9.0')).to.include({ update_available: true, latest_version: '1.10.0' });
    expect(await check('1.10.0')).to.include({ update_available: false, latest_version: '1.10.0' });
    expect(await verifyOn('1.9.0')).to.include({ update_available: true, latest_version: '1.10.0' });
    expectError(await admin('GET', '/api/versions?page=1'), 400, 'VALIDATION_ERROR');
  });

  it('makes the update mandatory when any newer release is mandatory, not only the latest', async function () {
    await publish('1.10.0');
    await publish('1.11.0', { is_mandatory: true, release_notes: 'Security fix' });
    await publish('1.12.0', { release_notes: 'Cosmetics' });
    expect(await check('1.10.0')).to.deep.equal({
      update_available: true,
      latest_version: '1.12.0',
      download_url: url('1.12.0'),
      release_notes: 'Cosmetics',
      is_mandatory: true,
    });
    expect(await check('1.0.0')).to.include({ update_available: true, is_mandatory: true });
    expect(await check('1.11.0')).to.include({ update_available: true, latest_version: '1.12.0', is_mandatory: false });
    expect(await check('1.12.0')).to.include({ update_available: false, is_mandatory: false });
    expect((await latest()).body).to.include({ version: '1.12.0', is_mandatory: false });
  });

  it('refuses versions that are not semver with 400 and stores nothing', async function () {
    for (const version of ['1.0', 'v1.0.0', '1.0.0.0', '01.0.0', '1.0.0-', '', ' 1.0.0', '1.0.0 ', '1.a.0', 'latest']) {
      const res = await admin('POST', '/api/versions', { version, download_url: url('x') });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details, version).to.include({ field: 'version' });
    }
    const numeric = await admin('POST', '/api/versions', { version: 1, download_url: url('1') });
    expect(expectError(numeric, 400, 'VALIDATION_ERROR').details).to.include({
      field: 'version',
      reason: 'type_invalid',
    });
    expect(await ReleaseModel.countDocuments()).to.equal(0);
  });

  it('refuses a version that exists with 409 RELEASE_EXISTS and keeps the original', async function () {
    await publish('1.2.0');
    const res = await admin('POST', '/api/versions', {
      version: '1.2.0',
      download_url: 'https://evil.example.com/x',
      is_mandatory: true,
    });
    expect(expectError(res, 409, 'RELEASE_EXISTS').details).to.include({ field: 'version' });
    expect(await ReleaseModel.countDocuments()).to.equal(1);
    expect(await ReleaseModel.findOne({ version: '1.2.0' }).lean()).to.include({
      download_url: url('1.2.0'),
      is_mandatory: false,
    });
    expect((await latest()).body).to.include({ download_url: url('1.2.0'), is_mandatory: false });
  });

  it('refuses a download URL that is not http(s), and other malformed fields, with 400', async function () {
    await publish('1.0.0');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ download_url: 'ftp://example.com/app.zip' }, 'download_url'],
      [{ download_url: 'javascript:alert(1)' }, 'download_url'],
      [{ download_url: 'file:///etc/passwd' }, 'download_url'],
      [{ download_url: 'example.com/app.zip' }, 'download_url'],
      [{ download_url: 'not a url' }, 'download_url'],
      [{ download_url: `https://example.com/${'a'.repeat(2100)}` }, 'download_url'],
      [{}, 'download_url'],
      [{ download_url: url('9.9.9'), release_date: 'tomorrow' }, 'release_date'],
      [{ download_url: url('9.9.9'), is_mandatory: 'yes' }, 'is_mandatory'],
      [{ download_url: url('9.9.9'), _id: 1 }, '_id'],
      [{ download_url: url('9.9.9'), id: 1 }, 'id'],
    ];
    for (const [fields, field] of cases) {
      const res = await admin('POST', '/api/versions', { version: '9.9.9', ...fields });
      expect(expectError(res, 400, 'VALIDATION_ERROR').details, JSON.stringify(fields).slice(0, 80)).to.include({
        field,
      });
    }
    expect(await ReleaseModel.countDocuments()).to.equal(1);
    expect((await latest()).body.version).to.equal('1.0.0');
  });

  it('POST /api/version/check validates current_version, and the version API needs the API key', async function () {
    const bad = await client('POST', '/api/version/check', { current_version: 'v1' });
    expect(expectError(bad, 400, 'VALIDATION_ERROR').details).to.include({ field: 'current_version' });
    const missing = await client('POST', '/api/version/check', {});
    expect(expectError(missing, 400, 'VALIDATION_ERROR').details).to.include({
      field: 'current_version',
      reason: 'required',
    });
    const unauthorized = { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 };
    const noKey = await http('POST', `${system.url}/api/version/check`, { body: { current_version: '1.0.0' } });
    expect(noKey.status).to.equal(401);
    expect(noKey.body).to.deep.equal(unauthorized);
    const noKeyLatest = await http('GET', `${system.url}/api/version/latest`);
    expect(noKeyLatest.status).to.equal(401);
    expect(noKeyLatest.body).to.deep.equal(unauthorized);
  });
});
