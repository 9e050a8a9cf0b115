// Activation through the gateway against a real system (one process, every service): the reference's
// answer, idempotent re-activation, the license checks, the seat limit, seat reuse after deactivation
// and the `license.activated` fact.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Context, ServiceBroker } from 'moleculer';
import { ActivationModel } from '../../models/activation.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { expectError } from '../helpers/expect-error.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Activated {
  license_id: number;
  activation_id: number;
  customer_id: number | null;
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

describe('POST /api/license/activate', function () {
  this.timeout(20_000);
  let system: TestSystem;
  let broker: ServiceBroker;
  let customerId: number;
  const activatedEvents: Activated[] = [];

  async function createLicense(overrides: Record<string, unknown> = {}): Promise<{ id: number; key: string }> {
    return broker.call('license.create', {
      type: 'subscription',
      max_activations: 5,
      max_users: 2,
      valid_until: '2099-12-31',
      customer_id: customerId,
      ...overrides,
    });
  }

  function activate(body: Record<string, unknown>): Promise<HttpAnswer> {
    return http('POST', `${system.url}/api/license/activate`, { body, headers: AUTH });
  }

  async function eventFor(activationId: number): Promise<Activated> {
    for (let i = 0; i < 100; i += 1) {
      const found = activatedEvents.find(e => e.activation_id === activationId);
      if (found) return found;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    throw new Error(`no license.activated event for activation ${activationId}`);
  }

  before(async function () {
    await resetStores();
    system = await startSystem({ env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
    broker = system.brokers[0]!;
    broker.createService({
      name: 'activationSpy',
      events: {
        'license.activated'(ctx: Context<Activated>) {
          activatedEvents.push(ctx.params);
        },
      },
    });
    await broker.waitForServices(['activationSpy'], 5000);
    customerId = await broker.call('customer.ensureTestCustomer', {});
  });

  after(async function () {
    await system?.stop();
  });

  it("activates a machine and answers exactly the reference's shape", async function () {
    const license = await createLicense();
    const hw = hardware();
    const before = Date.now();
    const res = await activate({
      license_key: license.key,
      hardware_hash: hw,
      machine_name: 'DESKTOP-ABC123',
      app_version: '1.0.0',
    });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.have.all.keys('message', 'activation');
    expect(res.body.message).to.equal('License activated successfully');
    const a = res.body.activation;
    expect(a).to.have.all.keys(
      'id',
      'license_key',
      'hardware_hash',
      'machine_name',
      'activated_at',
      'last_heartbeat',
      'is_active',
    );
    expect(a.id).to.be.a('number').and.satisfy(Number.isInteger);
    expect(a).to.include({
      license_key: license.key,
      hardware_hash: hw,
      machine_name: 'DESKTOP-ABC123',
      is_active: true,
    });
    expect(a.activated_at).to.match(ISO_TIMESTAMP);
    expect(Date.parse(a.activated_at)).to.be.within(before - 1000, Date.now() + 1000);
    // No heartbeat yet: the activation itself is the last sign of life.
    expect(a.last_heartbeat).to.equal(a.activated_at);

    const stored = await ActivationModel.findById(a.id).lean();
    expect(stored).to.include({
      license_id: license.id,
      license_key: license.key,
      hardware_hash: hw,
      machine_name: 'DESKTOP-ABC123',
    });
    expect(stored).to.include({ app_version: '1.0.0', is_active: true });
    expect(stored!.slot).to.be.within(0, 4);
  });

  it('re-activating on the same hardware returns the same activation, refreshed, without a second record', async function () {
    const license = await createLicense();
    const hw = hardware();
    const first = await activate({
      license_key: license.key,
      hardware_hash: hw,
      machine_name: 'OLD-NAME',
      app_version: '1.0.0',
    });
    expect(first.status, first.text).to.equal(200);
    const slotBefore = (await ActivationModel.findById(first.body.activation.id).lean())!.slot;
    const again = await activate({
      license_key: license.key,
      hardware_hash: hw,
      machine_name: 'NEW-NAME',
      app_version: '1.1.0',
    });
    expect(again.status, again.text).to.equal(200);
    expect(again.body).to.have.all.keys('message', 'activation');
    expect(again.body.activation.id).to.equal(first.body.activation.id);
    expect(again.body.activation).to.include({ machine_name: 'NEW-NAME', is_active: true, hardware_hash: hw });
    expect(again.body.activation.activated_at).to.equal(first.body.activation.activated_at);

    const records = await ActivationModel.find({ license_id: license.id }).lean();
    expect(records).to.have.lengthOf(1);
    expect(records[0]).to.include({
      _id: first.body.activation.id,
      machine_name: 'NEW-NAME',
      app_version: '1.1.0',
      is_active: true,
    });
    // Same seat: a re-activation neither takes a second one nor moves.
    expect(records[0]!.slot).to.equal(slotBefore);
  });

  it('keeps machine_name and app_version when a re-activation omits them', async function () {
    const license = await createLicense();
    const hw = hardware();
    const first = await activate({
      license_key: license.key,
      hardware_hash: hw,
      machine_name: 'KEEP-ME',
      app_version: '2.0.0',
    });
    expect(first.status, first.text).to.equal(200);
    const again = await activate({ license_key: license.key, hardware_hash: hw });
    expect(again.status, again.text).to.equal(200);
    expect(again.body.activation).to.include({ id: first.body.activation.id, machine_name: 'KEEP-ME' });
    expect(await ActivationModel.findById(first.body.activation.id).lean()).to.include({ app_version: '2.0.0' });
  });

  it('answers an unknown license with 404 LICENSE_NOT_FOUND and stores nothing', async function () {
    const before = await ActivationModel.countDocuments();
    const error = expectError(
      await activate({ license_key: 'ZZZZ-ZZZZ-ZZZZ-ZZZ9', hardware_hash: hardware() }),
      404,
      'LICENSE_NOT_FOUND',
    );
    expect(error.details).to.include({ field: 'license_key' });
    expect(await ActivationModel.countDocuments()).to.equal(before);
  });

  it('refuses an inactive license with 403 LICENSE_INACTIVE', async function () {
    const license = await createLicense({ is_active: false });
    expectError(await activate({ license_key: license.key, hardware_hash: hardware() }), 403, 'LICENSE_INACTIVE');
    expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(0);
  });

  it('refuses an expired license with 403 LICENSE_EXPIRED', async function () {
    const license = await createLicense({ valid_from: '2020-01-01', valid_until: '2020-12-31' });
    expectError(await activate({ license_key: license.key, hardware_hash: hardware() }), 403, 'LICENSE_EXPIRED');
    expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(0);
  });

  it('refuses a license whose validity has not started with 403 LICENSE_NOT_YET_VALID', async function () {
    const license = await createLicense({ valid_from: '2099-01-01', valid_until: '2099-12-31' });
    expectError(await activate({ license_key: license.key, hardware_hash: hardware() }), 403, 'LICENSE_NOT_YET_VALID');
    expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(0);
  });

  it('when every seat is taken, refuses another machine with 409 ACTIVATION_LIMIT_REACHED and the numbers', async function () {
    const license = await createLicense({ max_activations: 2 });
    for (let i = 0; i < 2; i += 1) {
      expect((await activate({ license_key: license.key, hardware_hash: hardware() })).status).to.equal(200);
    }
    const error = expectError(
      await activate({ license_key: license.key, hardware_hash: hardware() }),
      409,
      'ACTIVATION_LIMIT_REACHED',
    );
    expect(error.details).to.deep.equal({ max_activations: 2, current_activations: 2 });
    expect(await ActivationModel.countDocuments({ license_id: license.id })).to.equal(2);
  });

  it('a deactivated device frees its seat, and the same hardware coming back gets its old record', async function () {
    const license = await createLicense({ max_activations: 2 });
    const [hwA, hwB, hwC] = [hardware(), hardware(), hardware()];
    const a = await activate({ license_key: license.key, hardware_hash: hwA });
    const b = await activate({ license_key: license.key, hardware_hash: hwB });
    expect([a.status, b.status]).to.deep.equal([200, 200]);
    expectError(await activate({ license_key: license.key, hardware_hash: hwC }), 409, 'ACTIVATION_LIMIT_REACHED');

    await broker.call('device.deactivate', { license_id: license.id, device_id: a.body.activation.id });
    const c = await activate({ license_key: license.key, hardware_hash: hwC });
    expect(c.status, c.text).to.equal(200);
    expect(c.body.activation.id).to.not.equal(a.body.activation.id);
    // The seat A held went to C: A cannot come back while the license is full.
    expectError(await activate({ license_key: license.key, hardware_hash: hwA }), 409, 'ACTIVATION_LIMIT_REACHED');

    await broker.call('device.deactivate', { license_id: license.id, device_id: c.body.activation.id });
    const aBack = await activate({ license_key: license.key, hardware_hash: hwA });
    expect(aBack.status, aBack.text).to.equal(200);
    expect(aBack.body.activation).to.include({ id: a.body.activation.id, is_active: true, hardware_hash: hwA });

    const records = await ActivationModel.find({ license_id: license.id }).sort({ _id: 1 }).lean();
    expect(records.map(r => r._id)).to.deep.equal([a.body.activation.id, b.body.activation.id, c.body.activation.id]);
    expect(records.map(r => r.is_active)).to.deep.equal([true, true, false]);
    const activeSlots = records.filter(r => r.is_active).map(r => r.slot);
    expect(new Set(activeSlots).size).to.equal(2);
    for (const slot of activeSlots) expect(slot).to.be.within(0, 1);
  });

  it('emits license.activated once per new activation, not on an idempotent re-activation', async function () {
    const license = await createLicense();
    const hw = hardware();
    const first = await activate({ license_key: license.key, hardware_hash: hw });
    expect(first.status, first.text).to.equal(200);
    const firstId: number = first.body.activation.id;
    // The payload, and the envelope every fact carries (lib/core/events.ts FactEnvelope).
    const {
      event_id: eventId,
      at,
      ...payload
    } = (await eventFor(firstId)) as Activated & {
      event_id: string;
      at: string;
    };
    expect(payload).to.deep.equal({ license_id: license.id, activation_id: firstId, customer_id: customerId });
    expect(eventId).to.match(/^[0-9a-f-]{36}$/);
    expect(Date.parse(at)).to.be.closeTo(Date.now(), 60_000);

    expect((await activate({ license_key: license.key, hardware_hash: hw })).status).to.equal(200);
    // A later new activation's event arriving shows the re-activation's would have arrived by now.
    const other = await activate({ license_key: license.key, hardware_hash: hardware() });
    expect(other.status, other.text).to.equal(200);
    await eventFor(other.body.activation.id);

    const forLicense = activatedEvents.filter(e => e.license_id === license.id);
    expect(forLicense.map(e => e.activation_id)).to.deep.equal([firstId, other.body.activation.id]);
  });

  it('emits license.activated again when a deactivated device takes a seat again', async function () {
    const license = await createLicense();
    const hw = hardware();
    const first = await activate({ license_key: license.key, hardware_hash: hw });
    const id: number = first.body.activation.id;
    await eventFor(id);
    await broker.call('device.deactivate', { license_id: license.id, device_id: id });
    const back = await activate({ license_key: license.key, hardware_hash: hw });
    expect(back.status, back.text).to.equal(200);
    expect(back.body.message).to.equal('License activated successfully');
    for (let i = 0; i < 100 && activatedEvents.filter(e => e.activation_id === id).length < 2; i += 1) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    expect(activatedEvents.filter(e => e.activation_id === id)).to.have.lengthOf(2);
  });
});
