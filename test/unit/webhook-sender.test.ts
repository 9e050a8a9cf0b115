// One delivery attempt (services/webhook/sender.ts) against receivers on 127.0.0.1: the headers, the
// pinned address, no redirects, the deadline, the bounded read, and the production refusal before any
// connection. Names are resolved by injected resolvers only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { EXCERPT_LENGTH, USER_AGENT, send, type SendRequest } from '../../services/webhook/sender.ts';
import type { Resolver } from '../../services/webhook/url-policy.ts';

interface TestServer {
  port: number;
  requests: Array<{ headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function resolverTo(address: string): Resolver & { calls: number } {
  const resolve = () => {
    resolve.calls += 1;
    return Promise.resolve([{ address, family: 4 as const }]);
  };
  resolve.calls = 0;
  return resolve;
}

const noLookup: Resolver = host => Promise.reject(new Error(`no lookup expected for ${host}`));

function request(url: string, overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    url,
    body: '{"event":"webhook.test"}',
    headers: { 'webhook-id': '7', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,abc' },
    timeoutMs: 2000,
    production: false,
    resolve: noLookup,
    ...overrides,
  };
}

describe('webhook sender', function () {
  this.timeout(10_000);
  const servers: TestServer[] = [];
  async function server(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
    const s = await serve(handler);
    servers.push(s);
    return s;
  }

  afterEach(async function () {
    await Promise.all(servers.splice(0).map(s => s.close()));
  });

  it('POSTs the body with the Standard Webhooks headers, JSON and its User-Agent', async function () {
    const s = await server((_req, res) => res.end('thanks'));
    const outcome = await send(request(`http://127.0.0.1:${s.port}/in`));
    expect(outcome).to.include({ ok: true, status_code: 200, error: null, response_excerpt: 'thanks' });
    expect(outcome.duration_ms).to.be.a('number').and.at.least(0);
    const [got] = s.requests;
    expect(got!.body).to.equal('{"event":"webhook.test"}');
    expect(got!.headers).to.include({
      'webhook-id': '7',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,abc',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
    });
  });

  it('connects to the address it resolved once, keeping the URL host in the Host header', async function () {
    const s = await server((_req, res) => res.end());
    const resolver = resolverTo('127.0.0.1');
    const outcome = await send(request(`http://receiver.example.test:${s.port}/in`, { resolve: resolver }));
    expect(outcome.ok, outcome.error ?? '').to.equal(true);
    expect(resolver.calls).to.equal(1);
    expect(s.requests[0]!.headers.host).to.equal(`receiver.example.test:${s.port}`);
  });

  it('in production refuses a name resolving to a private address, without connecting', async function () {
    const s = await server((_req, res) => res.end());
    const resolver = resolverTo('127.0.0.1');
    const outcome = await send(
      request(`http://receiver.example.test:${s.port}/in`, { resolve: resolver, production: true }),
    );
    expect(outcome.ok).to.equal(false);
    expect(outcome.status_code).to.equal(null);
    expect(outcome.error).to.match(/^refused: url resolves to a non-public address \(loopback\)/);
    expect(s.requests).to.have.lengthOf(0);
  });

  it('in production refuses an address literal that is not public, without any lookup', async function () {
    const outcome = await send(request('http://169.254.169.254/latest/meta-data/', { production: true }));
    expect(outcome.ok).to.equal(false);
    expect(outcome.error).to.match(/^refused: .*linkLocal/);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async function () {
    const elsewhere = await server((_req, res) => res.end());
    const s = await server((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/` });
      res.end();
    });
    const outcome = await send(request(`http://127.0.0.1:${s.port}/in`));
    expect(outcome).to.include({ ok: false, status_code: 302, error: 'redirect not followed' });
    expect(elsewhere.requests).to.have.lengthOf(0);
  });

  it('counts a non-2xx answer as failed, keeping an excerpt of its body', async function () {
    const s = await server((_req, res) => {
      res.writeHead(500);
      res.end('x'.repeat(3000));
    });
    const outcome = await send(request(`http://127.0.0.1:${s.port}/in`));
    expect(outcome).to.include({ ok: false, status_code: 500, error: 'HTTP 500' });
    expect(outcome.response_excerpt).to.have.lengthOf(EXCERPT_LENGTH);
  });

  it('stops reading a large answer after a few KB', async function () {
    let written = 0;
    const s = await server((_req, res) => {
      res.writeHead(200);
      // A body that never ends: the attempt must still finish well before the deadline.
      const timer = setInterval(() => {
        written += 16_384;
        res.write('y'.repeat(16_384));
      }, 5);
      res.on('close', () => clearInterval(timer));
    });
    const outcome = await send(request(`http://127.0.0.1:${s.port}/in`, { timeoutMs: 5000 }));
    expect(outcome).to.include({ ok: true, status_code: 200 });
    expect(outcome.duration_ms).to.be.below(2000);
    expect(outcome.response_excerpt).to.have.lengthOf(EXCERPT_LENGTH);
    expect(written).to.be.below(1_000_000);
  });

  it('gives up after the deadline when the receiver does not answer', async function () {
    const s = await server(() => undefined);
    const outcome = await send(request(`http://127.0.0.1:${s.port}/in`, { timeoutMs: 300 }));
    expect(outcome).to.include({ ok: false, status_code: null, error: 'timeout after 300 ms' });
    expect(outcome.duration_ms).to.be.within(250, 1500);
  });

  it('records a refused connection as the error', async function () {
    const s = await server((_req, res) => res.end());
    const port = s.port;
    await s.close();
    servers.splice(0);
    const outcome = await send(request(`http://127.0.0.1:${port}/in`));
    expect(outcome.ok).to.equal(false);
    expect(outcome.error).to.match(/ECONNREFUSED/);
  });
});
