/**
 * The gateway's probes. Readiness covers what this pod needs to serve client calls, and nothing that
 * every pod shares: one Redis, database or admin-node outage must not take every gateway out of the
 * load balancer at once, since a warm verify needs none of them (issue 12, finding 6).
 *
 *   /health/ready   not draining (SIGTERM), the broker started and joined the cluster, the license
 *                   service's client actions available (local in the gateway group), and the system
 *                   API key's digest in memory or loadable now
 *   /health         the shared dependencies: every `<service>.health` action reachable (each reports
 *                   its database), Redis, and the broker with every action the client API calls; 503
 *                   when one is down. Also published as dependency_up{dependency}.
 *
 * The dependency checks run at most once a second and every caller in between shares that answer;
 * readiness never waits for them.
 */
import type { ServiceBroker } from 'moleculer';
import type { Redis } from 'ioredis';
import {
  brokerJoined,
  natsConnected,
  nodeHealth,
  recordDependencies,
  type UpDown,
} from '../../lib/infra/node-health.ts';
import { pingRedis } from '../../lib/infra/redis.ts';
import type { SystemApiKey } from './api-key.ts';
import { CLIENT_ROUTES } from './routes/client.routes.ts';

export interface HealthReport {
  healthy: boolean;
  checks: { database: UpDown; redis: UpDown; broker: UpDown };
}

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  checks: { broker: UpDown; license: UpDown; api_key: UpDown };
}

const CACHE_MS = 1000;
/** Longest readiness waits for the API key digest when it is not in memory yet. */
const API_KEY_LOAD_MS = 1000;
/** The client actions a gateway serves from its own process. */
const LICENSE_ACTIONS = CLIENT_ROUTES.map(r => r.action).filter(a => a.startsWith('license.'));

export class DependencyHealth {
  private cache: { at: number; report: Promise<HealthReport> } | null = null;
  private readonly broker: ServiceBroker;

  constructor(broker: ServiceBroker) {
    this.broker = broker;
  }

  private availableActions(): Set<string> {
    const actions = this.broker.registry.getActionList({
      onlyAvailable: true,
      skipInternal: true,
      withEndpoints: false,
    }) as Array<{ name: string }>;
    return new Set(actions.map(a => a.name));
  }

  async readiness(apiKey: SystemApiKey): Promise<ReadinessReport> {
    const draining = nodeHealth(this.broker).draining;
    const names = this.availableActions();
    const broker = brokerJoined(this.broker) ? 'up' : 'down';
    const license = LICENSE_ACTIONS.every(a => names.has(a)) ? 'up' : 'down';
    // A digest once loaded stays in memory when auth is away (the refresh keeps the last one).
    // Loaded now when auth answers (asked only when some node offers it: no warning per probe).
    const apiKeyUp =
      apiKey.isLoaded ||
      (names.has('auth.activeApiKeyDigest') &&
        (await Promise.race([
          apiKey.load().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>(resolve => setTimeout(() => resolve(false), API_KEY_LOAD_MS).unref()),
        ])));
    const checks = { broker, license, api_key: apiKeyUp ? 'up' : 'down' } as const;
    const ready = !draining && Object.values(checks).every(v => v === 'up');
    return { ready, draining, checks };
  }

  report(redis: Redis): Promise<HealthReport> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < CACHE_MS) return this.cache.report;
    const report = this.check(redis);
    this.cache = { at: now, report };
    return report;
  }

  private async check(redis: Redis): Promise<HealthReport> {
    const names = this.availableActions();
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
    const needed = new Set([...CLIENT_ROUTES.map(r => r.action), 'auth.activeApiKeyDigest']);
    const natsUp = natsConnected(this.broker);
    const brokerUp = natsUp && [...needed].every(a => names.has(a));
    const databaseUp = dbAnswers.length > 0 && dbAnswers.every(Boolean);
    const checks = {
      database: databaseUp ? 'up' : 'down',
      redis: redisUp ? 'up' : 'down',
      broker: brokerUp ? 'up' : 'down',
    } as const;
    recordDependencies(this.broker, { database: checks.database, redis: checks.redis, nats: natsUp ? 'up' : 'down' });
    return { healthy: databaseUp && redisUp && brokerUp, checks };
  }
}
