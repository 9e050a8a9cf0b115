// The reference's client examples against a real system (one process): the Python class run as
// written (test/clients/license_client.py), and the C# request shape with hardware_id as an object.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { ActivationModel } from '../../models/activation.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const PYTHON_CLIENT = fileURLToPath(new URL('../clients/license_client.py', import.meta.url));
const run = promisify(execFile);

interface PythonRun {
  activation: Record<string, any>;
  validation: Record<string, any> | null;
}

describe('legacy client routes (/api/v1/*)', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let broker: ServiceBroker;

  async function createLicense(): Promise<{ id: number; key: string }> {
    return broker.call('license.create', {
      type: 'subscription',
      max_activations: 3,
      max_users: 3,
      valid_until: '2099-12-31',
    });
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
  });

  after(async function () {
    await system?.stop();
  });

  describe("the reference's Python client", function () {
    before(function () {
      const probe = spawnSync('python3', ['-c', 'import requests'], { encoding: 'utf8' });
      if (probe.status !== 0) {
        console.warn(
          `    skipped: python3 with the requests package is needed (${(probe.error?.message ?? probe.stderr).trim()})`,
        );
        this.skip();
      }
    });

    async function runClient(args: string[], env: Record<string, string> = {}): Promise<PythonRun> {
      const { stdout } = await run('python3', [PYTHON_CLIENT, system.url, ...args], {
        env: { ...process.env, LICENSE_API_KEY: '', ...env },
        timeout: 15_000,
      });
      return JSON.parse(stdout) as PythonRun;
    }

    it('as written (no X-API-Key) gets the documented 401 from /api/v1/activate', async function () {
      const license = await createLicense();
      const out = await runClient([license.key, `py-${randomBytes(6).toString('hex')}`]);
      expect(out.activation).to.deep.equal({
        error: 'Invalid or missing API key',
        code: 'INVALID_API_KEY',
        status: 401,
      });
      expect(out.validation).to.equal(null);
      expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(0);
    });

    it('with the API key added to its sessions, activates and validates', async function () {
      const license = await createLicense();
      const hardwareId = `py-${randomBytes(6).toString('hex')}`;
      const out = await runClient([license.key, hardwareId], { LICENSE_API_KEY: TEST_API_KEY });

      expect(out.activation).to.include({ success: true, message: 'License activated successfully' });
      expect(out.activation.activation_id).to.be.a('number');
      expect(out.activation.activation).to.include({
        id: out.activation.activation_id,
        license_key: license.key,
        hardware_hash: hardwareId,
        machine_name: hostname(),
        is_active: true,
      });
      expect(out.validation).to.include({ valid: true, code: 'VALID', message: 'License is valid' });
      expect(out.validation!.license).to.deep.equal({ key: license.key, valid_until: '2099-12-31', max_users: 3 });
      // The client says it runs 1.0.0: the seeded 1.1.0 is an update.
      expect(out.validation).to.include({ update_available: true, latest_version: '1.1.0' });

      const stored = await ActivationModel.find({ license_id: license.id }).lean();
      expect(stored).to.have.lengthOf(1);
      expect(stored[0]).to.include({
        _id: out.activation.activation_id,
        hardware_hash: hardwareId,
        app_version: '1.0.0',
      });
    });

    it('run again on the same machine gets the same activation back', async function () {
      const license = await createLicense();
      const hardwareId = `py-${randomBytes(6).toString('hex')}`;
      const first = await runClient([license.key, hardwareId], { LICENSE_API_KEY: TEST_API_KEY });
      const second = await runClient([license.key, hardwareId], { LICENSE_API_KEY: TEST_API_KEY });
      expect(second.activation.activation_id).to.equal(first.activation.activation_id);
      expect(second.validation).to.include({ valid: true });
      expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(1);
    });
  });

  describe('the C# request shape: hardware_id as a HardwareInfo object', function () {
    const MACHINE = { CpuId: 'BFEBFBFF000906EA', MotherboardSerial: 'MB-1234-5678', DiskSerial: 'WD-WCC4N0123456' };
    const SAME_MACHINE_REORDERED = {
      DiskSerial: 'WD-WCC4N0123456',
      CpuId: 'BFEBFBFF000906EA',
      MotherboardSerial: 'MB-1234-5678',
    };

    function post(path: string, body: Record<string, unknown>): Promise<HttpAnswer> {
      return http('POST', `${system.url}${path}`, { body, headers: AUTH });
    }

    it('activates, and the same object with its keys in another order validates as the same machine', async function () {
      const license = await createLicense();
      const activated = await post('/api/v1/activate', {
        license_key: license.key,
        hardware_id: MACHINE,
        machine_name: 'WIN-CSHARP',
        app_version: '1.0.0',
      });
      expect(activated.status, activated.text).to.equal(200);
      expect(activated.body).to.include({ success: true });
      const activationId: number = activated.body.activation_id;
      expect(activationId).to.be.a('number');
      expect(activated.body.activation).to.include({ id: activationId, machine_name: 'WIN-CSHARP', is_active: true });
      const derivedHash: string = activated.body.activation.hardware_hash;
      expect(derivedHash).to.be.a('string').and.not.include('CpuId');

      const validated = await post('/api/v1/validate', {
        license_key: license.key,
        activation_id: activationId,
        hardware_id: SAME_MACHINE_REORDERED,
        app_version: '1.0.0',
      });
      expect(validated.status, validated.text).to.equal(200);
      expect(validated.body).to.include({ valid: true, code: 'VALID' });

      // Activating again in the other order is the same machine: same record, no second seat.
      const again = await post('/api/v1/activate', { license_key: license.key, hardware_id: SAME_MACHINE_REORDERED });
      expect(again.status, again.text).to.equal(200);
      expect(again.body.activation_id).to.equal(activationId);
      expect(again.body.activation.hardware_hash).to.equal(derivedHash);
      const stored = await ActivationModel.find({ license_id: license.id }).lean();
      expect(stored).to.have.lengthOf(1);
      expect(stored[0]).to.include({ _id: activationId, hardware_hash: derivedHash });

      // The derived hash is what the modern routes know the machine by.
      const verified = await http('POST', `${system.url}/api/license/verify`, {
        body: { license_key: license.key, hardware_hash: derivedHash },
        headers: AUTH,
      });
      expect(verified.body).to.include({ valid: true, code: 'VALID' });
    });

    it('another machine (one serial differs) is NOT_ACTIVATED', async function () {
      const license = await createLicense();
      const activated = await post('/api/v1/activate', { license_key: license.key, hardware_id: MACHINE });
      expect(activated.status, activated.text).to.equal(200);
      const res = await post('/api/v1/validate', {
        license_key: license.key,
        activation_id: activated.body.activation_id,
        hardware_id: { ...MACHINE, DiskSerial: 'WD-OTHER-DISK' },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ valid: false, code: 'NOT_ACTIVATED' });
    });

    it("an activation_id that is not this machine's is NOT_ACTIVATED", async function () {
      const license = await createLicense();
      const mine = await post('/api/v1/activate', { license_key: license.key, hardware_id: MACHINE });
      const other = await post('/api/v1/activate', {
        license_key: license.key,
        hardware_id: { ...MACHINE, CpuId: 'OTHER-CPU' },
      });
      expect([mine.status, other.status]).to.deep.equal([200, 200]);
      const res = await post('/api/v1/validate', {
        license_key: license.key,
        activation_id: other.body.activation_id,
        hardware_id: MACHINE,
      });
      expect(res.body).to.include({ valid: false, code: 'NOT_ACTIVATED' });
      // The right id, sent as a string as some clients do, is accepted.
      const right = await post('/api/v1/validate', {
        license_key: license.key,
        activation_id: String(mine.body.activation_id),
        hardware_id: MACHINE,
      });
      expect(right.body).to.include({ valid: true, code: 'VALID' });
    });

    it('needs the API key like every client route', async function () {
      const res = await http('POST', `${system.url}/api/v1/activate`, {
        body: { license_key: 'TEST-TEST-TEST-TEST', hardware_id: MACHINE },
      });
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal({ error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 });
    });

    it('refuses an empty HardwareInfo and an operator-only license key with 400', async function () {
      const empty = await post('/api/v1/activate', { license_key: 'TEST-TEST-TEST-TEST', hardware_id: {} });
      expect(empty.status, empty.text).to.equal(400);
      expect(empty.body.error.details).to.include({ field: 'hardware_id' });
      const operator = await post('/api/v1/validate', { license_key: { $ne: null }, hardware_id: MACHINE });
      expect(operator.status, operator.text).to.equal(400);
      expect(operator.body.error).to.include({ code: 'INVALID_LICENSE' });
    });
  });
});
