/**
 * The service groups: which services run together in one process (a container, a Deployment, a
 * process of `npm run start:nodes`), and the ports and shutdown timings every deployment shares. The
 * one source for scripts/start-nodes.ts, docker-compose.yml, k8s/ and their tests
 * (test/unit/deploy.test.ts checks the YAML against this file; docs/deployment.md explains it).
 */
import { KNOWN_SERVICES, type ServiceName } from './index.ts';

export interface ServiceGroup {
  services: readonly ServiceName[];
  /** Whether the group serves the HTTP API (the gateway): its probes are on PORT, not HEALTH_PORT. */
  http: boolean;
  /** How the group scales, for docs/deployment.md and the HorizontalPodAutoscalers. */
  scaling: string;
}

export const SERVICE_GROUPS = {
  // A license replica beside every gateway: verify never crosses the network (the broker prefers the
  // local endpoint), and a warm verify needs nothing outside the pod. The staff pages (web) too: an
  // upload (up to WEB_UPLOAD_MAX_BYTES) goes from the gateway to its page handler inside the process,
  // and only batches of parsed rows cross NATS, whose messages are limited to 1 MB (docs/web.md).
  gateway: {
    services: ['api', 'license', 'web'],
    http: true,
    scaling: 'on CPU (HorizontalPodAutoscaler); every replica answers verify from its own memory',
  },
  admin: {
    services: ['auth', 'device', 'version', 'customer', 'resource', 'search', 'lead'],
    http: false,
    scaling: 'by hand (2 replicas for availability); admin traffic is small',
  },
  // The delivery worker: BullMQ spreads deliveries over its replicas.
  webhook: {
    services: ['webhook'],
    http: false,
    scaling: 'on CPU (HorizontalPodAutoscaler); watch webhook_queue_depth',
  },
  monitoring: {
    services: ['monitoring'],
    http: false,
    scaling: 'by hand; its detectors and alert job share state in Redis, so replicas count together',
  },
} as const satisfies Record<string, ServiceGroup>;

export type GroupName = keyof typeof SERVICE_GROUPS;
export const GROUP_NAMES = Object.keys(SERVICE_GROUPS) as GroupName[];

/** The group a service runs in. */
export function groupOf(service: ServiceName): GroupName {
  const group = GROUP_NAMES.find(name => (SERVICE_GROUPS[name].services as readonly string[]).includes(service));
  if (!group) throw new Error(`Service "${service}" is in no group of config/topology.ts`);
  return group;
}

/** Services in no group or in several: empty when the table is complete (a test asserts it). */
export function ungroupedServices(): string[] {
  return KNOWN_SERVICES.filter(
    service =>
      GROUP_NAMES.filter(g => (SERVICE_GROUPS[g].services as readonly string[]).includes(service)).length !== 1,
  );
}

/** The ports a container listens on (the image's defaults; Kubernetes and compose use the same). */
export const CONTAINER_PORTS = {
  /** The gateway's HTTP API and its probes (PORT). */
  http: 8080,
  /** The node health server of groups without the gateway (HEALTH_PORT). */
  health: 8081,
  /** Prometheus metrics on every node (METRICS_PORT), internal only. */
  metrics: 9464,
} as const;

/**
 * What a node does between SIGTERM and its exit, in seconds. Kubernetes first runs the preStop sleep
 * (the Endpoints drop the pod meanwhile), then sends SIGTERM: the node turns not-ready, lets in-flight
 * HTTP requests finish (at most `drain`), then stops the broker, which waits for in-flight broker
 * calls (at most `drain` again: Moleculer's tracking.shutdownTimeout) before the services stop. The
 * grace period covers all of it with a margin; the node forces its own exit (code 1) before the
 * kubelet's SIGKILL would.
 */
export const SHUTDOWN = {
  preStopSeconds: 5,
  drainSeconds: 10,
  terminationGracePeriodSeconds: 30,
} as const;

/** Longest a node takes from SIGTERM to its exit before it gives up and exits 1. */
export const FORCED_EXIT_MS = (SHUTDOWN.terminationGracePeriodSeconds - SHUTDOWN.preStopSeconds - 2) * 1000;
