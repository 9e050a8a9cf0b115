/**
 * The conditions that raise alerts, each checked from real state (docs/monitoring.md lists them with
 * their thresholds). A check answers the conditions that hold now, keyed `<group>:...`; a check that
 * could not run answers null, so the alerts of its group stay as they were instead of closing.
 */
import { KNOWN_SERVICES, config } from '../../config/index.ts';
import { pingDatabase } from '../../lib/infra/database.ts';
import { pingRedis } from '../../lib/infra/redis.ts';
import { counted } from '../../lib/core/values.ts';
import type { AlertType } from '../../models/alert.model.ts';
import { AnomalyModel } from '../../models/anomaly.model.ts';
import { readTraffic } from '../api/traffic-counters.ts';
import type { FullUsageAnswer } from '../license/figures.actions.ts';
import { isActionAvailable } from './figures.ts';
import type { MonitoringThis } from './state.ts';

export interface Condition {
  key: string;
  type: AlertType;
  message: string;
  /** When it started, if the source knows (a webhook endpoint failing since ...); else first seen. */
  since?: Date;
}

export interface Check {
  group: string;
  run(svc: MonitoringThis, now: number): Promise<Condition[]>;
}

/** Services a deployment may leave out without an alert (their absence is tolerated by design). */
const OPTIONAL_SERVICES = new Set<string>(['webhook']);
/** Nodes need a moment to discover each other after a start: no "service missing" before this. */
export const DISCOVERY_GRACE_MS = 15_000;
const QUERY_TIMEOUT_MS = 2000;
/** Licenses at full usage listed as alerts, per limit kind. */
const FULL_USAGE_LISTED = 50;

export const dependencyCheck: Check = {
  group: 'dependency',
  async run(svc, now) {
    const [database, redis] = await Promise.all([pingDatabase(), pingRedis(svc.redis)]);
    const out: Condition[] = [];
    if (!database) out.push({ key: 'dependency:database', type: 'critical', message: 'The database does not answer' });
    if (!redis) {
      out.push({
        key: 'dependency:redis',
        type: 'critical',
        message: 'Redis does not answer: sessions, heartbeats, rate limits and scheduled jobs are affected',
      });
    }
    const transit = (svc.broker as unknown as { transit?: { connected: boolean } }).transit;
    if (transit && !transit.connected) {
      out.push({ key: 'dependency:broker', type: 'critical', message: 'This node lost the broker (NATS) connection' });
    }
    if (now - svc.startedAt >= DISCOVERY_GRACE_MS) {
      const services = svc.broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as Array<{
        name: string;
      }>;
      const running = new Set(services.map(s => s.name));
      for (const name of KNOWN_SERVICES) {
        if (running.has(name) || OPTIONAL_SERVICES.has(name)) continue;
        out.push({ key: `dependency:service:${name}`, type: 'critical', message: `No node runs the ${name} service` });
      }
    }
    return out;
  },
};

interface EndpointStates {
  failing: Array<{ id: number; url_host: string; since: string }>;
  disabled: Array<{ id: number; url_host: string; since: string; reason: string }>;
}

function dateOr(value: string, fallback: number): Date {
  const at = Date.parse(value);
  return Number.isFinite(at) ? new Date(at) : new Date(fallback);
}

export const webhookCheck: Check = {
  group: 'webhook',
  async run(svc, now) {
    // The webhook service is optional: without it there is nothing to watch.
    if (!isActionAvailable(svc, 'webhook.endpointStates')) return [];
    const states = await svc.broker.call<EndpointStates, Record<string, never>>(
      'webhook.endpointStates',
      {},
      { timeout: QUERY_TIMEOUT_MS, retries: 0 },
    );
    const failing = Array.isArray(states?.failing) ? states.failing : [];
    const disabled = Array.isArray(states?.disabled) ? states.disabled : [];
    return [
      ...failing.map(e => ({
        key: `webhook:failing:${e.id}`,
        type: 'warning' as const,
        message: `Webhook endpoint ${e.id} (${e.url_host}) is failing: its deliveries are being retried`,
        since: dateOr(e.since, now),
      })),
      ...disabled.map(e => ({
        key: `webhook:disabled:${e.id}`,
        type: 'critical' as const,
        message: `Webhook endpoint ${e.id} (${e.url_host}) was disabled: ${e.reason}`,
        since: dateOr(e.since, now),
      })),
    ];
  },
};

export const anomalyBurstCheck: Check = {
  group: 'anomalies',
  async run(_svc, now) {
    const { count, minutes } = config().monitoring.anomalyBurst;
    const recent = await AnomalyModel.countDocuments({ detected_at: { $gte: new Date(now - minutes * 60_000) } });
    if (recent <= count) return [];
    return [
      {
        key: 'anomalies:burst',
        type: 'warning',
        message: `${counted(recent, 'anomaly', 'anomalies')} detected in the last ${counted(minutes, 'minute')} (more than ${count})`,
      },
    ];
  },
};

export const errorRateCheck: Check = {
  group: 'http',
  async run(svc, now) {
    const { percent, minutes, minRequests } = config().monitoring.errorRate;
    const { requests, errors } = await readTraffic(svc.redis, minutes, now);
    if (requests < minRequests || errors * 100 < percent * requests) return [];
    const share = Math.round((errors * 1000) / requests) / 10;
    return [
      {
        key: 'http:error_rate',
        type: 'critical',
        message: `${share}% of ${counted(requests, 'request')} in the last ${counted(minutes, 'minute')} failed with a server error (threshold ${percent}%)`,
      },
    ];
  },
};

export const fullUsageCheck: Check = {
  group: 'usage',
  async run(svc) {
    // Not an empty answer: the alerts of this group stay as they were while the license service is away.
    if (!isActionAvailable(svc, 'license.fullUsage')) throw new Error('the license service is unavailable');
    const full = await svc.broker.call<FullUsageAnswer[], { limit: number }>(
      'license.fullUsage',
      { limit: FULL_USAGE_LISTED },
      { timeout: QUERY_TIMEOUT_MS, retries: 0 },
    );
    return full.map(l => ({
      key: `usage:${l.metric}:${l.license_id}`,
      type: 'info' as const,
      message:
        l.metric === 'activations'
          ? `License ${l.key} uses all of its ${counted(l.limit, 'seat')} (max_activations)`
          : `License ${l.key} has all of its ${counted(l.limit, 'concurrent user')} in use (max_users)`,
    }));
  },
};

export const CHECKS: Check[] = [dependencyCheck, webhookCheck, anomalyBurstCheck, errorRateCheck, fullUsageCheck];
