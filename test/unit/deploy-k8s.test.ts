/**
 * k8s/ as a cluster would receive it, without a cluster (none runs here): each overlay rendered by the
 * project's kustomize (tools/kustomize, built with Go on first use), which also decodes every object
 * strictly against the Kubernetes API types (unknown or misspelt fields fail); every rendered object
 * validated against the Kubernetes OpenAPI schemas (kubernetes-models, Kubernetes 1.36); then the
 * project's rules: the groups of config/topology.ts, probes, limits, non-root, read-only root, pinned
 * images, drain timings, autoscalers, disruption budgets and network policies.
 */
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../config/index.ts';
import { CONTAINER_PORTS, GROUP_NAMES, SERVICE_GROUPS, SHUTDOWN } from '../../config/topology.ts';
import { ensureKustomize, kustomize } from '../../scripts/lib/kustomize.ts';
import {
  KUBERNETES_VERSION,
  containersOf,
  pinnedImage,
  read,
  schemaErrors,
  selects,
  type K8sObject,
} from '../helpers/manifests.ts';

const OVERLAYS = ['dev', 'production'] as const;

function render(dir: string): K8sObject[] {
  return parseAllDocuments(kustomize('check', dir))
    .map(d => d.toJS() as K8sObject)
    .filter(Boolean);
}

describe(`k8s/ rendered by kustomize (Kubernetes ${KUBERNETES_VERSION} schemas)`, function () {
  const rendered: Record<(typeof OVERLAYS)[number], K8sObject[]> = { dev: [], production: [] };

  before(function () {
    // The first build downloads kustomize's modules from the Go module proxy and compiles them.
    this.timeout(600_000);
    ensureKustomize();
    for (const overlay of OVERLAYS) rendered[overlay] = render(`k8s/overlays/${overlay}`);
  });

  it(`pins the schemas of Kubernetes ${KUBERNETES_VERSION} in both validators`, function () {
    expect(read('tools/kustomize/go.mod')).to.match(/k8s\.io\/api v0\.36\.\d+/);
    expect(JSON.parse(read('package.json')).devDependencies['kubernetes-models']).to.match(/^5\.\d+\.\d+$/);
  });

  for (const overlay of OVERLAYS) {
    describe(`k8s/overlays/${overlay}`, function () {
      const objects = () => rendered[overlay];
      const of = (kind: string) => objects().filter(o => o.kind === kind);
      const deployments = () => of('Deployment');
      const workloads = () => [...of('Deployment'), ...of('StatefulSet')];
      const podLabels = (w: K8sObject): Record<string, string> => w.spec.template.metadata.labels;

      it('validates every object against its Kubernetes schema', async function () {
        for (const object of objects()) {
          expect(await schemaErrors(object), `${object.kind}/${object.metadata.name}`).to.equal(null);
        }
      });

      it('creates the namespace first and puts everything else in it (kubectl apply -k works in one go)', function () {
        expect(objects()[0]).to.deep.include({ kind: 'Namespace' });
        for (const object of objects().slice(1)) expect(object.metadata.namespace).to.equal('license-server');
      });

      it('runs one Deployment per service group, with the services of config/topology.ts', function () {
        expect(
          deployments()
            .map(d => d.metadata.name)
            .sort(),
        ).to.deep.equal([...GROUP_NAMES].sort());
        for (const d of deployments()) {
          const env = containersOf(d)[0].env as Array<{ name: string; value?: string }>;
          const group = d.metadata.name as (typeof GROUP_NAMES)[number];
          expect(env.find(e => e.name === 'SERVICES')?.value, group).to.equal(SERVICE_GROUPS[group].services.join(','));
        }
      });

      it('probes readiness and liveness on the health endpoints of the right port', function () {
        for (const d of deployments()) {
          const [node] = containersOf(d);
          const group = d.metadata.name as (typeof GROUP_NAMES)[number];
          const port = SERVICE_GROUPS[group].http ? 'http' : 'health';
          const numbered = node.ports.find((p: { name: string }) => p.name === port).containerPort;
          expect(numbered).to.equal(CONTAINER_PORTS[port]);
          expect(node.readinessProbe.httpGet).to.deep.equal({ path: '/health/ready', port });
          expect(node.livenessProbe.httpGet).to.deep.equal({ path: '/health/live', port });
          expect(node.startupProbe.httpGet).to.deep.equal({ path: '/health/live', port });
        }
      });

      it('gives every container requests and limits, non-root, a read-only root, no privilege escalation and no capabilities', function () {
        for (const w of workloads()) {
          const pod = w.spec.template.spec;
          expect(pod.securityContext.runAsNonRoot, w.metadata.name).to.equal(true);
          expect(pod.securityContext.runAsUser, w.metadata.name).to.be.above(0);
          expect(pod.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
          expect(pod.automountServiceAccountToken).to.equal(false);
          for (const c of containersOf(w)) {
            const name = `${w.metadata.name}/${c.name}`;
            expect(c.resources.requests, name).to.include.keys('cpu', 'memory');
            expect(c.resources.limits, name).to.include.keys('cpu', 'memory');
            expect(c.securityContext, name).to.deep.include({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            });
          }
        }
      });

      it('pins every image by tag or digest, never `latest`, the server image through kustomize', function () {
        for (const w of workloads()) {
          for (const c of containersOf(w)) expect(pinnedImage(c.image), c.image).to.equal(true);
        }
        const images = new Set(deployments().map(d => containersOf(d)[0].image));
        expect(images.size).to.equal(1);
        expect(read('k8s/base/gateway.yaml')).to.match(/^ {10}image: license-server$/m);
      });

      it('gives a writable /tmp, the preStop delay and the grace period of config/topology.ts', function () {
        for (const d of deployments()) {
          const pod = d.spec.template.spec;
          const [node] = containersOf(d);
          expect(pod.terminationGracePeriodSeconds).to.equal(SHUTDOWN.terminationGracePeriodSeconds);
          expect(node.lifecycle.preStop).to.deep.equal({ sleep: { seconds: SHUTDOWN.preStopSeconds } });
          const tmp = node.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
          expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).to.be.an('object');
        }
      });

      it('spreads every group over zones and hosts and announces the metrics port to Prometheus', function () {
        const config = of('ConfigMap').find(c => c.metadata.name.startsWith('license-server-config'))!;
        expect(config.data!.METRICS_PORT).to.equal(String(CONTAINER_PORTS.metrics));
        for (const d of deployments()) {
          const keys = d.spec.template.spec.topologySpreadConstraints.map(
            (t: { topologyKey: string }) => t.topologyKey,
          );
          expect(keys).to.have.members(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
          const annotations = d.spec.template.metadata.annotations;
          expect(annotations).to.deep.include({
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': config.data!.METRICS_PORT,
          });
          const ports = containersOf(d)[0].ports.map((p: { containerPort: number }) => p.containerPort);
          expect(ports).to.include(CONTAINER_PORTS.metrics);
        }
      });

      it('covers every Deployment with a PodDisruptionBudget', function () {
        for (const d of deployments()) {
          expect(
            of('PodDisruptionBudget').some(p => selects(p.spec.selector, podLabels(d))),
            d.metadata.name,
          ).to.equal(true);
        }
      });

      it('lets through only the paths the system uses (network policies cover every workload)', function () {
        const policies = of('NetworkPolicy');
        const covering = (w: K8sObject) =>
          policies.filter(
            p => selects(p.spec.podSelector, podLabels(w)) || Object.keys(p.spec.podSelector).length === 0,
          );
        const deny = policies.find(p => Object.keys(p.spec.podSelector).length === 0)!;
        expect(deny.spec).to.deep.equal({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
        for (const w of workloads()) expect(covering(w), w.metadata.name).to.include(deny);
        const egressPorts = (w: K8sObject) =>
          covering(w).flatMap(p =>
            (p.spec.egress ?? []).flatMap((r: { ports?: Array<{ port: number }> }) => r.ports?.map(x => x.port) ?? []),
          );
        const ingressPorts = (w: K8sObject) =>
          covering(w).flatMap(p =>
            (p.spec.ingress ?? []).flatMap((r: { ports?: Array<{ port: number }> }) => r.ports?.map(x => x.port) ?? []),
          );
        for (const d of deployments()) {
          const name = d.metadata.name;
          expect(egressPorts(d), name).to.include.members([53, 4222, 6379, 27017]);
          expect(ingressPorts(d), name).to.include(CONTAINER_PORTS.metrics);
          expect(ingressPorts(d).includes(CONTAINER_PORTS.http), name).to.equal(name === 'gateway');
          // Only the webhook worker goes out to the internet (its deliveries).
          expect(egressPorts(d).includes(443), name).to.equal(name === 'webhook');
        }
      });

      it('routes the Ingress to the gateway Service, which selects the gateway pods', function () {
        const [ingress] = of('Ingress');
        const backend = ingress!.spec.rules[0].http.paths[0].backend.service;
        const service = of('Service').find(s => s.metadata.name === backend.name)!;
        const gateway = deployments().find(d => d.metadata.name === 'gateway')!;
        expect(selects({ matchLabels: service.spec.selector }, podLabels(gateway))).to.equal(true);
        expect(service.spec.ports.find((p: { name: string }) => p.name === backend.port.name).targetPort).to.equal(
          'http',
        );
      });

      it('has a ConfigMap the server accepts in production for every group, once the Secret is there', function () {
        const config = of('ConfigMap').find(c => c.metadata.name.startsWith('license-server-config'))!;
        const secret = of('Secret')[0];
        const secrets = secret ? secret.data! : {};
        const decoded = Object.fromEntries(
          Object.entries(secrets).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
        );
        const fromOperator = {
          JWT_SECRET: 'j'.repeat(48),
          ADMIN_USERNAME: 'operator',
          ADMIN_PASSWORD: 'a-long-admin-password',
          WEBHOOK_SECRET_KEY: 'w'.repeat(48),
          MONGO_URL: 'mongodb://license_server:pw@mongo-0.mongo.databases:27017/license_server?replicaSet=rs0&tls=true',
          REDIS_URL: 'rediss://license_server:pw@redis.databases:6379',
          TRANSPORTER: 'nats://license_server:pw@nats.databases:4222',
        };
        for (const group of GROUP_NAMES) {
          const cfg = loadConfig({
            ...config.data,
            ...(secret ? decoded : fromOperator),
            SERVICES: SERVICE_GROUPS[group].services.join(','),
          });
          expect(cfg.isProduction).to.equal(true);
          expect(cfg.healthPort).to.equal(CONTAINER_PORTS.health);
          expect(cfg.metricsPort).to.equal(CONTAINER_PORTS.metrics);
        }
      });
    });
  }

  describe('overlay differences', function () {
    const of = (overlay: (typeof OVERLAYS)[number], kind: string) => rendered[overlay].filter(o => o.kind === kind);

    it('dev: single replicas, no autoscaling, NATS, MongoDB and Redis as StatefulSets in the cluster', function () {
      for (const d of of('dev', 'Deployment')) expect(d.spec.replicas, d.metadata.name).to.equal(1);
      expect(of('dev', 'HorizontalPodAutoscaler')).to.have.length(0);
      expect(
        of('dev', 'StatefulSet')
          .map(s => s.metadata.name)
          .sort(),
      ).to.deep.equal(['mongo', 'nats', 'redis']);
    });

    it('production: autoscaled gateway and webhook workers, two of the others, dependencies and Secret outside', function () {
      const hpas = of('production', 'HorizontalPodAutoscaler');
      expect(hpas.map(h => h.spec.scaleTargetRef.name).sort()).to.deep.equal(['gateway', 'webhook']);
      expect(hpas.find(h => h.metadata.name === 'gateway')!.spec.minReplicas).to.equal(3);
      for (const d of of('production', 'Deployment')) {
        const autoscaled = hpas.some(h => h.spec.scaleTargetRef.name === d.metadata.name);
        // An autoscaled Deployment has no replica count an apply would reset.
        expect(d.spec.replicas, d.metadata.name).to.equal(autoscaled ? undefined : 2);
        const env = containersOf(d)[0].envFrom as Array<{ secretRef?: { name: string } }>;
        expect(env.find(e => e.secretRef)!.secretRef!.name).to.equal('license-server-secrets');
      }
      expect(of('production', 'StatefulSet')).to.have.length(0);
      expect(of('production', 'Secret')).to.have.length(0);
      const example = parseAllDocuments(read('k8s/base/secret.example.yaml'))[0]!.toJS() as K8sObject;
      expect(example.metadata.name).to.equal('license-server-secrets');
      // Applied as it is, the example's placeholders are refused at start-up.
      expect(() => loadConfig({ NODE_ENV: 'production', ...example.stringData })).to.throw('JWT_SECRET');
    });

    it('runs every group in both docker-compose.yml and Kubernetes', function () {
      const compose = read('docker-compose.yml');
      for (const group of GROUP_NAMES) {
        expect(compose.split('\n')).to.include(`  ${group}:`);
        expect(of('production', 'Deployment').some(d => d.metadata.name === group)).to.equal(true);
      }
    });
  });
});
