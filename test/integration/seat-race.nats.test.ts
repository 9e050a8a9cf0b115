// The activation limit under a race with quick-edit: many activations arrive at two gateways while an
// admin lowers max_activations, with the license and device services on two nodes each over NATS.
// Whatever the interleaving, the active activations never exceed the license's limit as stored, and
// no active seat lies at or above it.
import { expect } from 'chai';
import mongoose, { type Connection } from 'mongoose';
import { adminToken } from '../helpers/admin.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

/**
 * When the edit is sent relative to the burst of activations, cycled over the rounds: before it (the
 * activations follow 10 or 4 ms later), with it, or up to 24 ms into it. Which side wins depends on the
 * machine's load, so rounds go on (up to MAX_ROUNDS) until both an accepted edit and a refused
 * activation were seen: every round checks the invariant, and the race must have been real.
 */
const EDIT_OFFSETS_MS = [-10, -4, 0, 8, 16, 24];
const MIN_ROUNDS = 8;
const MAX_ROUNDS = 24;
const ACTIVATIONS_PER_ROUND = 24;
const START_LIMIT = 10;
const LOWERED_LIMIT = 3;

interface StoredActivation {
  license_id: number;
  slot: number;
  is_active: boolean;
}

describe('activation limit racing with a lowered max_activations (two gateways, two device nodes)', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let db: Connection;
  let admin: Record<string, string>;

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [['api', 'license', 'auth', 'version', 'customer'], ['api', 'license'], ['device'], ['device']],
      env: {
        RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
        RATE_LIMIT_ADMIN_PER_MINUTE: '100000',
        // The race is about the invariant, not latency: on a loaded machine 24 activations over NATS
        // against the embedded database can take longer than the 2 s client deadline, which would
        // show as 503s instead of the answers this test counts.
        CLIENT_REQUEST_TIMEOUT_MS: '15000',
      },
    });
    admin = { authorization: `Bearer ${await adminToken(system.url)}` };
    db = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
  });

  after(async function () {
    await system?.stop();
    await db?.close();
  });

  async function state(licenseId: number): Promise<{ max: number; active: StoredActivation[] }> {
    const license = await db
      .collection<{ _id: number; max_activations: number }>('licenses')
      .findOne({ _id: licenseId });
    const active = await db
      .collection<StoredActivation>('activations')
      .find({ license_id: licenseId, is_active: true })
      .toArray();
    return { max: license!.max_activations, active };
  }

  it('never leaves more active activations than max_activations, nor a seat at or above it', async function () {
    const outcomes = { editAccepted: 0, editRefused: 0, activated: 0, limitReached: 0, other: [] as string[] };
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (round >= MIN_ROUNDS && outcomes.editAccepted > 0 && outcomes.limitReached > 0) break;
      const created = await http('POST', `${system.url}/api/licenses`, {
        headers: admin,
        body: { type: 'subscription', max_activations: START_LIMIT, max_users: 100 },
      });
      expect(created.status, created.text).to.equal(201);
      const { id, key } = created.body as { id: number; key: string };

      const activate = () =>
        Array.from({ length: ACTIVATIONS_PER_ROUND }, (_, i) =>
          http('POST', `${system.urls[i % system.urls.length]}/api/license/activate`, {
            headers: { 'x-api-key': TEST_API_KEY },
            body: { license_key: key, hardware_hash: `race-${round}-${i}` },
          }),
        );
      const quickEdit = () =>
        http('POST', `${system.url}/api/license/${id}/quick-edit`, {
          headers: admin,
          body: { max_activations: LOWERED_LIMIT },
        });
      const offset = EDIT_OFFSETS_MS[round % EDIT_OFFSETS_MS.length]!;
      const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
      let edit: ReturnType<typeof quickEdit>;
      let activations: ReturnType<typeof activate>;
      if (offset <= 0) {
        edit = quickEdit();
        if (offset < 0) await pause(-offset);
        activations = activate();
      } else {
        activations = activate();
        await pause(offset);
        edit = quickEdit();
      }
      const [editAnswer, ...answers] = await Promise.all([edit, ...activations]);

      if (editAnswer.status === 200) outcomes.editAccepted += 1;
      else if (editAnswer.status === 409) outcomes.editRefused += 1;
      else outcomes.other.push(`edit ${editAnswer.status} ${editAnswer.text}`);
      for (const a of answers) {
        if (a.status === 200) outcomes.activated += 1;
        else if (a.status === 409 && a.body?.error?.code === 'ACTIVATION_LIMIT_REACHED') outcomes.limitReached += 1;
        else outcomes.other.push(`activate ${a.status} ${a.text}`);
      }

      const { max, active } = await state(id);
      expect(active.length, `round ${round}: ${active.length} active, limit ${max}`).to.be.at.most(max);
      for (const a of active) expect(a.slot, `round ${round}`).to.be.within(0, max - 1);
      // What the edit answered is what is stored.
      expect(max).to.equal(editAnswer.status === 200 ? LOWERED_LIMIT : START_LIMIT);
    }
    expect(outcomes.other).to.deep.equal([]);
    // The race was real: edits went through while activations were being refused and accepted.
    expect(outcomes.editAccepted, JSON.stringify(outcomes)).to.be.above(0);
    expect(outcomes.limitReached, JSON.stringify(outcomes)).to.be.above(0);
  });
});
