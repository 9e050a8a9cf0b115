/**
 * The process-per-group topology on one host (`npm run start:nodes`): one process per service group of
 * config/topology.ts, each with its own SERVICES and ports, over NATS. Kept apart from the script so
 * its tests read the same plan.
 */
import type { Config } from '../../config/index.ts';
import { CONTAINER_PORTS, GROUP_NAMES, SERVICE_GROUPS, type GroupName } from '../../config/topology.ts';

export interface NodePlan {
  group: GroupName;
  services: readonly string[];
  /** Where its readiness probe answers: the gateway's API port, or the node's HEALTH_PORT. */
  readyUrl: string;
  env: Record<string, string>;
}

/**
 * Every group once. The gateway listens on PORT; the other groups serve their probes on HEALTH_PORT
 * (8081 unless set) and the ports after it; with METRICS_PORT set, each node gets its own metrics port
 * from it on.
 */
export function planNodes(cfg: Config, transporter: string): NodePlan[] {
  const healthBase = cfg.healthPort ?? CONTAINER_PORTS.health;
  let nextHealth = healthBase;
  return GROUP_NAMES.map((group, index) => {
    const { services, http } = SERVICE_GROUPS[group];
    const env: Record<string, string> = {
      MONGO_URL: cfg.mongoUrl,
      TRANSPORTER: transporter,
      SERVICES: services.join(','),
      NODE_ID: `${group}-${process.pid}`,
    };
    let port: number;
    if (http) {
      port = cfg.port;
      env.PORT = String(port);
    } else {
      port = nextHealth++;
      env.HEALTH_PORT = String(port);
    }
    if (cfg.metricsPort !== null) env.METRICS_PORT = String(cfg.metricsPort + index);
    return { group, services, readyUrl: `http://127.0.0.1:${port}/health/ready`, env };
  });
}
