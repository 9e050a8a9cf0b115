// A customer change drops the verify views of that customer's licenses only: the change shows at once
// for its licenses, and every other license's view stays warm (dropping them all would send every
// client's next verify to the database after each customer edit).
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import { adminToken } from '../helpers/admin.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

describe('license views after a customer change', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let db: Connection;
  let admin: Record<string, string>;

  before(async function () {
    await resetStores();
    system = await startSystem({ nodes: [['api', 'auth', 'license', 'device', 'version', 'customer']] });
    admin = { authorization: `Bearer ${await adminToken(system.url)}` };
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
  });

  after(async function () {
    await system?.stop();
    await db?.close();
  });

  async function licensedMachine(customer: string): Promise<{ customerId: number; licenseId: number; key: string }> {
    const c = await http('POST', `${system.url}/api/customers`, {
      headers: admin,
      body: { name: customer, email: `${customer}@example.com` },
    });
    expect(c.status, c.text).to.equal(201);
    const l = await http('POST', `${system.url}/api/licenses`, {
      headers: admin,
      body: { customer_id: c.body.id, type: 'perpetual', max_activations: 2, max_users: 2 },
    });
    expect(l.status, l.text).to.equal(201);
    const a = await http('POST', `${system.url}/api/license/activate`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { license_key: l.body.key, hardware_hash: `${customer}-pc` },
    });
    expect(a.status, a.text).to.equal(200);
    return { customerId: c.body.id, licenseId: l.body.id, key: l.body.key };
  }

  const verify = (key: string, hardware: string) =>
    http('POST', `${system.url}/api/license/verify`, {
      headers: { 'x-api-key': TEST_API_KEY },
      body: { license_key: key, hardware_hash: hardware },
    });

  it("drops only the changed customer's license views", async function () {
    const a = await licensedMachine('alpha');
    const b = await licensedMachine('bravo');
    expect((await verify(a.key, 'alpha-pc')).body.code).to.equal('VALID');
    expect((await verify(b.key, 'bravo-pc')).body.code).to.equal('VALID');

    // Changed behind the services' backs, so only a dropped view would show it: a probe for whether
    // bravo's view survives alpha's change.
    await db.collection<{ _id: number }>('licenses').updateOne({ _id: b.licenseId }, { $set: { is_active: false } });

    const disabled = await http('PUT', `${system.url}/api/customer/${a.customerId}`, {
      headers: admin,
      body: { is_active: false },
    });
    expect(disabled.status, disabled.text).to.equal(200);

    expect((await verify(a.key, 'alpha-pc')).body.code).to.equal('CUSTOMER_DISABLED');
    // Bravo's view is still the warm one from before alpha's change.
    expect((await verify(b.key, 'bravo-pc')).body.code).to.equal('VALID');
  });
});
