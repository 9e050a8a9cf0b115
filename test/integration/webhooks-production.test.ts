// Webhook URLs in production mode: loopback, private, link-local, CGNAT, unique-local, unspecified,
// multicast and cluster-internal targets are refused when saved (400 WEBHOOK_URL_NOT_ALLOWED, nothing
// stored) and again when sent. Names are resolved by a fake resolver put into the running service,
// so nothing is looked up and no connection is made to any address.
import { expect } from 'chai';
import { WebhookEndpointModel } from '../../models/webhook-endpoint.model.ts';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import type { WebhookThis } from '../../services/webhook/state.ts';
import type { Resolver } from '../../services/webhook/url-policy.ts';
import { http, resetStores, startSystem, type HttpAnswer, type TestSystem } from '../helpers/system.ts';
import { loginAs } from '../helpers/admin.ts';
import { expectError } from '../helpers/expect-error.ts';

const ADMIN = { username: 'operator', password: 'a-long-production-password' };

describe('webhook URLs in production mode', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let service: WebhookThis;
  let admin: Record<string, string>;
  const asked: string[] = [];
  let table: Record<string, string[]> = {};

  const call = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    http(method, `${system.url}${path}`, { headers: admin, ...(body !== undefined ? { body } : {}) });

  const fakeResolver: Resolver = host => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) return Promise.reject(new Error(`ENOTFOUND ${host}`));
    return Promise.resolve(addresses.map(address => ({ address, family: address.includes(':') ? 6 : 4 })));
  };

  before(async function () {
    await resetStores();
    system = await startSystem({
      nodes: [['api', 'auth', 'webhook']],
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'error',
        JWT_SECRET: 'a-production-jwt-secret-of-at-least-32-characters',
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
        WEBHOOK_SECRET_KEY: 'a-production-webhook-key-of-32-characters-or-more',
        WEBHOOK_RETRY_SCHEDULE: '0',
      },
    });
    service = system.brokers[0]!.getLocalService('webhook') as unknown as WebhookThis;
    service.resolveHost = fakeResolver;
    admin = { authorization: `Bearer ${await loginAs(system.url, ADMIN.username, ADMIN.password)}` };
  });

  after(async function () {
    await system?.stop();
  });

  async function expectNotAllowed(url: string, reason: string): Promise<void> {
    const before = await WebhookEndpointModel.countDocuments();
    const res = await call('POST', '/api/webhooks', { url, events: ['*'] });
    const error = expectError(res, 400, 'WEBHOOK_URL_NOT_ALLOWED');
    expect(error.details).to.include({ field: 'url', reason });
    expect(await WebhookEndpointModel.countDocuments()).to.equal(before);
  }

  describe('POST /api/webhooks', function () {
    for (const url of [
      'http://127.0.0.1:8080/hooks',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/hooks',
      'http://172.16.0.1/hooks',
      'http://192.168.1.10/hooks',
      'http://100.64.0.1/hooks',
      'http://[::1]/hooks',
      'http://[fd00::1]/hooks',
      'http://[::ffff:127.0.0.1]/hooks',
      'http://0.0.0.0/hooks',
      'http://224.0.0.1/hooks',
    ]) {
      it(`refuses ${url} (address not allowed) and stores nothing`, async function () {
        await expectNotAllowed(url, 'address_not_allowed');
      });
    }

    for (const url of [
      'http://localhost:8080/hooks',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://redis.default.svc/',
      'http://api.prod.svc.cluster.local/hooks',
      'http://printer.local/',
      'http://intranet/hooks',
    ]) {
      it(`refuses ${url} (internal name) without looking it up`, async function () {
        const before = asked.length;
        await expectNotAllowed(url, 'internal_name');
        expect(asked).to.have.lengthOf(before);
      });
    }

    it('refuses a public-looking name that resolves to a private address', async function () {
      table = { 'hooks.example.com': ['10.20.30.40'] };
      await expectNotAllowed('https://hooks.example.com/in', 'address_not_allowed');
      expect(asked.at(-1)).to.equal('hooks.example.com');
    });

    it('refuses a name when one of its addresses is private', async function () {
      table = { 'hooks.example.com': ['93.184.216.34', '192.168.0.5'] };
      await expectNotAllowed('https://hooks.example.com/in', 'address_not_allowed');
    });

    it('refuses a name that does not resolve', async function () {
      table = {};
      await expectNotAllowed('https://gone.example.com/in', 'unresolvable');
    });

    it('refuses the same URLs in PUT, changing nothing', async function () {
      table = { 'hooks.example.com': ['93.184.216.34'] };
      // Saved inactive and subscribed to nothing that happens here: it is never sent to.
      const created = await call('POST', '/api/webhooks', {
        url: 'https://hooks.example.com/in',
        events: ['license_expiration'],
        active: false,
      });
      expect(created.status, created.text).to.equal(201);
      const res = await call('PUT', `/api/webhook/${created.body.id}`, { url: 'http://10.0.0.1/' });
      expectError(res, 400, 'WEBHOOK_URL_NOT_ALLOWED');
      const stored = await WebhookEndpointModel.findById(created.body.id).lean();
      expect(stored!.url).to.equal('https://hooks.example.com/in');
    });
  });

  describe('sending', function () {
    it('checks again before each attempt: a name that now resolves privately is refused, nothing sent', async function () {
      table = { 'rebind.example.com': ['93.184.216.34'] };
      const created = await call('POST', '/api/webhooks', {
        url: 'https://rebind.example.com/in',
        events: ['license_expiration'],
        active: false,
      });
      expect(created.status, created.text).to.equal(201);
      // DNS changes after the URL was saved; the test event then goes through the send-time check.
      table = { 'rebind.example.com': ['127.0.0.1'] };
      const test = await call('POST', `/api/webhook/${created.body.id}/test`, {});
      expect(test.status, test.text).to.equal(202);
      const failed = async () => {
        for (let i = 0; i < 200; i += 1) {
          const found = await WebhookDeliveryModel.findById(test.body.delivery_id).lean();
          if (found?.state === 'failed') return found;
          await new Promise(resolve => setTimeout(resolve, 25));
        }
        throw new Error('the test delivery did not end failed');
      };
      const delivery = await failed();
      expect(delivery.attempts).to.have.lengthOf(2);
      for (const attempt of delivery.attempts) {
        expect(attempt.status_code).to.equal(null);
        expect(attempt.error).to.match(/^refused: url resolves to a non-public address \(loopback\)/);
      }
    });
  });
});
