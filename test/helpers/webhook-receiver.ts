/**
 * A webhook receiver for the tests: a node:http server on 127.0.0.1 that records every request (raw
 * body and headers) and answers with the status the test sets (or a function of the request number).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { ServiceName } from '../../config/index.ts';

/** The services the webhook suites run (the ones whose facts they cause, and the webhook service). */
export const WEBHOOK_NODE: ServiceName[] = ['api', 'auth', 'license', 'device', 'version', 'customer', 'webhook'];

export interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  /** Date.now() when the body was complete. */
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** The status answered to request number n (1-based); default 200. */
  respond: (n: number) => number;
  /** Waits until `count` requests arrived; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  /** Waits for the first request carrying this delivery's webhook-id. */
  deliveryOf(deliveryId: number, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

export async function startReceiver(options: { port?: number; path?: string } = {}): Promise<Receiver> {
  const received: Received[] = [];
  // eslint-disable-next-line prefer-const -- assigned below, after the receiver it answers with
  let server: Server;
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    respond: () => 200,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${count} requests in time`);
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      return received;
    },
    deliveryOf(deliveryId, timeoutMs = 10_000) {
      return until(
        `delivery ${deliveryId}`,
        () => Promise.resolve(received.find(r => r.headers['webhook-id'] === String(deliveryId))),
        timeoutMs,
      );
    },
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, at: Date.now() });
      const status = receiver.respond(received.length);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : `refused with ${status}`);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>(resolve => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}${options.path ?? '/hooks'}`;
  return receiver;
}

/** A loopback port that nothing listens on (for a receiver that is down, or starts later). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** Polls `find` until it answers something truthy; fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  find: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}
