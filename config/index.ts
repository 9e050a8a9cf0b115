/**
 * Every setting comes from the environment, is validated once at start-up and is typed from then on.
 * A bad or missing value stops the process with a message that names the variable (ConfigError).
 * What the settings are (Config, their allowed values) is config/schema.ts; this file reads and checks
 * them. The table in README.md ("Configuration") documents each variable; keep them in step.
 */
import {
  ConfigError,
  DEFAULT_WEBHOOK_RETRY_SCHEDULE,
  DEV_WEBHOOK_SECRET_KEY,
  KNOWN_SERVICES,
  LOG_LEVELS,
  NODE_ENVS,
  TEST_CREDENTIALS,
  type Config,
  type ServiceName,
} from './schema.ts';

export {
  ConfigError,
  DEFAULT_MONGO_URL,
  DEFAULT_WEBHOOK_RETRY_SCHEDULE,
  DEV_WEBHOOK_SECRET_KEY,
  KNOWN_SERVICES,
  LOG_LEVELS,
  NODE_ENVS,
  TEST_CREDENTIALS,
  type Config,
  type LogLevel,
  type NodeEnv,
  type ServiceName,
} from './schema.ts';

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function url(env: Env, name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL such as ${protocols[0]}//host:port (got an unparsable value)`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return raw;
}

/** MongoDB URLs may list several hosts (replica sets), which WHATWG URL parsing rejects. */
function mongoUrl(env: Env): string | undefined {
  const raw = read(env, 'MONGO_URL');
  if (raw === undefined) return undefined;
  const match = /^mongodb(?:\+srv)?:\/\/([^/?#\s]+)(?:[/?][^\s]*)?$/.exec(raw);
  const hosts = match?.[1]?.split('@').pop()?.split(',') ?? [];
  if (hosts.length === 0 || !hosts.every(host => /^[\w.-]+(?::\d{1,5})?$/.test(host))) {
    throw new ConfigError(
      'MONGO_URL',
      'must be a URL such as mongodb://host:27017/database (or mongodb+srv://, several hosts separated by commas)',
    );
  }
  return raw;
}

/** Redis URLs may be given as host:port, as the default shows. */
function redisUrl(env: Env): string {
  const raw = read(env, 'REDIS_URL');
  if (raw !== undefined && /^[\w.-]+:\d+$/.test(raw)) return `redis://${raw}`;
  return url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) as string;
}

function services(env: Env): ServiceName[] {
  const raw = read(env, 'SERVICES');
  if (raw === undefined || raw === '*' || raw === 'all') return [...KNOWN_SERVICES];
  const names = raw
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new ConfigError('SERVICES', 'must list at least one service');
  for (const name of names) {
    if (!(KNOWN_SERVICES as readonly string[]).includes(name)) {
      throw new ConfigError('SERVICES', `names an unknown service "${name}" (known: ${KNOWN_SERVICES.join(', ')})`);
    }
  }
  return [...new Set(names)] as ServiceName[];
}

/**
 * TRUST_PROXY: the number of proxies that append to X-Forwarded-For in front of the gateway. `true` and
 * `false` (the earlier boolean form) still work: `true` is one proxy, `false` none.
 */
function proxyHops(env: Env): number {
  const raw = read(env, 'TRUST_PROXY');
  if (raw === undefined) return 0;
  const lower = raw.toLowerCase();
  if (['true', 'yes'].includes(lower)) return 1;
  if (['false', 'no'].includes(lower)) return 0;
  if (!/^\d{1,2}$/.test(raw) || Number(raw) > 10) {
    throw new ConfigError(
      'TRUST_PROXY',
      `must be the number of trusted proxies in front of the gateway, 0 to 10, or true (1) / false (0) (got "${raw}")`,
    );
  }
  return Number(raw);
}

/** CORS_ORIGINS: comma-separated origins (`https://app.example.com`), or `*` for any origin without credentials. */
function corsOrigins(env: Env): string[] {
  const raw = read(env, 'CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins = [
    ...new Set(
      raw
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
    ),
  ];
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // An origin is scheme://host[:port] exactly as a browser sends it: no path, no trailing slash.
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `must list origins such as https://app.example.com (scheme, host, optional port; no path), or * (got "${origin}")`,
      );
    }
  }
  if (origins.includes('*') && origins.length > 1) {
    throw new ConfigError('CORS_ORIGINS', 'is either * or a list of origins, not both');
  }
  return origins;
}

function webhookSecretKey(env: Env, isProduction: boolean, runsWebhooks: boolean): string {
  const raw = read(env, 'WEBHOOK_SECRET_KEY');
  if (raw === undefined) {
    // Only the nodes that run the webhook service sign and store secrets.
    if (isProduction && runsWebhooks) {
      throw new ConfigError('WEBHOOK_SECRET_KEY', 'is required when NODE_ENV=production (the webhook service runs)');
    }
    return DEV_WEBHOOK_SECRET_KEY;
  }
  if (raw.length < 32) throw new ConfigError('WEBHOOK_SECRET_KEY', 'must be at least 32 characters');
  if (isProduction && raw === DEV_WEBHOOK_SECRET_KEY) {
    throw new ConfigError('WEBHOOK_SECRET_KEY', 'must not be the development default in production');
  }
  return raw;
}

function retrySchedule(env: Env): number[] {
  const raw = read(env, 'WEBHOOK_RETRY_SCHEDULE');
  if (raw === undefined) return [...DEFAULT_WEBHOOK_RETRY_SCHEDULE];
  const parts = raw.split(',').map(s => s.trim());
  if (parts.length > 30 || !parts.every(p => /^\d{1,6}$/.test(p) && Number(p) <= 604_800)) {
    throw new ConfigError(
      'WEBHOOK_RETRY_SCHEDULE',
      `must be 1 to 30 comma-separated delays in seconds, each at most 604800 (got "${raw}")`,
    );
  }
  return parts.map(Number);
}

const DEV_JWT_SECRET = TEST_CREDENTIALS.jwtSecret;

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', NODE_ENVS, 'development');
  const isProduction = nodeEnv === 'production';

  const mongoRaw = mongoUrl(env);
  if (isProduction && mongoRaw === undefined) {
    throw new ConfigError('MONGO_URL', 'is required when NODE_ENV=production');
  }

  const transporterRaw = read(env, 'TRANSPORTER');
  const transporter =
    transporterRaw === undefined || transporterRaw === 'none'
      ? null
      : (url(env, 'TRANSPORTER', undefined, ['nats:', 'tls:']) as string);

  const jwtSecret = read(env, 'JWT_SECRET') ?? (isProduction ? undefined : DEV_JWT_SECRET);
  if (jwtSecret === undefined) throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
  if (isProduction && jwtSecret === TEST_CREDENTIALS.jwtSecret) {
    throw new ConfigError('JWT_SECRET', 'must not be the reference test secret in production');
  }
  if (isProduction && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters in production');
  }

  const adminUsername = read(env, 'ADMIN_USERNAME') ?? (isProduction ? undefined : TEST_CREDENTIALS.adminUsername);
  const adminPassword = read(env, 'ADMIN_PASSWORD') ?? (isProduction ? undefined : TEST_CREDENTIALS.adminPassword);
  if (adminUsername === undefined) throw new ConfigError('ADMIN_USERNAME', 'is required when NODE_ENV=production');
  if (adminPassword === undefined) throw new ConfigError('ADMIN_PASSWORD', 'is required when NODE_ENV=production');
  if (isProduction && adminPassword === TEST_CREDENTIALS.adminPassword) {
    throw new ConfigError('ADMIN_PASSWORD', 'must not be the development default in production');
  }
  if (isProduction && adminPassword.length < 12) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 12 characters in production');
  }

  // Production serves metrics on an internal port only: the API port is public, and /metrics tells
  // strangers how busy the server is.
  const metricsPort = integer(env, 'METRICS_PORT', isProduction ? 9464 : 0, 0, 65535);
  const metricsOnApiPort = boolean(env, 'METRICS_ON_API_PORT', !isProduction);
  // Containers run in production mode: their probes find every node without the gateway on 8081.
  const healthPort = integer(env, 'HEALTH_PORT', isProduction ? 8081 : 0, 0, 65535);
  const serviceNames = services(env);
  const embeddedMongoPort = integer(env, 'EMBEDDED_MONGO_PORT', 27017, 1, 65535);

  return {
    nodeEnv,
    isProduction,
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    mongoUrl: mongoRaw ?? `mongodb://127.0.0.1:${embeddedMongoPort}/license_server`,
    mongoUrlIsDefault: mongoRaw === undefined,
    embeddedMongoPort,
    redisUrl: redisUrl(env),
    transporter,
    services: serviceNames,
    nodeId: read(env, 'NODE_ID') ?? null,
    namespace: read(env, 'NAMESPACE') ?? '',
    jwtSecret,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'warn' : 'info'),
    metricsPort: metricsPort === 0 ? null : metricsPort,
    metricsOnApiPort,
    databaseSocketTimeoutMs: integer(env, 'DATABASE_SOCKET_TIMEOUT_MS', 5000, 500, 600_000),
    databaseSlowCommandMs: integer(env, 'DATABASE_SLOW_COMMAND_MS', 100, 0, 600_000),
    v8HelperNice: integer(env, 'V8_HELPER_NICE', 10, 0, 19),
    healthPort: healthPort === 0 ? null : healthPort,
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 100, 300_000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    rateLimit: {
      publicPerMinute: integer(env, 'RATE_LIMIT_PUBLIC_PER_MINUTE', 100, 1, 1_000_000_000),
      adminPerMinute: integer(env, 'RATE_LIMIT_ADMIN_PER_MINUTE', 1000, 1, 1_000_000_000),
      adminIpPerMinute: integer(env, 'RATE_LIMIT_ADMIN_IP_PER_MINUTE', 2000, 1, 1_000_000_000),
      heartbeatPerMinute: integer(env, 'RATE_LIMIT_HEARTBEAT_PER_MINUTE', 1, 1, 1_000_000),
      syncIntervalMs: integer(env, 'RATE_LIMIT_SYNC_MS', 100, 10, 10_000),
    },
    heartbeat: {
      timeoutSeconds: integer(env, 'HEARTBEAT_TIMEOUT_SECONDS', 180, 10, 86_400),
    },
    monitoring: {
      liveStatsCacheMs: integer(env, 'LIVE_STATS_CACHE_MS', 5000, 0, 60_000),
      alertEverySeconds: integer(env, 'ALERT_EVALUATION_SECONDS', 15, 1, 3600),
      anomalyBurst: {
        count: integer(env, 'ALERT_ANOMALY_BURST_COUNT', 5, 0, 1_000_000),
        minutes: integer(env, 'ALERT_ANOMALY_BURST_MINUTES', 10, 1, 1440),
      },
      errorRate: {
        percent: integer(env, 'ALERT_ERROR_RATE_PERCENT', 5, 1, 100),
        minutes: integer(env, 'ALERT_ERROR_RATE_MINUTES', 5, 1, 60),
        minRequests: integer(env, 'ALERT_ERROR_RATE_MIN_REQUESTS', 50, 1, 1_000_000_000),
      },
      historyPerLicense: integer(env, 'LICENSE_HISTORY_MAX_EVENTS', 500, 10, 100_000),
    },
    anomalies: {
      activations: integer(env, 'ANOMALY_ACTIVATIONS', 10, 2, 1_000_000),
      activationWindowSeconds: integer(env, 'ANOMALY_ACTIVATION_WINDOW_SECONDS', 600, 10, 7 * 86_400),
      heartbeatExcess: integer(env, 'ANOMALY_HEARTBEAT_EXCESS', 10, 1, 1_000_000),
      hoppingLicenses: integer(env, 'ANOMALY_HOPPING_LICENSES', 3, 2, 10_000),
      churnChanges: integer(env, 'ANOMALY_CHURN_CHANGES', 10, 2, 1_000_000),
      hoppingWindowSeconds: integer(env, 'ANOMALY_HOPPING_WINDOW_SECONDS', 86_400, 60, 30 * 86_400),
    },
    admin: {
      username: adminUsername,
      password: adminPassword,
      tokenTtlSeconds: integer(env, 'ADMIN_TOKEN_TTL_SECONDS', 8 * 3600, 60, 30 * 86_400),
      analyticsTokenTtlSeconds: integer(env, 'ANALYTICS_TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    },
    trustProxy: proxyHops(env),
    corsOrigins: corsOrigins(env),
    clientRequestTimeoutMs: integer(env, 'CLIENT_REQUEST_TIMEOUT_MS', 2000, 100, 300_000),
    clientFastPath: boolean(env, 'CLIENT_FAST_PATH', true),
    web: {
      sessionIdleSeconds: integer(env, 'WEB_SESSION_IDLE_SECONDS', 2 * 3600, 60, 30 * 86_400),
      // At most 30 days: a user's revocation (revoked-user:<id>) is kept that long.
      sessionMaxSeconds: integer(env, 'WEB_SESSION_MAX_SECONDS', 12 * 3600, 60, 30 * 86_400),
      uploadMaxBytes: integer(env, 'WEB_UPLOAD_MAX_BYTES', 2 * 1024 * 1024, 1024, 16 * 1024 * 1024),
    },
    webhook: {
      secretKey: webhookSecretKey(env, isProduction, serviceNames.includes('webhook')),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      retrySchedule: retrySchedule(env),
    },
  };
}

let cached: Config | undefined;

/** The process-wide configuration, loaded on first use. Read it when needed, not at import time. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Reloads from process.env plus overrides (tests start systems with lowered limits this way). */
export function reloadConfig(overrides: Env = {}): Config {
  cached = loadConfig({ ...process.env, ...overrides });
  return cached;
}
