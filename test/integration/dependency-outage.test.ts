// A dependency that is down or hangs makes the requests that need it fail fast with 503 and
// Retry-After, never hang until the broker's timeout, never 500; they succeed again once it is back.
// Redis and the database here are the test's own (test/helpers/private-servers.ts), never the machine's.
import { expect } from 'chai';
import { adminToken } from '../helpers/admin.ts';
import { startPrivateMongo, startPrivateRedis, type PrivateServer } from '../helpers/private-servers.ts';
import { http, startSystem, type TestSystem } from '../helpers/system.ts';

describe('dependency outages', function () {
  this.timeout(60_000);
  let redis: PrivateServer;
  let mongo: Awaited<ReturnType<typeof startPrivateMongo>>;
  let system: TestSystem;
  let token: string;

  before(async function () {
    redis = await startPrivateRedis();
    mongo = await startPrivateMongo();
    system = await startSystem({
      nodes: [['api', 'auth', 'license', 'device', 'version', 'customer']],
      env: { REDIS_URL: redis.url, MONGO_URL: mongo.url, DATABASE_SOCKET_TIMEOUT_MS: '2000' },
    });
    token = await adminToken(system.url);
  });

  after(async function () {
    redis?.resume();
    await system?.stop();
    await redis?.stop();
    await mongo?.cleanUp();
  });

  async function timedAdminRead(): Promise<{ status: number; retryAfter: string | null; ms: number; text: string }> {
    const started = Date.now();
    const res = await http('GET', `${system.url}/api/licenses`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started, text: res.text };
  }

  it('a Redis that hangs (paused, connections open) fails admin requests with 503 within 2.5 s', async function () {
    expect((await timedAdminRead()).status).to.equal(200);
    redis.pause();
    try {
      const answer = await timedAdminRead();
      expect(answer.status, answer.text).to.equal(503);
      expect(answer.retryAfter).to.equal('5');
      expect(answer.ms).to.be.below(2500);
    } finally {
      redis.resume();
    }
    await new Promise(resolve => setTimeout(resolve, 200));
    expect((await timedAdminRead()).status).to.equal(200);
  });

  it('a database that hangs (paused, connections open) fails reads with 503 within 5 s (a 2 s socket timeout here, one driver retry), and they work again once it is back', async function () {
    process.kill(mongo.server.pid!, 'SIGSTOP');
    try {
      const answer = await timedAdminRead();
      expect(answer.status, answer.text).to.equal(503);
      expect(answer.retryAfter).to.equal('5');
      expect(answer.ms).to.be.below(5000);
    } finally {
      process.kill(mongo.server.pid!, 'SIGCONT');
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await timedAdminRead()).status;
      if (status !== 200) await new Promise(resolve => setTimeout(resolve, 200));
    }
    expect(status).to.equal(200);
  });
});
