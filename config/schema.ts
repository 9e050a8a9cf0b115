/**
 * What the configuration is: the typed settings every service reads (Config), the values some of them
 * take, the defaults other modules name, and the error a bad value raises. How each setting is read from
 * the environment and checked is the loader's (config/index.ts, which re-exports all of this). The table
 * in README.md ("Configuration") documents each variable; keep the three in step.
 */

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Services a node can run (SERVICES); the default runs them all. */
export const KNOWN_SERVICES = [
  'api',
  'auth',
  'license',
  'device',
  'version',
  'customer',
  'resource',
  'search',
  'webhook',
  'monitoring',
  'lead',
  'web',
] as const;
export type ServiceName = (typeof KNOWN_SERVICES)[number];

/** The reference's test credentials: seeded outside production, refused in production. */
export const TEST_CREDENTIALS = {
  licenseKey: 'TEST-TEST-TEST-TEST',
  apiKey: 'test_api_key_123',
  jwtSecret: 'test_jwt_secret',
  adminUsername: 'admin',
  adminPassword: 'admin_test_password',
} as const;

export interface Config {
  nodeEnv: NodeEnv;
  isProduction: boolean;
  port: number;
  host: string;
  mongoUrl: string;
  /** True when MONGO_URL was not given: the start and test scripts then run the embedded server. */
  mongoUrlIsDefault: boolean;
  /** Port of the embedded server `npm start` runs when MONGO_URL is not given. */
  embeddedMongoPort: number;
  redisUrl: string;
  /** null means the in-process transporter (one process runs every service). */
  transporter: string | null;
  services: ServiceName[];
  nodeId: string | null;
  namespace: string;
  jwtSecret: string;
  logLevel: LogLevel;
  /** Port of a node's own Prometheus endpoint (every node, the gateway too); null: none. */
  metricsPort: number | null;
  /** Whether the gateway also serves GET /metrics on the API port (never by default in production). */
  metricsOnApiPort: boolean;
  /** How long a database socket may stay silent during an operation before it fails (503). */
  databaseSocketTimeoutMs: number;
  /** A database command at least this slow is logged (command and collection only). */
  databaseSlowCommandMs: number;
  /** Nice levels V8's helper threads run below the main thread (0: the same priority). */
  v8HelperNice: number;
  /**
   * Port of the node health server (/health/live, /health/ready, /health) that nodes without the
   * gateway open for their probes (lib/infra/node-health.ts); null: none. Gateway nodes answer on PORT.
   */
  healthPort: number | null;
  requestTimeoutMs: number;
  maxBodyBytes: number;
  rateLimit: {
    publicPerMinute: number;
    adminPerMinute: number;
    /** Admin API and page requests per minute per client IP, counted before authentication. */
    adminIpPerMinute: number;
    heartbeatPerMinute: number;
    /** How often each gateway adds its local counts to the shared Redis counters. */
    syncIntervalMs: number;
  };
  heartbeat: {
    /** A device silent for longer than this counts as inactive and its session ends. */
    timeoutSeconds: number;
  };
  /** Live stats and alerts (services/monitoring, docs/monitoring.md). */
  monitoring: {
    /** How long live-stats figures are reused before they are asked again. */
    liveStatsCacheMs: number;
    /** How often the alert conditions are evaluated (once per tick cluster-wide). */
    alertEverySeconds: number;
    /** More than `count` anomalies detected within `minutes`: a warning. */
    anomalyBurst: { count: number; minutes: number };
    /** 5xx share of the gateways' requests over the last `minutes`, from `minRequests` requests on. */
    errorRate: { percent: number; minutes: number; minRequests: number };
    /** The newest facts kept in each license's history (LICENSE_HISTORY_MAX_EVENTS, services/monitoring/history.ts). */
    historyPerLicense: number;
  };
  /** Anomaly detector thresholds (docs/monitoring.md). */
  anomalies: {
    /** unusual_activation_pattern: this many activations of one license within the window. */
    activations: number;
    activationWindowSeconds: number;
    /** excessive_heartbeats: this many heartbeats beyond the rate limit in one limiter window. */
    heartbeatExcess: number;
    /** license_hopping: one hardware hash activated on this many licenses within the window. */
    hoppingLicenses: number;
    /** license_hopping: this many seat changes (activations + deactivations) of one license. */
    churnChanges: number;
    hoppingWindowSeconds: number;
  };
  admin: {
    username: string;
    password: string;
    tokenTtlSeconds: number;
    analyticsTokenTtlSeconds: number;
  };
  /**
   * How many proxies in front of the gateway append to X-Forwarded-For (0: none, the socket address is
   * the client). The client IP is the entry this many hops from the right (services/api/client-ip.ts).
   */
  trustProxy: number;
  /** Origins allowed to call the API from a browser (CORS); empty: no cross-origin answers at all. */
  corsOrigins: string[];
  /** Deadline of a client API call (activate, verify, heartbeat...): past it the answer is 503. */
  clientRequestTimeoutMs: number;
  /**
   * The gateway answers verify and heartbeat on a route of their own, before moleculer-web
   * (services/api/client-fast-path.ts); off sends them through moleculer-web like every other route.
   */
  clientFastPath: boolean;
  /** The staff's web pages (services/web, docs/web.md). */
  web: {
    /** A page session ends after this long without a request (sliding)... */
    sessionIdleSeconds: number;
    /** ...and this long after login at the latest. */
    sessionMaxSeconds: number;
    /** Largest file a page accepts (the leads' CSV import). */
    uploadMaxBytes: number;
  };
  webhook: {
    /** Encrypts endpoint signing secrets at rest (AES-256-GCM, key derived from it). */
    secretKey: string;
    /** Deadline of one delivery attempt (connect, send, answer). */
    timeoutMs: number;
    /** Delays in seconds before each retry after a failed attempt; exhausted: the delivery fails. */
    retrySchedule: number[];
  };
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Outside production only: a fixed key keeps development secrets readable across restarts. */
export const DEV_WEBHOOK_SECRET_KEY = 'dev_webhook_secret_key_not_for_production';
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800];

export const DEFAULT_MONGO_URL = 'mongodb://127.0.0.1:27017/license_server';
