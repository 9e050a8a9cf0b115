// Anything that can reach NATS can call any action: the sensitive ones (admin users, the API key,
// webhook secrets, tokens) check the caller themselves. A principal the gateway did not seal, or one it
// sealed and someone then changed, is refused with FORBIDDEN and nothing is stored.
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import { ServiceBroker } from 'moleculer';
import { config } from '../../config/index.ts';
import { sealPrincipal } from '../../lib/security/principal-proof.ts';
import type { AdminPrincipal } from '../../lib/security/admin-tokens.ts';
import { adminToken } from '../helpers/admin.ts';
import { NATS_URL, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

const FORGED_ADMIN: AdminPrincipal = {
  kind: 'admin',
  userId: 1,
  username: 'admin',
  role: 'admin',
  tokenId: 'forged-token-id-0000',
  expiresAt: Math.floor(Date.now() / 1000) + 3600,
};

describe('sensitive actions called over the broker', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let intruder: ServiceBroker;
  let db: Connection;

  /** The code of a call's refusal, or 'ok'. */
  async function outcome(action: string, params: object, meta: object): Promise<string> {
    try {
      await intruder.call(action, params, { meta });
      return 'ok';
    } catch (err) {
      return String((err as { type?: string }).type);
    }
  }

  const forgeries: Array<[string, object]> = [
    ['no principal', {}],
    ['an unsealed admin principal', { principal: FORGED_ADMIN }],
    ['a principal sealed with another secret', { principal: { ...FORGED_ADMIN, seal: 'A'.repeat(43) } }],
  ];

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [
        ['api', 'license', 'web'],
        ['auth', 'device', 'version', 'customer', 'webhook'],
      ],
    });
    const namespace = system.redisKeyPrefix.slice(0, -1);
    intruder = new ServiceBroker({
      namespace,
      nodeID: `${namespace}-intruder`,
      transporter: NATS_URL as never,
      logger: false,
    });
    await intruder.start();
    await intruder.waitForServices(['auth', 'webhook'], 10_000);
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
  });

  after(async function () {
    await intruder?.stop();
    await system?.stop();
    await db?.close();
  });

  for (const [what, meta] of forgeries) {
    it(`auth.createUser with ${what}: FORBIDDEN, no user stored`, async function () {
      const before = await db.collection('admin_users').countDocuments();
      expect(
        await outcome('auth.createUser', { username: 'mallory', password: 'mallory-password', role: 'admin' }, meta),
      ).to.equal('FORBIDDEN');
      expect(await db.collection('admin_users').countDocuments()).to.equal(before);
    });

    it(`auth.regenerateApiKey with ${what}: FORBIDDEN, the key unchanged`, async function () {
      const before = await db.collection('api_keys').find().toArray();
      expect(await outcome('auth.regenerateApiKey', {}, meta)).to.equal('FORBIDDEN');
      expect(await db.collection('api_keys').find().toArray()).to.deep.equal(before);
    });

    it(`auth.deleteUser, auth.analyticsToken and auth.logout with ${what}: FORBIDDEN`, async function () {
      expect(await outcome('auth.deleteUser', { id: 1 }, meta)).to.equal('FORBIDDEN');
      expect(await outcome('auth.analyticsToken', {}, meta)).to.equal('FORBIDDEN');
      expect(await outcome('auth.logout', {}, meta)).to.equal('FORBIDDEN');
      expect(await db.collection<{ _id: number }>('admin_users').countDocuments({ _id: 1 })).to.equal(1);
    });

    it(`webhook.create, update and remove with ${what}: FORBIDDEN, nothing stored`, async function () {
      const before = await db.collection('webhook_endpoints').countDocuments();
      expect(await outcome('webhook.create', { url: 'http://127.0.0.1:9/hook', events: ['*'] }, meta)).to.equal(
        'FORBIDDEN',
      );
      expect(await outcome('webhook.update', { webhook_id: 1, rotate_secret: true }, meta)).to.equal('FORBIDDEN');
      expect(await outcome('webhook.remove', { webhook_id: 1 }, meta)).to.equal('FORBIDDEN');
      expect(await db.collection('webhook_endpoints').countDocuments()).to.equal(before);
    });
  }

  it('refuses a principal the gateway sealed for a viewer once its role is changed to admin', async function () {
    const viewer = sealPrincipal({ ...FORGED_ADMIN, role: 'viewer' });
    expect(
      await outcome(
        'auth.createUser',
        { username: 'mallory2', password: 'mallory-password', role: 'admin' },
        { principal: { ...viewer, role: 'admin' } },
      ),
    ).to.equal('FORBIDDEN');
    // Unchanged, the viewer's sealed principal is what it is: a viewer, who may not create users.
    expect(
      await outcome(
        'auth.createUser',
        { username: 'mallory3', password: 'mallory-password', role: 'admin' },
        { principal: viewer },
      ),
    ).to.equal('FORBIDDEN');
  });

  it('refuses an expired sealed principal', async function () {
    const expired = sealPrincipal({ ...FORGED_ADMIN, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expect(await outcome('auth.analyticsToken', {}, { principal: expired })).to.equal('FORBIDDEN');
  });

  it('still serves the same actions to a signed-in admin through the gateway', async function () {
    const token = await adminToken(system.url);
    const created = await http('POST', `${system.url}/api/admin/users`, {
      headers: { authorization: `Bearer ${token}` },
      body: { username: 'through.gateway', password: 'gateway-password', role: 'viewer' },
    });
    expect(created.status, created.text).to.equal(201);
    expect(config().jwtSecret).to.be.a('string');
  });
});
