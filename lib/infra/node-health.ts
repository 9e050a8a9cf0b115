/**
 * A node's own health, and how it stops. Nodes without the gateway (admin, webhook, monitoring) serve
 * their probes from a small HTTP server on HEALTH_PORT; the gateway answers the same paths on its API
 * port (services/api/health.ts) and reads the draining flag from here.
 *
 *   /health/live    the process answers (200)
 *   /health/ready   what this node needs to do its work: the broker started and joined the cluster,
 *                   its services started, its database reachable when its services own collections;
 *                   503 from SIGTERM on (draining)
 *   /health         every dependency (database, Redis, NATS); 503 when one is down. The same state is
 *                   the gauge dependency_up{dependency} on the metrics port.
 *
 * Redis and a live NATS connection are not in readiness: one shared outage must not take every
 * replica out of rotation at once, and taking them out would not help.
 */
import { createServer, type Server } from 'node:http';
import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import { config } from '../../config/index.ts';
import { pingDatabase } from './database.ts';
import { acquireRedis, pingRedis, releaseRedis } from './redis.ts';

export type UpDown = 'up' | 'down';
export const DEPENDENCIES = ['database', 'redis', 'nats'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

const GAUGE = 'dependency.up';
/** Probes may poll hard: the real checks run at most once a second, callers in between share them. */
const CACHE_MS = 1000;

/** The broker started and joined the cluster (Moleculer's own flag: false only before the first connect or once closed). */
export function brokerJoined(broker: ServiceBroker): boolean {
  const transit = (broker as unknown as { transit?: { connected: boolean } }).transit;
  return broker.started && (!transit || transit.connected);
}

/** The live NATS connection (it reconnects by itself after an outage); true without a transporter. */
export function natsConnected(broker: ServiceBroker): boolean {
  const transit = (broker as unknown as { transit?: { connected: boolean; tx?: NatsLike } }).transit;
  if (!transit) return true;
  const protocol = transit.tx?.client?.protocol;
  return transit.connected && (protocol ? protocol.connected : true);
}

interface NatsLike {
  client?: { protocol?: { connected: boolean } };
}

/** Sets dependency_up{dependency} (1 up, 0 down) on this broker's metrics. */
export function recordDependencies(broker: ServiceBroker, state: Partial<Record<Dependency, UpDown>>): void {
  const metrics = broker.metrics;
  if (!metrics?.isEnabled()) return;
  if (!metrics.getMetric(GAUGE)) {
    metrics.register({
      type: 'gauge',
      name: GAUGE,
      labelNames: ['dependency'],
      description: 'Whether this node reaches a dependency (1) or not (0)',
    });
  }
  for (const [dependency, value] of Object.entries(state)) metrics.set(GAUGE, value === 'up' ? 1 : 0, { dependency });
}

export interface ReadyReport {
  ready: boolean;
  draining: boolean;
  checks: Record<string, UpDown>;
}

export interface DependencyReport {
  healthy: boolean;
  checks: Partial<Record<Dependency, UpDown>>;
}

export class NodeHealth {
  /** From SIGTERM on: readiness answers 503 while in-flight work finishes. */
  draining = false;
  private readonly broker: ServiceBroker;
  private server: Server | null = null;
  /** The process's shared Redis client, held while the health server runs. */
  private redis: Redis | null = null;
  private cache: { at: number; ready: Promise<ReadyReport>; deps: Promise<DependencyReport> } | null = null;

  constructor(broker: ServiceBroker) {
    this.broker = broker;
  }

  /** Local services with a database (dbMixin adds `<service>.health`). */
  private ownsCollections(): boolean {
    // `$node` (Moleculer's own service) has a health action too, about the host.
    return this.broker.services.some(
      svc => !svc.name.startsWith('$') && Boolean((svc.schema.actions as Record<string, unknown> | undefined)?.health),
    );
  }

  private refresh(): NonNullable<NodeHealth['cache']> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache;
    const database = this.ownsCollections() ? pingDatabase() : Promise.resolve(true);
    const ready = database.then(dbUp => {
      const wanted = config().services;
      const started = brokerJoined(this.broker) && wanted.every(name => this.broker.getLocalService(name));
      const checks: Record<string, UpDown> = { broker: started ? 'up' : 'down' };
      if (this.ownsCollections()) checks.database = dbUp ? 'up' : 'down';
      const ok = Object.values(checks).every(v => v === 'up');
      return { ready: ok && !this.draining, draining: this.draining, checks };
    });
    const deps = Promise.all([database, this.redis ? pingRedis(this.redis) : Promise.resolve(null)]).then(
      ([dbUp, redisUp]) => {
        const checks: Partial<Record<Dependency, UpDown>> = { nats: natsConnected(this.broker) ? 'up' : 'down' };
        if (this.ownsCollections()) checks.database = dbUp ? 'up' : 'down';
        if (redisUp !== null) checks.redis = redisUp ? 'up' : 'down';
        recordDependencies(this.broker, checks);
        return { healthy: Object.values(checks).every(v => v === 'up'), checks };
      },
    );
    this.cache = { at: now, ready, deps };
    return this.cache;
  }

  ready(): Promise<ReadyReport> {
    // Draining shows at once, not after the cache expires.
    if (this.draining) return this.refresh().ready.then(r => ({ ...r, ready: false, draining: true }));
    return this.refresh().ready;
  }

  dependencies(): Promise<DependencyReport> {
    return this.refresh().deps;
  }

  /** Serves the probes on `port` (0: any free port); answers the bound port. */
  async listen(port: number, host: string): Promise<number> {
    this.redis ??= acquireRedis();
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const send = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ ...body, timestamp: new Date().toISOString() }));
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { status: 'method_not_allowed' });
      if (path === '/health/live') return send(200, { status: 'alive' });
      if (path === '/health/ready') {
        return void this.ready().then(r =>
          send(r.ready ? 200 : 503, {
            status: r.ready ? 'ready' : r.draining ? 'draining' : 'not_ready',
            checks: r.checks,
          }),
        );
      }
      if (path === '/health') {
        return void this.dependencies().then(r =>
          send(r.healthy ? 200 : 503, { status: r.healthy ? 'healthy' : 'unhealthy', checks: r.checks }),
        );
      }
      send(404, { status: 'not_found' });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
    if (this.redis) {
      this.redis = null;
      await releaseRedis();
    }
  }
}

const registry = new WeakMap<ServiceBroker, NodeHealth>();

/** The one NodeHealth of a broker. */
export function nodeHealth(broker: ServiceBroker): NodeHealth {
  let health = registry.get(broker);
  if (!health) {
    health = new NodeHealth(broker);
    registry.set(broker, health);
  }
  return health;
}
