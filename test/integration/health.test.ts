// The gateway's probes (services/api/health.ts). Readiness covers what this gateway needs to serve, so
// a shared outage (Redis, the database) no longer takes every gateway out of the load balancer: that
// is a deliberate change (issue 12, finding 6). /health still reports every dependency, answers 503
// when one is down, and publishes the same state as dependency_up{dependency}. Redis and the database
// here are the test's own (test/helpers/private-servers.ts), never the machine's.
import { expect } from 'chai';
import { nodeHealth } from '../../lib/infra/node-health.ts';
import { startPrivateMongo, startPrivateRedis, type PrivateServer } from '../helpers/private-servers.ts';
import { TEST_API_KEY, http, startSystem, type TestSystem } from '../helpers/system.ts';

/** The gateway group and what a verify needs, in one process. */
const NODE: ['api', 'license', 'auth', 'customer', 'device', 'version'] = [
  'api',
  'license',
  'auth',
  'customer',
  'device',
  'version',
];
/** The gateway runs the dependency checks at most once a second and answers from that in between. */
const HEALTH_CACHE_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function gauge(metrics: string, dependency: string): string | undefined {
  const line = metrics
    .split('\n')
    .find(l => l.startsWith('dependency_up{') && l.includes(`dependency="${dependency}"`));
  return line?.split(' ').pop();
}

describe('health probes', function () {
  this.timeout(60_000);
  let redis: PrivateServer;
  let mongo: Awaited<ReturnType<typeof startPrivateMongo>> | undefined;
  let system: TestSystem;

  before(async function () {
    redis = await startPrivateRedis();
    mongo = await startPrivateMongo();
    system = await startSystem({ nodes: [NODE], env: { REDIS_URL: redis.url, MONGO_URL: mongo.url } });
  });

  after(async function () {
    await redis?.restart().catch(() => undefined);
    await system?.stop();
    await redis?.stop();
    await mongo?.cleanUp();
  });

  describe('with every dependency up', function () {
    it('GET /health/ready answers 200 ready, checking the broker, the local license service and the API key', async function () {
      const res = await http('GET', `${system.url}/health/ready`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.status).to.equal('ready');
      expect(res.body.checks).to.deep.equal({ broker: 'up', license: 'up', api_key: 'up' });
    });

    it('GET /health answers 200 healthy with the database, Redis and the broker up', async function () {
      const res = await http('GET', `${system.url}/health`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.status).to.equal('healthy');
      expect(res.body.checks).to.deep.equal({ database: 'up', redis: 'up', broker: 'up' });
    });

    it('publishes dependency_up 1 for the database, Redis and NATS', async function () {
      await http('GET', `${system.url}/health`);
      const metrics = (await http('GET', `${system.url}/metrics`)).text;
      expect(gauge(metrics, 'database')).to.equal('1');
      expect(gauge(metrics, 'redis')).to.equal('1');
      expect(gauge(metrics, 'nats')).to.equal('1');
    });
  });

  describe('when Redis stops (changed on purpose: a shared outage no longer makes gateways not-ready)', function () {
    before(async function () {
      // A verify first, so the license's view is warm in this gateway.
      await http('POST', `${system.url}/api/license/verify`, {
        headers: { 'x-api-key': TEST_API_KEY },
        body: { license_key: 'TEST-TEST-TEST-TEST', hardware_hash: 'health-test' },
      });
      await redis.stop();
      await sleep(HEALTH_CACHE_MS + 100);
    });

    after(async function () {
      await redis.restart();
    });

    it('GET /health/ready still answers 200 ready', async function () {
      const res = await http('GET', `${system.url}/health/ready`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.status).to.equal('ready');
    });

    it('GET /health answers 503 unhealthy with redis down and the database up', async function () {
      const res = await http('GET', `${system.url}/health`);
      expect(res.status).to.equal(503);
      expect(res.body.status).to.equal('unhealthy');
      expect(res.body.checks.redis).to.equal('down');
      expect(res.body.checks.database).to.equal('up');
    });

    it('publishes dependency_up 0 for Redis', async function () {
      await http('GET', `${system.url}/health`);
      const metrics = (await http('GET', `${system.url}/metrics`)).text;
      expect(gauge(metrics, 'redis')).to.equal('0');
      expect(gauge(metrics, 'database')).to.equal('1');
    });

    it('GET /health/live answers 200 alive', async function () {
      const res = await http('GET', `${system.url}/health/live`);
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('alive');
    });
  });

  describe('when the database server stops (changed on purpose: readiness does not depend on it)', function () {
    before(async function () {
      await mongo!.cleanUp();
      mongo = undefined;
      await sleep(HEALTH_CACHE_MS + 100);
    });

    it('GET /health answers 503 unhealthy with the database down and Redis up', async function () {
      const res = await http('GET', `${system.url}/health`);
      expect(res.status).to.equal(503);
      expect(res.body.status).to.equal('unhealthy');
      expect(res.body.checks.database).to.equal('down');
      expect(res.body.checks.redis).to.equal('up');
    });

    it('GET /health/ready still answers 200 ready', async function () {
      const res = await http('GET', `${system.url}/health/ready`);
      expect(res.status, res.text).to.equal(200);
    });

    it('GET /health/live answers 200: restarting the process would not bring the database back', async function () {
      expect((await http('GET', `${system.url}/health/live`)).status).to.equal(200);
    });
  });

  describe('once the node is draining (SIGTERM)', function () {
    it('GET /health/ready answers 503 draining, and /health/live still 200', async function () {
      nodeHealth(system.brokers[0]!).draining = true;
      try {
        const res = await http('GET', `${system.url}/health/ready`);
        expect(res.status).to.equal(503);
        expect(res.body.status).to.equal('draining');
        expect((await http('GET', `${system.url}/health/live`)).status).to.equal(200);
      } finally {
        nodeHealth(system.brokers[0]!).draining = false;
      }
    });
  });
});
