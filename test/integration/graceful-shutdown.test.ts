// SIGTERM as Kubernetes sends it (after the preStop sleep): the node turns not-ready at once, the HTTP
// requests and broker calls in flight finish, new connections are refused once they have, and the
// process exits 0 within the grace period (config/topology.ts, lib/infra/graceful-stop.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { ServiceBroker } from 'moleculer';
import { reloadConfig } from '../../config/index.ts';
import { FORCED_EXIT_MS, SHUTDOWN } from '../../config/topology.ts';
import { createBroker } from '../../lib/infra/broker.ts';
import { gracefulStop } from '../../lib/infra/graceful-stop.ts';
import { nodeHealth } from '../../lib/infra/node-health.ts';
import { freePort } from '../helpers/private-servers.ts';
import { NATS_URL, TEST_API_KEY, http } from '../helpers/system.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

async function refused(url: string): Promise<boolean> {
  return http('GET', url).then(
    () => false,
    () => true,
  );
}

/** A POST whose body is sent in two halves: the request is in flight until `finish()`. */
function slowPost(url: string, headers: Record<string, string>, body: string) {
  const half = Math.floor(body.length / 2);
  let finish!: () => void;
  const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length } },
      res => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { answer, finish: () => finish() };
}

describe('graceful shutdown', function () {
  this.timeout(90_000);

  describe('npm start with an HTTP request in flight at SIGTERM', function () {
    let child: ChildProcess | undefined;
    let output = '';

    after(function () {
      if (child && child.exitCode === null) child.kill('SIGKILL');
    });

    it('answers the request in flight with 200, is not ready meanwhile, then refuses connections and exits 0 within the grace period', async function () {
      const port = await freePort();
      const mongo = new URL(process.env.MONGO_URL!);
      mongo.pathname = `/graceful_${process.pid}`;
      child = spawn(process.execPath, ['scripts/start.ts'], {
        cwd: root,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          PORT: String(port),
          HOST: '127.0.0.1',
          MONGO_URL: mongo.toString(),
          NAMESPACE: `grace${randomBytes(3).toString('hex')}`,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>(resolve => child!.once('exit', code => resolve(code)));
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      while ((await http('GET', `${url}/health/ready`).catch(() => undefined))?.status !== 200) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not ready:\n${output}`);
        await sleep(200);
      }

      const verify = slowPost(
        `${url}/api/license/verify`,
        { 'x-api-key': TEST_API_KEY },
        JSON.stringify({ license_key: 'TEST-TEST-TEST-TEST', hardware_hash: 'graceful-shutdown' }),
      );
      await sleep(300);
      const sigterm = Date.now();
      child.kill('SIGTERM');
      await sleep(300);

      const ready = await http('GET', `${url}/health/ready`);
      expect(ready.status).to.equal(503);
      expect(ready.body.status).to.equal('draining');

      verify.finish();
      const answer = await verify.answer;
      expect(answer.status).to.equal(200);
      expect(answer.body).to.include({ valid: false, code: 'NOT_ACTIVATED' });

      const closedBy = Date.now() + 3000;
      while (!(await refused(`${url}/health/live`))) {
        if (Date.now() > closedBy) throw new Error('the listener stayed open after the drain');
        await sleep(50);
      }
      const code = await Promise.race([exited, sleep(FORCED_EXIT_MS).then(() => 'timeout')]);
      expect(code, output).to.equal(0);
      expect(Date.now() - sigterm).to.be.below(
        (SHUTDOWN.terminationGracePeriodSeconds - SHUTDOWN.preStopSeconds) * 1000,
      );
    });
  });

  describe('a node with a broker call in flight', function () {
    let caller: ServiceBroker;
    let worker: ServiceBroker;
    let healthUrl: string;

    before(async function () {
      const namespace = `grace${randomBytes(3).toString('hex')}`;
      reloadConfig({ NODE_ENV: 'test', NAMESPACE: namespace, SERVICES: 'search' });
      const make = (name: string) =>
        createBroker({
          nodeID: `${namespace}-${name}`,
          transporter: NATS_URL as never,
          skipProcessEventRegistration: true,
        });
      caller = make('caller');
      worker = make('worker');
      worker.createService({
        name: 'search',
        actions: {
          async slow() {
            await sleep(1500);
            return { finished: true };
          },
        },
      });
      const port = await nodeHealth(worker).listen(0, '127.0.0.1');
      healthUrl = `http://127.0.0.1:${port}`;
      await Promise.all([caller.start(), worker.start()]);
      await caller.waitForServices(['search'], 10_000);
    });

    after(async function () {
      await caller?.stop();
      if (worker?.started) await worker.stop();
      await nodeHealth(worker).close();
    });

    it('answers 503 draining at once, finishes the call, then stops serving its probes', async function () {
      const before = await http('GET', `${healthUrl}/health/ready`);
      expect(before.status, before.text).to.equal(200);
      const call = caller.call<{ finished: boolean }, object>('search.slow', {});
      await sleep(200);
      const stopped = gracefulStop(worker, { drainMs: SHUTDOWN.drainSeconds * 1000 });

      const ready = await http('GET', `${healthUrl}/health/ready`);
      expect(ready.status).to.equal(503);
      expect(ready.body.status).to.equal('draining');
      expect((await http('GET', `${healthUrl}/health/live`)).status).to.equal(200);

      expect(await call).to.deep.equal({ finished: true });
      await stopped;
      expect(await refused(`${healthUrl}/health/live`)).to.equal(true);
    });
  });
});
