// The activation limit under concurrency: many machines racing for a few seats, in one process and with
// the requests spread over two license-service nodes connected by NATS. The same assertions run against
// both deployments; the stored records are the judge, not only the HTTP answers.
import { randomBytes } from 'node:crypto';
import { hotMetrics } from '../../lib/observability/hot-metrics.ts';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import type { ServiceName } from '../../config/index.ts';
import { ActivationModel } from '../../models/activation.model.ts';
import { TEST_API_KEY, http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';

const AUTH = { 'x-api-key': TEST_API_KEY };
const MAX_ACTIVATIONS = 5;
const MACHINES = 50;

/** How many `license.activate` calls this broker's own license service handled. */
function activationsHandled(broker: ServiceBroker): number {
  return hotMetrics(broker).total('moleculer_action_calls_total', { action: 'license.activate' });
}

function hardware(): string {
  return `hw-${randomBytes(8).toString('hex')}`;
}

/**
 * startSystem's wait is satisfied by each node's own services, so nodes may not have discovered each
 * other yet: a broadcast then misses a node. Wait until every node knows every other.
 */
const DEPLOYMENTS: Array<{ name: string; nodes?: ServiceName[][] }> = [
  { name: 'one process' },
  {
    // No license service on the gateway node: moleculer prefers local endpoints, and the point is to
    // have both license nodes race for the same seats.
    name: 'two license-service nodes over NATS',
    nodes: [
      ['api', 'auth', 'version', 'customer'],
      ['license', 'device'],
      ['license', 'device'],
    ],
  },
];

for (const deployment of DEPLOYMENTS) {
  describe(`activation limit under concurrency (${deployment.name})`, function () {
    this.timeout(30_000);
    let system: TestSystem;
    let broker: ServiceBroker;

    async function createLicense(maxActivations: number): Promise<{ id: number; key: string }> {
      return broker.call('license.create', {
        type: 'subscription',
        max_activations: maxActivations,
        max_users: 2,
        valid_until: '2099-12-31',
      });
    }

    function activate(body: Record<string, unknown>): Promise<HttpAnswer> {
      return http('POST', `${system.url}/api/license/activate`, { body, headers: AUTH });
    }

    before(async function () {
      await resetStores();
      system = await startSystem({ nodes: deployment.nodes, env: { RATE_LIMIT_PUBLIC_PER_MINUTE: '100000' } });
      broker = system.brokers[0]!;
      // The gateway must know both license nodes, or every request goes to the first one it found.
    });

    after(async function () {
      await system?.stop();
    });

    it(`of ${MACHINES} concurrent activations on ${MAX_ACTIVATIONS} seats, exactly ${MAX_ACTIVATIONS} succeed and are stored`, async function () {
      const license = await createLicense(MAX_ACTIVATIONS);
      const handledBefore = system.brokers.map(activationsHandled);
      const answers = await Promise.all(
        Array.from({ length: MACHINES }, (_, i) =>
          activate({ license_key: license.key, hardware_hash: hardware(), machine_name: `M-${i}` }),
        ),
      );

      const ok = answers.filter(a => a.status === 200);
      const refused = answers.filter(a => a.status === 409);
      expect(ok, 'answers 200').to.have.lengthOf(MAX_ACTIVATIONS);
      expect(refused, 'answers 409').to.have.lengthOf(MACHINES - MAX_ACTIVATIONS);
      for (const r of refused) {
        expect(r.body.error.code).to.equal('ACTIVATION_LIMIT_REACHED');
        expect(r.body.error.details).to.deep.equal({
          max_activations: MAX_ACTIVATIONS,
          current_activations: MAX_ACTIVATIONS,
        });
      }

      const stored = await ActivationModel.find({ license_id: license.id }).lean();
      // Losers leave nothing behind: no inactive records, no half-claimed seats.
      expect(stored).to.have.lengthOf(MAX_ACTIVATIONS);
      expect(stored.every(a => a.is_active)).to.equal(true);
      const seats = stored.map(a => a.slot).sort((x, y) => x - y);
      expect(seats).to.deep.equal([0, 1, 2, 3, 4]);
      expect(stored.map(a => a._id).sort()).to.deep.equal(ok.map(a => a.body.activation.id as number).sort());
      expect(new Set(stored.map(a => a.hardware_hash)).size).to.equal(MAX_ACTIVATIONS);

      if (deployment.nodes) {
        const handled = system.brokers.map((b, i) => activationsHandled(b) - handledBefore[i]!);
        expect(handled[0], 'gateway node runs no license service').to.equal(0);
        expect(handled[1], 'license node 1 served requests').to.be.above(0);
        expect(handled[2], 'license node 2 served requests').to.be.above(0);
        expect(handled[1]! + handled[2]!).to.equal(MACHINES);
      }
    });

    it('20 concurrent activations of one machine all succeed with one and the same record', async function () {
      const license = await createLicense(MAX_ACTIVATIONS);
      const hw = hardware();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => activate({ license_key: license.key, hardware_hash: hw })),
      );
      for (const a of answers) expect(a.status, a.text).to.equal(200);
      const ids = new Set(answers.map(a => a.body.activation.id as number));
      expect(ids.size).to.equal(1);

      const stored = await ActivationModel.find({ license_id: license.id }).lean();
      expect(stored).to.have.lengthOf(1);
      expect(stored[0]).to.include({ _id: [...ids][0], hardware_hash: hw, is_active: true });
      expect(stored[0]!.slot).to.be.within(0, MAX_ACTIVATIONS - 1);
    });
  });
}
