import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, DEFAULT_MONGO_URL, KNOWN_SERVICES, TEST_CREDENTIALS, loadConfig } from '../../config/index.ts';

type Env = Record<string, string | undefined>;

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A complete, acceptable production environment; each test breaks exactly one thing in it. */
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  MONGO_URL: 'mongodb://db.internal:27017/licenses',
  JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
  ADMIN_USERNAME: 'operator',
  ADMIN_PASSWORD: 'a-long-production-password',
  WEBHOOK_SECRET_KEY: 'a-production-webhook-key-of-at-least-32-characters',
};

function configError(env: Env): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  expect(caught, `loadConfig(${JSON.stringify(env)}) should throw`).to.be.instanceOf(ConfigError);
  return caught as ConfigError;
}

function expectRejected(env: Env, variable: string): ConfigError {
  const err = configError(env);
  expect(err.variable).to.equal(variable);
  expect(err.message).to.include(variable);
  return err;
}

describe('loadConfig', function () {
  describe('EMBEDDED_MONGO_PORT', function () {
    it('moves the embedded server and the default MONGO_URL to another port', function () {
      const cfg = loadConfig({ EMBEDDED_MONGO_PORT: '27999' });
      expect(cfg.embeddedMongoPort).to.equal(27999);
      expect(cfg.mongoUrl).to.equal('mongodb://127.0.0.1:27999/license_server');
      expect(cfg.mongoUrlIsDefault).to.equal(true);
      expect(cfg.v8HelperNice).to.equal(10);
    });

    it('refuses a port outside 1-65535, naming the variable', function () {
      expect(() => loadConfig({ EMBEDDED_MONGO_PORT: '70000' })).to.throw(ConfigError, /EMBEDDED_MONGO_PORT/);
    });
  });

  describe('in development with an empty environment', function () {
    it('uses the documented defaults', function () {
      const cfg = loadConfig({});
      expect(cfg.nodeEnv).to.equal('development');
      expect(cfg.isProduction).to.equal(false);
      expect(cfg.port).to.equal(8080);
      expect(cfg.host).to.equal('0.0.0.0');
      expect(cfg.mongoUrl).to.equal(DEFAULT_MONGO_URL);
      expect(cfg.mongoUrlIsDefault).to.equal(true);
      expect(cfg.embeddedMongoPort).to.equal(27017);
      expect(cfg.redisUrl).to.equal('redis://127.0.0.1:6379');
      expect(cfg.transporter).to.equal(null);
      expect(cfg.services).to.deep.equal([...KNOWN_SERVICES]);
      expect(cfg.nodeId).to.equal(null);
      expect(cfg.namespace).to.equal('');
      expect(cfg.jwtSecret).to.equal(TEST_CREDENTIALS.jwtSecret);
      expect(cfg.logLevel).to.equal('info');
      expect(cfg.metricsPort).to.equal(null);
      expect(cfg.requestTimeoutMs).to.equal(10_000);
      expect(cfg.maxBodyBytes).to.equal(64 * 1024);
      expect(cfg.rateLimit).to.deep.equal({
        publicPerMinute: 100,
        adminPerMinute: 1000,
        adminIpPerMinute: 2000,
        heartbeatPerMinute: 1,
        syncIntervalMs: 100,
      });
      expect(cfg.heartbeat).to.deep.equal({ timeoutSeconds: 180 });
      expect(cfg.admin).to.deep.equal({
        username: TEST_CREDENTIALS.adminUsername,
        password: TEST_CREDENTIALS.adminPassword,
        tokenTtlSeconds: 8 * 3600,
        analyticsTokenTtlSeconds: 3600,
      });
      expect(cfg.trustProxy).to.equal(0);
      expect(cfg.corsOrigins).to.deep.equal([]);
      expect(cfg.clientRequestTimeoutMs).to.equal(2000);
    });

    it('treats blank values as unset', function () {
      const cfg = loadConfig({ PORT: '  ', MONGO_URL: '', LOG_LEVEL: ' ' });
      expect(cfg.port).to.equal(8080);
      expect(cfg.mongoUrlIsDefault).to.equal(true);
      expect(cfg.logLevel).to.equal('info');
    });

    it('logs at warn level under test', function () {
      expect(loadConfig({ NODE_ENV: 'test' }).logLevel).to.equal('warn');
    });
  });

  describe('accepted values', function () {
    it('reads ports, URLs, services and booleans', function () {
      const cfg = loadConfig({
        PORT: '3000',
        MONGO_URL: 'mongodb+srv://cluster.example.net/licenses',
        REDIS_URL: 'rediss://cache.example.net:6380/2',
        TRANSPORTER: 'nats://nats:4222',
        SERVICES: 'api, auth,api',
        TRUST_PROXY: 'YES',
        METRICS_PORT: '9100',
      });
      expect(cfg.port).to.equal(3000);
      expect(cfg.mongoUrl).to.equal('mongodb+srv://cluster.example.net/licenses');
      expect(cfg.mongoUrlIsDefault).to.equal(false);
      expect(cfg.redisUrl).to.equal('rediss://cache.example.net:6380/2');
      expect(cfg.transporter).to.equal('nats://nats:4222');
      expect(cfg.services).to.deep.equal(['api', 'auth']);
      expect(cfg.trustProxy).to.equal(1);
      expect(cfg.metricsPort).to.equal(9100);
    });

    it('reads TRUST_PROXY as a number of proxy hops, true as one and false as none', function () {
      expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).to.equal(2);
      expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).to.equal(0);
      expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).to.equal(1);
      expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).to.equal(0);
    });

    it('reads CORS_ORIGINS as a list of exact origins, or *', function () {
      expect(
        loadConfig({ CORS_ORIGINS: ' https://app.example.com, http://localhost:3000 ' }).corsOrigins,
      ).to.deep.equal(['https://app.example.com', 'http://localhost:3000']);
      expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).to.deep.equal(['*']);
    });

    it('accepts REDIS_URL as host:port, as the issue writes it', function () {
      expect(loadConfig({ REDIS_URL: 'redis-host:6379' }).redisUrl).to.equal('redis://redis-host:6379');
    });

    it('accepts a replica-set MONGO_URL with several hosts, credentials and options', function () {
      const url = 'mongodb://app:secret@mongo-0.db:27017,mongo-1.db:27017,mongo-2.db/license_server?replicaSet=rs0';
      expect(loadConfig({ MONGO_URL: url }).mongoUrl).to.equal(url);
      expect(loadConfig({ MONGO_URL: 'mongodb+srv://cluster0.example.net/licenses' }).mongoUrlIsDefault).to.equal(
        false,
      );
    });

    it('reads TRANSPORTER=none as the in-process transporter', function () {
      expect(loadConfig({ TRANSPORTER: 'none' }).transporter).to.equal(null);
    });

    it('accepts a complete production environment', function () {
      const cfg = loadConfig(PRODUCTION);
      expect(cfg.isProduction).to.equal(true);
      expect(cfg.admin.username).to.equal('operator');
    });

    it('serves metrics on internal port 9464 and not on the API port in production, unless told otherwise', function () {
      const cfg = loadConfig(PRODUCTION);
      expect(cfg.metricsPort).to.equal(9464);
      expect(cfg.metricsOnApiPort).to.equal(false);
      const opened = loadConfig({ ...PRODUCTION, METRICS_PORT: '9100', METRICS_ON_API_PORT: 'true' });
      expect(opened.metricsPort).to.equal(9100);
      expect(opened.metricsOnApiPort).to.equal(true);
      expect(loadConfig({}).metricsOnApiPort).to.equal(true);
    });
  });

  describe('rejected values name the variable', function () {
    const cases: Array<[string, Env, string]> = [
      ['NODE_ENV outside the list', { NODE_ENV: 'staging' }, 'NODE_ENV'],
      ['PORT that is not a number', { PORT: 'abc' }, 'PORT'],
      ['PORT with a fraction', { PORT: '80.5' }, 'PORT'],
      ['PORT above 65535', { PORT: '70000' }, 'PORT'],
      ['MONGO_URL that is not a URL', { MONGO_URL: 'not a url' }, 'MONGO_URL'],
      ['MONGO_URL of another protocol', { MONGO_URL: 'postgres://db:5432/x' }, 'MONGO_URL'],
      ['REDIS_URL of another protocol', { REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
      ['REDIS_URL that is not a URL', { REDIS_URL: 'cache host' }, 'REDIS_URL'],
      ['TRANSPORTER that is not nats://', { TRANSPORTER: 'redis://cache:6379' }, 'TRANSPORTER'],
      ['SERVICES with an unknown name', { SERVICES: 'api,billing' }, 'SERVICES'],
      ['SERVICES with no name', { SERVICES: ' , ' }, 'SERVICES'],
      ['LOG_LEVEL outside the list', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
      ['TRUST_PROXY that is neither a hop count nor a boolean', { TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
      ['TRUST_PROXY beyond 10 hops', { TRUST_PROXY: '11' }, 'TRUST_PROXY'],
      ['CORS_ORIGINS with a path', { CORS_ORIGINS: 'https://app.example.com/' }, 'CORS_ORIGINS'],
      ['CORS_ORIGINS that is not a URL', { CORS_ORIGINS: 'app.example.com' }, 'CORS_ORIGINS'],
      ['CORS_ORIGINS mixing * and origins', { CORS_ORIGINS: '*,https://a.example' }, 'CORS_ORIGINS'],
      ['RATE_LIMIT_PUBLIC_PER_MINUTE of zero', { RATE_LIMIT_PUBLIC_PER_MINUTE: '0' }, 'RATE_LIMIT_PUBLIC_PER_MINUTE'],
      ['MAX_BODY_BYTES that is negative', { MAX_BODY_BYTES: '-1' }, 'MAX_BODY_BYTES'],
      ['METRICS_PORT out of range', { METRICS_PORT: '65536' }, 'METRICS_PORT'],
      ['V8_HELPER_NICE beyond 19', { V8_HELPER_NICE: '20' }, 'V8_HELPER_NICE'],
    ];
    for (const [what, env, variable] of cases) {
      it(`throws ConfigError for ${what}`, function () {
        expectRejected(env, variable);
      });
    }

    it('quotes the offending value', function () {
      expect(expectRejected({ SERVICES: 'api,billing' }, 'SERVICES').message).to.include('billing');
      expect(expectRejected({ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY').message).to.include('maybe');
      expect(expectRejected({ PORT: '70000' }, 'PORT').message).to.include('70000');
    });
  });

  describe('in production', function () {
    const cases: Array<[string, Env, string]> = [
      ['MONGO_URL is missing', { ...PRODUCTION, MONGO_URL: undefined }, 'MONGO_URL'],
      ['JWT_SECRET is missing', { ...PRODUCTION, JWT_SECRET: undefined }, 'JWT_SECRET'],
      ['JWT_SECRET is the test secret', { ...PRODUCTION, JWT_SECRET: TEST_CREDENTIALS.jwtSecret }, 'JWT_SECRET'],
      ['JWT_SECRET is shorter than 32 characters', { ...PRODUCTION, JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET'],
      ['ADMIN_USERNAME is missing', { ...PRODUCTION, ADMIN_USERNAME: undefined }, 'ADMIN_USERNAME'],
      ['ADMIN_PASSWORD is missing', { ...PRODUCTION, ADMIN_PASSWORD: undefined }, 'ADMIN_PASSWORD'],
      [
        'ADMIN_PASSWORD is the development default',
        { ...PRODUCTION, ADMIN_PASSWORD: TEST_CREDENTIALS.adminPassword },
        'ADMIN_PASSWORD',
      ],
      [
        'ADMIN_PASSWORD is shorter than 12 characters',
        { ...PRODUCTION, ADMIN_PASSWORD: 'short-pass1' },
        'ADMIN_PASSWORD',
      ],
    ];
    for (const [what, env, variable] of cases) {
      it(`throws ConfigError when ${what}`, function () {
        expectRejected(env, variable);
      });
    }
  });

  describe('scripts/start.ts', function () {
    it('exits with code 1 and names PORT when PORT=abc, before starting anything', async function () {
      this.timeout(15_000);
      // A minimal environment, so nothing from the test runner's (NODE_ENV, REDIS_URL, ...) leaks in.
      // MONGO_URL is valid (so the failure is PORT's) and unreachable (so going further would show).
      const env = {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'development',
        PORT: 'abc',
        MONGO_URL: 'mongodb://127.0.0.1:1/start_test',
      };
      const child = spawn(`${root}node_modules/.bin/node`, ['scripts/start.ts'], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)));
      expect(code, `stderr: ${stderr}`).to.equal(1);
      expect(stderr).to.include('PORT');
      expect(stderr).to.include('abc');
      expect(stdout).to.not.include('embedded');
      // A broker that got as far as starting logs its banner; the configuration must stop it before.
      expect(stdout + stderr).to.not.match(/moleculer|broker/i);
    });
  });
});
