// License views are loaded in batches: the keys asked for in one turn of the event loop are read with
// one query per source (licenses, customers, machines), and each key still gets its own view.
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { createBroker, loadServices } from '../../lib/infra/broker.ts';
import { CounterChild } from '../../lib/observability/hot-metrics.ts';
import { ActivationModel } from '../../models/activation.model.ts';
import { BATCH_MAX, ViewLoader } from '../../services/license/view-loader.ts';
import { NO_LICENSE_VIEW } from '../../services/license/views.ts';
import { SEATS_OF_MAX } from '../../services/device/internal.actions.ts';
import { adminToken } from '../helpers/admin.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

describe('license view loads', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let admin: Record<string, string>;

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api', 'auth', 'license', 'device', 'version', 'customer']] });
    admin = { authorization: `Bearer ${await adminToken(system.url)}` };
  });

  after(async function () {
    await system?.stop();
  });

  function counters() {
    return { batches: new CounterChild({}), views: new CounterChild({}) };
  }

  async function customer(name: string): Promise<number> {
    const res = await http('POST', `${system.url}/api/customers`, {
      headers: admin,
      body: { name, email: `${name}@example.com` },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body.id;
  }

  async function license(customerId: number | null, machines: string[]): Promise<{ id: number; key: string }> {
    const res = await http('POST', `${system.url}/api/licenses`, {
      headers: admin,
      body: {
        ...(customerId === null ? {} : { customer_id: customerId }),
        type: 'perpetual',
        max_activations: 5,
        max_users: 5,
      },
    });
    expect(res.status, res.text).to.equal(201);
    for (const hw of machines) {
      const a = await http('POST', `${system.url}/api/license/activate`, {
        headers: { 'x-api-key': TEST_API_KEY },
        body: { license_key: res.body.key, hardware_hash: hw },
      });
      expect(a.status, a.text).to.equal(200);
    }
    return { id: res.body.id, key: res.body.key };
  }

  describe('ViewLoader.load', function () {
    it('loads the keys asked for in one turn in one batch, each with its own customer and machines', async function () {
      const acme = await customer('acme-loader');
      const closed = await customer('closed-loader');
      const a = await license(acme, ['a-pc-1', 'a-pc-2']);
      const b = await license(closed, ['b-pc']);
      const off = await http('PUT', `${system.url}/api/customer/${closed}`, {
        headers: admin,
        body: { is_active: false },
      });
      expect(off.status, off.text).to.equal(200);
      const c = await license(null, []);
      const count = counters();
      const loader = new ViewLoader(system.brokers[0]!, count);

      const [va, vb, vc] = await Promise.all([loader.load(a.key), loader.load(b.key), loader.load(c.key)]);

      expect(count.batches.value).to.equal(1);
      expect(count.views.value).to.equal(3);
      expect(va.license?.id).to.equal(a.id);
      expect(va.customer).to.include({ name: 'acme-loader', is_active: true });
      expect([...va.activations.keys()]).to.have.members(['a-pc-1', 'a-pc-2']);
      expect(vb.customer).to.include({ is_active: false });
      expect([...vb.activations.keys()]).to.deep.equal(['b-pc']);
      expect(vc.license?.id).to.equal(c.id);
      expect(vc.customer).to.equal(null);
      expect(vc.activations.size).to.equal(0);
    });

    it('answers a key that names no license with the empty view, beside found ones', async function () {
      const a = await license(null, ['x-pc']);
      const loader = new ViewLoader(system.brokers[0]!);
      const [found, missing] = await Promise.all([loader.load(a.key), loader.load('ZZZZ-ZZZZ-ZZZZ-ZZZZ')]);
      expect(found.license?.key).to.equal(a.key);
      expect(missing).to.equal(NO_LICENSE_VIEW);
    });

    it('shares one load between two asks for the same key in one turn', async function () {
      const a = await license(null, []);
      const count = counters();
      const loader = new ViewLoader(system.brokers[0]!, count);
      const [one, two] = await Promise.all([loader.load(a.key), loader.load(a.key)]);
      expect(one).to.equal(two);
      expect(count.views.value).to.equal(1);
    });

    it('answers a deactivated machine as inactive', async function () {
      const a = await license(null, ['gone-pc', 'kept-pc']);
      await ActivationModel.updateOne({ license_id: a.id, hardware_hash: 'gone-pc' }, { $set: { is_active: false } });
      const view = await new ViewLoader(system.brokers[0]!).load(a.key);
      expect(view.activations.get('gone-pc')?.is_active).to.equal(false);
      expect(view.activations.get('kept-pc')?.is_active).to.equal(true);
    });

    it(`splits more than ${BATCH_MAX} keys asked at once into batches of at most ${BATCH_MAX}`, async function () {
      const a = await license(null, ['split-pc']);
      const count = counters();
      const loader = new ViewLoader(system.brokers[0]!, count);
      const keys = Array.from({ length: BATCH_MAX + 5 }, (_, i) => `${String(i).padStart(4, '0')}-ZZZZ-ZZZZ-ZZZZ`);
      const views = await Promise.all([...keys.map(k => loader.load(k)), loader.load(a.key)]);
      expect(count.batches.value).to.equal(2);
      expect(count.views.value).to.equal(BATCH_MAX + 6);
      expect(views.at(-1)!.license?.id).to.equal(a.id);
      expect(views.slice(0, -1).every(v => v === NO_LICENSE_VIEW)).to.equal(true);
    });

    it('fails every key of a batch whose read fails', async function () {
      const a = await license(null, []);
      const b = await license(null, []);
      const broken = createBroker({ nodeID: 'view-loader-broken', transporter: null as never });
      await broken.start(); // no device service: the machines cannot be read
      try {
        const loader = new ViewLoader(broken);
        const results = await Promise.allSettled([loader.load(a.key), loader.load(b.key)]);
        expect(results.map(r => r.status)).to.deep.equal(['rejected', 'rejected']);
      } finally {
        await broken.stop();
      }
    });
  });

  describe('device.seatsOf', function () {
    it('refuses an empty list and one over its limit with a validation error', async function () {
      const broker = system.brokers[0]!;
      for (const license_ids of [[], Array.from({ length: SEATS_OF_MAX + 1 }, (_, i) => i + 1)]) {
        const err = await broker.call('device.seatsOf', { license_ids }).then(
          () => null,
          (e: Error & { type?: string; data?: { field?: string } }) => e,
        );
        expect(err?.type, `${license_ids.length} ids`).to.equal('VALIDATION_ERROR');
        expect(err?.data?.field).to.equal('license_ids');
      }
    });

    it('answers every license asked for, one without machines with an empty list', async function () {
      const a = await license(null, ['seat-1']);
      const b = await license(null, []);
      const seats = await system.brokers[0]!.call<Record<string, unknown[]>, object>('device.seatsOf', {
        license_ids: [a.id, b.id],
      });
      expect(Object.keys(seats)).to.have.members([String(a.id), String(b.id)]);
      expect(seats[a.id]).to.have.lengthOf(1);
      expect(seats[a.id]![0]).to.include({ hardware_hash: 'seat-1', is_active: true });
      expect(seats[b.id]).to.deep.equal([]);
    });
  });

  describe('with a device service of the release before device.seatsOf (rolling upgrade)', function () {
    let older: ServiceBroker;

    before(async function () {
      older = createBroker({ nodeID: 'view-loader-older', transporter: null as never });
      await loadServices(older, ['customer']);
      // The older device service: forLicense only, answering every record of a license.
      older.createService({
        name: 'device',
        actions: {
          forLicense: {
            params: { license_id: 'number' },
            async handler(ctx: { params: { license_id: number } }) {
              const docs = await ActivationModel.find({ license_id: ctx.params.license_id }).lean();
              return docs.map(d => ({ id: d._id, hardware_hash: d.hardware_hash, is_active: d.is_active }));
            },
          },
        },
      });
      await older.start();
    });

    after(async function () {
      await older?.stop();
    });

    it('reads the machines one license at a time through device.forLicense', async function () {
      const a = await license(null, ['old-1', 'old-2']);
      const b = await license(null, ['old-3']);
      const [va, vb] = await Promise.all([new ViewLoader(older).load(a.key), new ViewLoader(older).load(b.key)]);
      expect([...va.activations.keys()]).to.have.members(['old-1', 'old-2']);
      expect([...vb.activations.keys()]).to.deep.equal(['old-3']);
    });
  });
});
