/**
 * The image and docker-compose.yml, checked without a container engine (none runs here): the service
 * groups of config/topology.ts, the Dockerfile's rules, and docker-compose.yml against the Compose
 * Specification's JSON schema and the project's rules. Kubernetes is in deploy-k8s.test.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ConfigError, KNOWN_SERVICES, TEST_CREDENTIALS, loadConfig } from '../../config/index.ts';
import {
  CONTAINER_PORTS,
  FORCED_EXIT_MS,
  GROUP_NAMES,
  SERVICE_GROUPS,
  SHUTDOWN,
  groupOf,
  ungroupedServices,
} from '../../config/topology.ts';
import { SERVER_NODE_FLAGS } from '../../lib/infra/node-flags.ts';
import { brokerOptions } from '../../moleculer.config.ts';
import { ROOT, interpolate, pinnedImage, read, requiredVariables, type Env } from '../helpers/manifests.ts';

/** Values for every variable compose requires, as an operator's .env would give them. */
const DOT_ENV: Env = {
  JWT_SECRET: 'j'.repeat(48),
  ADMIN_PASSWORD: 'a-long-admin-password',
  WEBHOOK_SECRET_KEY: 'w'.repeat(48),
  MONGO_ROOT_PASSWORD: 'r'.repeat(32),
  MONGO_APP_PASSWORD: 'm'.repeat(32),
  REDIS_PASSWORD: 'p'.repeat(32),
  NATS_PASSWORD: 'n'.repeat(32),
};

describe('service groups (config/topology.ts)', function () {
  it('puts every known service in exactly one group', function () {
    expect(ungroupedServices()).to.deep.equal([]);
    const grouped = GROUP_NAMES.flatMap(g => [...SERVICE_GROUPS[g].services]);
    expect([...grouped].sort()).to.deep.equal([...KNOWN_SERVICES].sort());
  });

  it('keeps a license replica beside every gateway, and the HTTP API only in the gateway group', function () {
    expect(groupOf('api')).to.equal('gateway');
    expect(groupOf('license')).to.equal('gateway');
    expect(GROUP_NAMES.filter(g => SERVICE_GROUPS[g].http)).to.deep.equal(['gateway']);
  });

  it('gives nodes without the gateway a health port: 8081 in production, none elsewhere, validated', function () {
    const production = {
      NODE_ENV: 'production',
      MONGO_URL: 'mongodb://db:27017/licenses',
      JWT_SECRET: 'j'.repeat(40),
      ADMIN_USERNAME: 'operator',
      ADMIN_PASSWORD: 'a-long-admin-password',
      WEBHOOK_SECRET_KEY: 'w'.repeat(40),
    };
    expect(loadConfig(production).healthPort).to.equal(CONTAINER_PORTS.health);
    expect(loadConfig({ ...production, HEALTH_PORT: '9000' }).healthPort).to.equal(9000);
    expect(loadConfig({ NODE_ENV: 'development' }).healthPort).to.equal(null);
    expect(() => loadConfig({ HEALTH_PORT: '70000' })).to.throw(ConfigError, 'HEALTH_PORT');
  });

  it("drains within the broker's own drain time, and exits before the grace period ends", function () {
    const options = brokerOptions();
    expect(options.tracking).to.deep.include({ enabled: true, shutdownTimeout: SHUTDOWN.drainSeconds * 1000 });
    // preStop, then the HTTP drain and the broker's drain one after the other, with a margin.
    expect(SHUTDOWN.terminationGracePeriodSeconds).to.be.at.least(
      SHUTDOWN.preStopSeconds + 2 * SHUTDOWN.drainSeconds + 3,
    );
    expect(FORCED_EXIT_MS).to.be.above(2 * SHUTDOWN.drainSeconds * 1000);
    expect(FORCED_EXIT_MS).to.be.below((SHUTDOWN.terminationGracePeriodSeconds - SHUTDOWN.preStopSeconds) * 1000);
  });
});

describe('Dockerfile', function () {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter(line => /^[A-Z]+\s/.test(line));
  const final = instructions.slice(instructions.findLastIndex(l => l.startsWith('FROM ')));

  it('builds in two stages from a pinned Node 24 base, never `latest`', function () {
    expect(instructions.filter(l => l.startsWith('FROM '))).to.have.length(2);
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).to.match(/^node:24\.\d+\.\d+-[a-z]+-slim$/);
    expect(pinnedImage(base!)).to.equal(true);
    expect(dockerfile).to.not.match(/:latest\b/);
  });

  it('installs production dependencies only, without install scripts', function () {
    expect(dockerfile).to.match(/npm ci --omit=dev --ignore-scripts/);
  });

  it('runs as a numeric non-root user under tini, with a HEALTHCHECK for whichever group SERVICES selects', function () {
    const user = final.find(l => l.startsWith('USER '));
    expect(user).to.match(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(final.find(l => l.startsWith('ENTRYPOINT '))).to.equal('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(dockerfile).to.match(/apt-get install -y --no-install-recommends tini/);
    expect(final.find(l => l.startsWith('HEALTHCHECK '))).to.include('"scripts/healthcheck.ts"');
    const cmd = ['node', ...SERVER_NODE_FLAGS, 'scripts/start.ts'].map(a => `"${a}"`).join(', ');
    expect(final.find(l => l.startsWith('CMD '))).to.equal(`CMD [${cmd}]`);
  });

  it('labels the image with its version and git revision (OCI names, from build args)', function () {
    expect(dockerfile).to.match(/org\.opencontainers\.image\.version="\$\{VERSION\}"/);
    expect(dockerfile).to.match(/org\.opencontainers\.image\.revision="\$\{REVISION\}"/);
    expect(final.some(l => l === 'ARG VERSION=0.0.0-dev')).to.equal(true);
  });

  it('exposes the ports of config/topology.ts and sets them as defaults', function () {
    expect(final.find(l => l.startsWith('EXPOSE '))).to.equal(
      `EXPOSE ${CONTAINER_PORTS.http} ${CONTAINER_PORTS.health} ${CONTAINER_PORTS.metrics}`,
    );
    for (const [name, port] of [
      ['PORT', CONTAINER_PORTS.http],
      ['HEALTH_PORT', CONTAINER_PORTS.health],
      ['METRICS_PORT', CONTAINER_PORTS.metrics],
    ] as const) {
      expect(dockerfile.split(/\s+/)).to.include(`${name}=${port}`);
    }
  });

  it('copies every file the running server imports, and nothing of the tests, docs or tools', function () {
    const copied = final
      .filter(l => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap(l => l.split(/\s+/).slice(1, -1));
    for (const path of copied) expect(existsSync(new URL(path, ROOT)), path).to.equal(true);
    // Every relative import reachable from the entry points lands in a copied folder or file.
    const entries = ['scripts/start.ts', 'scripts/healthcheck.ts', 'moleculer.config.ts'];
    entries.push(
      ...readdirSync(new URL('services/', ROOT))
        .filter(f => f.endsWith('.service.ts'))
        .map(f => `services/${f}`),
    );
    const seen = new Set<string>();
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const [, spec] of read(file).matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
        const target = new URL(spec!, new URL(file, ROOT)).pathname.slice(new URL(ROOT).pathname.length);
        if (existsSync(new URL(target, ROOT)) && statSync(new URL(target, ROOT)).isFile()) queue.push(target);
      }
    }
    for (const file of seen)
      expect(
        copied.some(c => file === c || file.startsWith(`${c}/`)),
        file,
      ).to.equal(true);
    expect([...seen].some(f => f.startsWith('test/') || f.startsWith('tools/'))).to.equal(false);
  });

  it('keeps tests, docs, local data, Go build output, node_modules and .env out of the build context', function () {
    const ignored = read('.dockerignore')
      .split('\n')
      .map(l => l.trim())
      .filter(l => l && !l.startsWith('#'));
    for (const entry of ['test', 'docs', '.data', 'tools', 'node_modules', '.env', '.git', 'bench']) {
      expect(ignored, entry).to.include(entry);
    }
  });
});

describe('docker-compose.yml', function () {
  const text = read('docker-compose.yml');
  const compose = parse(text, { merge: true });
  const appServices = GROUP_NAMES.map(g => compose.services[g]);

  it('is valid against the Compose Specification schema', function () {
    // The Compose Specification's schema as the dclint package ships it (draft-07, named by https URL).
    const { $schema: _draft, ...schema } = JSON.parse(read('node_modules/dclint/schemas/compose.schema.json'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    // ajv-formats is CommonJS with a default export (as in lib/core/validation.ts).
    const addFormats = (addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule;
    (addFormats as unknown as (instance: Ajv) => Ajv)(ajv);
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(valid, JSON.stringify(validate.errors, null, 2)).to.equal(true);
  });

  it('runs one container per service group, with exactly the services of config/topology.ts', function () {
    for (const group of GROUP_NAMES) {
      const service = compose.services[group];
      expect(service, group).to.be.an('object');
      expect(service.environment.SERVICES, group).to.equal(SERVICE_GROUPS[group].services.join(','));
    }
  });

  it('runs every application container in production mode, from one pinned image, hardened', function () {
    const images = new Set(appServices.map(s => s.image));
    expect(images.size).to.equal(1);
    for (const service of appServices) {
      expect(service.environment.NODE_ENV).to.equal('production');
      expect(pinnedImage(interpolate(service.image, {}))).to.equal(true);
      expect(service.read_only).to.equal(true);
      expect(service.cap_drop).to.deep.equal(['ALL']);
      expect(service.security_opt).to.include('no-new-privileges:true');
    }
    for (const [name, service] of Object.entries<any>(compose.services)) {
      expect(pinnedImage(interpolate(service.image, {})), name).to.equal(true);
    }
    expect(text).to.not.match(/:latest\b/);
  });

  it('gives every application container a healthcheck, a restart policy, the grace period and healthy dependencies', function () {
    for (const service of appServices) {
      expect(service.healthcheck.test).to.deep.equal(['CMD', 'node', 'scripts/healthcheck.ts']);
      expect(service.restart).to.equal('unless-stopped');
      expect(service.stop_grace_period).to.equal(`${SHUTDOWN.terminationGracePeriodSeconds}s`);
      for (const dep of ['mongo', 'redis', 'nats']) {
        expect(service.depends_on[dep].condition).to.equal('service_healthy');
        expect(compose.services[dep].healthcheck).to.be.an('object');
      }
    }
    expect(compose.services.gateway.ports).to.deep.equal([`\${LICENSE_SERVER_PORT:-8080}:${CONTAINER_PORTS.http}`]);
  });

  it('runs MongoDB 7 as a replica set, Redis with AOF and an ACL user, NATS with JetStream and a user', function () {
    expect(compose.services.mongo.image).to.match(/^mongo:7\./);
    expect(compose.services.mongo.command).to.include.members(['--replSet', 'rs0', '--keyFile']);
    const redis = compose.services.redis.command.join(' ');
    expect(redis).to.include('--appendonly yes').and.include('--user default off').and.include('-@admin');
    expect(compose.services.nats.command).to.deep.equal(['-c', '/etc/nats/nats.conf']);
    const nats = read('deploy/compose/nats.conf');
    expect(nats)
      .to.match(/jetstream \{/)
      .and.match(/password: \$NATS_PASSWORD/);
  });

  it('refuses to start without each secret, and documents every one in .env.example', function () {
    const required = requiredVariables(text);
    expect(required).to.have.members(Object.keys(DOT_ENV));
    const example = read('.env.example');
    for (const name of required) {
      expect(
        example.split('\n').some(line => line.startsWith(`# ${name}=`)),
        name,
      ).to.equal(true);
      const { [name]: _, ...missing } = DOT_ENV;
      expect(() => interpolate(text, missing)).to.throw(name);
      expect(() => interpolate(text, DOT_ENV)).to.not.throw();
    }
  });

  it('gives the containers a configuration the server accepts in production, with credentials in every URL', function () {
    for (const group of GROUP_NAMES) {
      const env = interpolateEnv(compose.services[group], DOT_ENV);
      const cfg = loadConfig(env);
      expect(cfg.isProduction).to.equal(true);
      expect(cfg.mongoUrl).to.match(/^mongodb:\/\/license_server:m+@mongo:27017\/license_server\?replicaSet=rs0/);
      expect(cfg.redisUrl).to.equal(`redis://license_server:${'p'.repeat(32)}@redis:6379`);
      expect(cfg.transporter).to.equal(`nats://license_server:${'n'.repeat(32)}@nats:4222`);
    }
  });

  it("is refused by the server with the reference's test credentials", function () {
    const env = interpolateEnv(compose.services.gateway, { ...DOT_ENV, JWT_SECRET: TEST_CREDENTIALS.jwtSecret });
    expect(() => loadConfig(env)).to.throw(ConfigError, 'JWT_SECRET');
    const admin = interpolateEnv(compose.services.gateway, {
      ...DOT_ENV,
      ADMIN_PASSWORD: TEST_CREDENTIALS.adminPassword,
    });
    expect(() => loadConfig(admin)).to.throw(ConfigError, 'ADMIN_PASSWORD');
  });

  it('uses the same NATS configuration and MongoDB user script as the Kubernetes dev overlay', function () {
    for (const file of ['nats.conf', 'mongo-init.js']) {
      expect(read(`deploy/compose/${file}`), file).to.equal(read(`k8s/overlays/dev/${file}`));
    }
  });
});

/** A compose service's environment after interpolation with an operator's .env. */
function interpolateEnv(service: { environment?: Record<string, string>; image?: string }, env: Env): Env {
  const out: Env = {};
  for (const [key, value] of Object.entries(service.environment ?? {})) out[key] = interpolate(String(value), env);
  return out;
}
