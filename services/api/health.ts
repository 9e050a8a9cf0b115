/**
 * The state of the gateway's dependencies for /health and /health/ready: every `<service>.health`
 * action reachable (each reports its database), Redis, and the broker with the services the client
 * API needs. Probes and dashboards may poll hard, so the real checks run at most once a second and
 * every caller in between shares that answer.
 */
import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import { pingRedis } from '../../lib/infra/redis.ts';
import { CLIENT_ROUTES } from './routes/client.routes.ts';

export interface HealthReport {
  healthy: boolean;
  checks: { database: 'up' | 'down'; redis: 'up' | 'down'; broker: 'up' | 'down' };
}

const CACHE_MS = 1000;

export class DependencyHealth {
  private cache: { at: number; report: Promise<HealthReport> } | null = null;
  private readonly broker: ServiceBroker;

  constructor(broker: ServiceBroker) {
    this.broker = broker;
  }

  report(redis: Redis): Promise<HealthReport> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.report;
    const report = this.check(redis);
    this.cache = { at: now, report };
    return report;
  }

  private async check(redis: Redis): Promise<HealthReport> {
    const actions = this.broker.registry.getActionList({
      onlyAvailable: true,
      skipInternal: true,
      withEndpoints: false,
    }) as Array<{ name: string }>;
    const names = new Set(actions.map(a => a.name));
    const dbChecks = [...names].filter(n => n.endsWith('.health') && n !== 'api.health');
    const [redisUp, dbAnswers] = await Promise.all([
      pingRedis(redis),
      Promise.all(
        dbChecks.map(action =>
          this.broker
            .call(action, {}, { timeout: 2000, retries: 0 })
            .then(r => (r as { database?: string }).database === 'up')
            .catch(() => false),
        ),
      ),
    ]);
    const transit = (this.broker as unknown as { transit?: { connected: boolean } }).transit;
    // Ready means the client API can be served: an admin-only service being down must not take
    // the gateway out of the load balancer and stop every client verify with it.
    const needed = new Set([...CLIENT_ROUTES.map(r => r.action), 'auth.activeApiKeyDigest']);
    const brokerUp = (!transit || transit.connected) && [...needed].every(a => names.has(a));
    const databaseUp = dbAnswers.length > 0 && dbAnswers.every(Boolean);
    const checks = {
      database: databaseUp ? 'up' : 'down',
      redis: redisUp ? 'up' : 'down',
      broker: brokerUp ? 'up' : 'down',
    } as const;
    return { healthy: databaseUp && redisUp && brokerUp, checks };
  }
}
