/**
 * No Docker engine or cluster runs here, so docker-compose.yml and k8s/ are checked statically: they
 * parse, every node runs known services, secrets come from outside, and every Deployment has probes
 * and resource limits.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { KNOWN_SERVICES, loadConfig } from '../../config/index.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

function servicesOf(value: string): string[] {
  return value.split(',').map(s => s.trim());
}

describe('docker-compose.yml', function () {
  const compose = parse(read('docker-compose.yml'), { merge: true });

  it('runs a gateway node and a services node from one image, with MongoDB 7, Redis (AOF) and NATS (JetStream)', function () {
    expect(compose.services).to.include.all.keys('gateway', 'services', 'mongo', 'redis', 'nats');
    expect(compose.services.mongo.image).to.equal('mongo:7');
    expect(compose.services.redis.command).to.include('--appendonly');
    expect(compose.services.nats.command).to.include('-js');
  });

  it('gives every application node known services and production mode', function () {
    for (const name of ['gateway', 'services']) {
      const env = compose.services[name].environment;
      expect(env.NODE_ENV).to.equal('production');
      for (const service of servicesOf(env.SERVICES)) expect(KNOWN_SERVICES).to.include(service);
    }
    const all = new Set(['gateway', 'services'].flatMap(n => servicesOf(compose.services[n].environment.SERVICES)));
    expect([...all].sort()).to.deep.equal([...KNOWN_SERVICES].sort());
  });

  it('takes secrets from the environment, never from the file', function () {
    const env = compose.services.gateway.environment;
    expect(env.JWT_SECRET).to.match(/^\$\{JWT_SECRET:\?/);
    expect(env.ADMIN_PASSWORD).to.match(/^\$\{ADMIN_PASSWORD:\?/);
  });

  it('checks the gateway through /health/ready and waits for healthy databases', function () {
    expect(compose.services.gateway.healthcheck.test.join(' ')).to.include('/health/ready');
    for (const dep of ['mongo', 'redis', 'nats']) {
      expect(compose.services.gateway.depends_on[dep].condition).to.equal('service_healthy');
      expect(compose.services[dep].healthcheck).to.be.an('object');
    }
  });
});

describe('k8s manifests', function () {
  const docs = readdirSync(new URL('k8s/', root))
    .filter(f => f.endsWith('.yaml'))
    .flatMap(f => parseAllDocuments(read(`k8s/${f}`)).map(d => d.toJS()))
    .filter(Boolean);
  const deployments = docs.filter(d => d.kind === 'Deployment');
  const config = docs.find(d => d.kind === 'ConfigMap');

  it('parses, and keeps everything in one namespace', function () {
    expect(deployments).to.have.length.greaterThan(1);
    for (const doc of docs.filter(d => d.kind !== 'Namespace'))
      expect(doc.metadata.namespace).to.equal('license-server');
  });

  it('commits no Secret values', function () {
    expect(docs.filter(d => d.kind === 'Secret')).to.have.length(0);
  });

  it('gives every Deployment probes, resource requests and limits, and a non-root user', function () {
    for (const d of deployments) {
      const [container] = d.spec.template.spec.containers;
      expect(container.readinessProbe, d.metadata.name).to.be.an('object');
      expect(container.livenessProbe, d.metadata.name).to.be.an('object');
      expect(container.resources.requests).to.include.keys('cpu', 'memory');
      expect(container.resources.limits).to.include.keys('cpu', 'memory');
      expect(d.spec.template.spec.securityContext.runAsNonRoot).to.equal(true);
    }
  });

  it('runs known services, with a license replica beside every gateway', function () {
    for (const d of deployments) {
      const env = d.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
      const services = servicesOf(env.find(e => e.name === 'SERVICES')!.value!);
      for (const service of services) expect(KNOWN_SERVICES).to.include(service);
      if (services.includes('api')) expect(services).to.include('license');
    }
  });

  it('has a ConfigMap that the configuration accepts in production, once secrets are added', function () {
    const cfg = loadConfig({
      ...config.data,
      JWT_SECRET: 'x'.repeat(40),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: 'a-long-enough-password',
    });
    expect(cfg.isProduction).to.equal(true);
    expect(cfg.transporter).to.match(/^nats:/);
  });
});
