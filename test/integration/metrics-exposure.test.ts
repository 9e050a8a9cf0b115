// What /metrics tells whoever can read it: service figures, never facts about the host (user name,
// home folder, network addresses, MAC, process arguments). In production the API port does not serve
// metrics at all: they are on METRICS_PORT, an internal port.
import { expect } from 'chai';
import { freePort } from '../helpers/private-servers.ts';
import { http, startSystem, type TestSystem } from '../helpers/system.ts';

const HOST_FACTS = [/os_user_/, /os_network_/, /os_hostname/, /process_arguments/, /homedir/, /process_pid\b/];

describe('GET /metrics exposure', function () {
  this.timeout(30_000);

  describe('outside production', function () {
    let system: TestSystem;
    before(async function () {
      system = await startSystem({ nodes: [['api', 'auth', 'license', 'device', 'version', 'customer']] });
    });
    after(() => system?.stop());

    it('serves service metrics on the API port, without a single metric about the host', async function () {
      const res = await http('GET', `${system.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('http_requests_total');
      expect(res.text).to.include('process_memory_heap_size_used');
      // The services' start-up created their indexes: database commands are counted from the first.
      expect(res.text).to.match(/db_command_duration_seconds_count\{[^}]*command="createIndexes"/);
      for (const fact of HOST_FACTS) expect(res.text).to.not.match(fact);
    });
  });

  describe('in production', function () {
    let system: TestSystem;
    let metricsPort: number;
    before(async function () {
      metricsPort = await freePort();
      system = await startSystem({
        nodes: [['api', 'auth', 'license', 'device', 'version', 'customer']],
        env: {
          NODE_ENV: 'production',
          MONGO_URL: process.env.MONGO_URL!,
          JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
          ADMIN_USERNAME: 'operator',
          ADMIN_PASSWORD: 'a-long-production-password',
          WEBHOOK_SECRET_KEY: 'a-production-webhook-key-of-at-least-32-characters',
          METRICS_PORT: String(metricsPort),
          LOG_LEVEL: 'warn',
        },
      });
    });
    after(() => system?.stop());

    it('answers 404 for /metrics on the public API port', async function () {
      const res = await http('GET', `${system.url}/metrics`);
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('ROUTE_NOT_FOUND');
    });

    it('serves them on METRICS_PORT, also without host facts', async function () {
      const res = await http('GET', `http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('process_memory_heap_size_used');
      // This system started against the database the first one created: that is not a database error.
      expect(res.text).to.match(/db_command_duration_seconds_count\{[^}]*command="createIndexes"/);
      expect(res.text).to.not.match(/db_command_duration_seconds_count\{[^}]*outcome="error"/);
      for (const fact of HOST_FACTS) expect(res.text).to.not.match(fact);
    });
  });
});
