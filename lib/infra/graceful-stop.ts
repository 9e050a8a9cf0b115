/**
 * How a node stops on SIGTERM without dropping work (scripts/start.ts; timings in config/topology.ts):
 *
 * 1. It turns not-ready at once (/health/ready answers 503 `draining`), so a load balancer that
 *    polls readiness stops sending new requests. In Kubernetes the preStop sleep has already taken the
 *    pod out of the Endpoints by then.
 * 2. The gateway keeps its listener open while HTTP requests are in flight (requests that still arrive
 *    are served, answered with `Connection: close`), at most `drainMs`; then it closes the listener, so
 *    a new connection is refused, and closes the idle keep-alive connections.
 * 3. The broker stops: it tells the other nodes to stop routing calls here, waits for the calls in
 *    flight (Moleculer's tracking.shutdownTimeout), then stops the services, which release the
 *    database, Redis and NATS.
 */
import type { Server } from 'node:http';
import type { ServiceBroker } from 'moleculer';
import { nodeHealth } from './node-health.ts';

export interface RequestTracker {
  inFlight(): number;
}

const trackers = new WeakMap<Server, RequestTracker>();

/** Counts the requests of `server` from now on; attach before it listens. */
export function trackRequests(server: Server): RequestTracker {
  const existing = trackers.get(server);
  if (existing) return existing;
  let count = 0;
  server.on('request', (_req, res) => {
    count += 1;
    res.once('close', () => (count -= 1));
  });
  const tracker = { inFlight: () => count };
  trackers.set(server, tracker);
  return tracker;
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Waits for the in-flight requests (at most drainMs), then closes the listener and every connection. */
export async function drainHttp(server: Server, drainMs: number): Promise<{ drained: boolean }> {
  const tracker = trackers.get(server);
  // Requests that arrive during the drain are served on a connection that closes after them.
  server.on('request', (_req, res) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  });
  const deadline = Date.now() + drainMs;
  while (tracker && tracker.inFlight() > 0 && Date.now() < deadline) await sleep(25);
  const drained = !tracker || tracker.inFlight() === 0;
  const closed = new Promise<void>(resolve => server.close(() => resolve()));
  server.closeIdleConnections();
  // Connections whose last request ended after close() become idle: close them as they do.
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const left = Math.max(0, deadline - Date.now());
  const timer = setTimeout(() => server.closeAllConnections(), left);
  try {
    await closed;
  } finally {
    clearInterval(sweeper);
    clearTimeout(timer);
  }
  return { drained };
}

interface GatewayLike {
  server?: Server | null;
}

/**
 * Turns the node not-ready, drains the gateway's HTTP requests (when it runs one) and stops the broker
 * and the node health server. Resolves once everything is stopped.
 */
export async function gracefulStop(broker: ServiceBroker, options: { drainMs: number }): Promise<{ drained: boolean }> {
  const health = nodeHealth(broker);
  health.draining = true;
  let drained = true;
  const server = (broker.getLocalService('api') as unknown as GatewayLike | undefined)?.server;
  if (server?.listening) ({ drained } = await drainHttp(server, options.drainMs));
  await broker.stop();
  await health.close();
  return { drained };
}
