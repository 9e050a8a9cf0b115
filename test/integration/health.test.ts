// /health and /health/ready reflect the real state of the dependencies: Redis refused from the start,
// and a database server that goes away while the system runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongodb.ts';
import { http, resetStores, startSystem, type TestSystem } from '../helpers/system.ts';

const NODE: ['api', 'auth', 'version'] = ['api', 'auth', 'version'];
/** The gateway runs the real checks at most once a second and answers from that in between. */
const HEALTH_CACHE_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

describe('health checks', function () {
  this.timeout(30_000);

  describe('when Redis is unreachable', function () {
    let system: TestSystem;

    before(async function () {
      await resetStores();
      // Port 1: nothing listens there, so every connection attempt is refused.
      system = await startSystem({ nodes: [NODE], env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    });

    after(async function () {
      await system?.stop();
    });

    it('still starts and answers /health/live', async function () {
      const res = await http('GET', `${system.url}/health/live`);
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('alive');
    });

    it('answers /health with 503 and redis down, database up', async function () {
      const res = await http('GET', `${system.url}/health`);
      expect(res.status).to.equal(503);
      expect(res.body.status).to.equal('unhealthy');
      expect(res.body.checks.redis).to.equal('down');
      expect(res.body.checks.database).to.equal('up');
    });

    it('answers /health/ready with 503 and redis down', async function () {
      const res = await http('GET', `${system.url}/health/ready`);
      expect(res.status).to.equal(503);
      expect(res.body.status).to.equal('not_ready');
      expect(res.body.checks.redis).to.equal('down');
    });
  });

  describe('when the database server stops', function () {
    let dataDir: string;
    let mongo: EmbeddedMongo | undefined;
    let system: TestSystem | undefined;

    before(async function () {
      await resetStores();
      dataDir = await mkdtemp(path.join(tmpdir(), 'license-health-mongo-'));
      mongo = await startEmbeddedMongo({ dir: dataDir });
      system = await startSystem({ nodes: [NODE], env: { MONGO_URL: `${mongo.url}health_test` } });
    });

    after(async function () {
      await system?.stop();
      await mongo?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('reports the database up while its server runs, then 503 with database down once it is gone', async function () {
      const url = system!.url;
      const up = await http('GET', `${url}/health`);
      expect(up.body.checks.database).to.equal('up');
      expect(up.body.checks.redis).to.equal('up');
      const readyUp = await http('GET', `${url}/health/ready`);
      expect(readyUp.body.checks.database).to.equal('up');
      // The status is 200 exactly when every check is up (the broker check needs services not run here).
      const allUp = Object.values(up.body.checks).every(v => v === 'up');
      expect(up.status).to.equal(allUp ? 200 : 503);

      await mongo!.stop();
      mongo = undefined;
      await sleep(HEALTH_CACHE_MS + 100);

      const down = await http('GET', `${url}/health`);
      expect(down.status).to.equal(503);
      expect(down.body.status).to.equal('unhealthy');
      expect(down.body.checks.database).to.equal('down');
      expect(down.body.checks.redis).to.equal('up');
      const readyDown = await http('GET', `${url}/health/ready`);
      expect(readyDown.status).to.equal(503);
      expect(readyDown.body.status).to.equal('not_ready');
      expect(readyDown.body.checks.database).to.equal('down');
      // Liveness does not depend on the database: restarting the process would not bring it back.
      expect((await http('GET', `${url}/health/live`)).status).to.equal(200);
    });
  });
});
