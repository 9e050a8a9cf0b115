/**
 * The deployments the bench measures, each started fresh (no views in memory) in a Redis and NATS
 * namespace of its own, its Redis keys deleted afterwards:
 *
 *   (a) one process     every service in one broker, in-process transporter (`npm start`)
 *   (b) NATS            the gateway (api, and web as in production) on one node, license and every
 *                       other service on another: each verify crosses NATS (the earlier two-node run)
 *   (c) production      config/topology.ts's gateway group (api, license, web) on one node, the broker
 *                       preferring its local license endpoint; every other group's services on another
 *
 * Every node runs on the server core (taskset), with NODE_ENV=development (the test credentials are
 * seeded), LOG_LEVEL=warn, the public rate limit raised so it never refuses (it still counts every
 * request) and the heartbeat limit raised as scenarios.ts explains.
 */
import { Redis } from 'ioredis';
import path from 'node:path';
import { KNOWN_SERVICES } from '../config/index.ts';
import { SERVICE_GROUPS } from '../config/topology.ts';
import { SERVER_NODE_FLAGS } from '../lib/infra/node-flags.ts';
import { SERVER_CORE, freePort, launch, request, stopProc, waitUntil, type Proc } from './lib/processes.ts';
import { HEARTBEAT_LIMIT_PER_MINUTE } from './scenarios.ts';

export type TopologyKey = 'oneProcess' | 'nats' | 'production';

interface NodeSpec {
  name: string;
  /** SERVICES; undefined: all of them. */
  services?: readonly string[];
  gateway: boolean;
}

export interface Topology {
  key: TopologyKey;
  label: string;
  nodes: NodeSpec[];
  nats: boolean;
}

export const PUBLIC_RATE_LIMIT = '1000000000';

const gatewayGroup: readonly string[] = SERVICE_GROUPS.gateway.services;
const notIn = (excluded: readonly string[]) => KNOWN_SERVICES.filter(s => !excluded.includes(s));

export const TOPOLOGIES: Topology[] = [
  { key: 'oneProcess', label: '(a) one process', nodes: [{ name: 'all', gateway: true }], nats: false },
  {
    key: 'nats',
    label: '(b) gateway | license over NATS',
    nodes: [
      { name: 'gateway', services: gatewayGroup.filter(s => s !== 'license'), gateway: true },
      { name: 'services', services: notIn(gatewayGroup.filter(s => s !== 'license')), gateway: false },
    ],
    nats: true,
  },
  {
    key: 'production',
    label: '(c) production topology',
    nodes: [
      { name: 'gateway', services: gatewayGroup, gateway: true },
      { name: 'others', services: notIn(gatewayGroup), gateway: false },
    ],
    nats: true,
  },
];

export interface Deployment {
  topology: Topology;
  namespace: string;
  base: string;
  procs: Proc[];
  /** The process holding the license service's views (memory is read there). */
  licenseProc: Proc;
}

export interface StartOptions {
  mongoUrl: string;
  redisUrl: string;
  natsUrl: string;
  /** Extra node arguments before the script (profiling, the memory probe). */
  nodeArgs?: (label: string) => string[];
  env?: Record<string, string>;
}

function nodeEnv(o: StartOptions, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever the caller's shell holds, each node gets exactly the deployment it names.
  for (const name of [
    'SERVICES',
    'TRANSPORTER',
    'NAMESPACE',
    'NODE_ID',
    'PORT',
    'HOST',
    'METRICS_PORT',
    'TRUST_PROXY',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    NODE_ENV: 'development',
    // BENCH_LOG_LEVEL=info shows what the nodes did beside a late window (their logs carry times).
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    RATE_LIMIT_PUBLIC_PER_MINUTE: PUBLIC_RATE_LIMIT,
    RATE_LIMIT_HEARTBEAT_PER_MINUTE: String(HEARTBEAT_LIMIT_PER_MINUTE),
    MONGO_URL: o.mongoUrl,
    REDIS_URL: o.redisUrl,
    HOST: '127.0.0.1',
    ...o.env,
    ...extra,
  };
}

let started = 0;

export async function startTopology(t: Topology, o: StartOptions): Promise<Deployment> {
  started += 1;
  const namespace = `bench-${process.pid}-${started}-${Date.now().toString(36)}`;
  const port = await freePort();
  const procs: Proc[] = [];
  let licenseProc: Proc | undefined;
  // The other nodes first, so the gateway finds their services at once.
  for (const node of [...t.nodes].sort((x, y) => Number(x.gateway) - Number(y.gateway))) {
    const label = `${t.key}-${node.name}`;
    const env: Record<string, string> = { NAMESPACE: namespace };
    if (node.services) env.SERVICES = node.services.join(',');
    if (t.nats) env.TRANSPORTER = o.natsUrl;
    if (node.gateway) env.PORT = String(port);
    const proc = launch(
      label,
      SERVER_CORE,
      [...SERVER_NODE_FLAGS, ...(o.nodeArgs?.(label) ?? []), 'scripts/start.ts'],
      nodeEnv(o, env),
    );
    procs.push(proc);
    if (!node.services || node.services.includes('license')) licenseProc = proc;
  }
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(`${t.label} at ${base}`, async () => (await request('GET', `${base}/health/ready`)).status === 200);
  return { topology: t, namespace, base, procs, licenseProc: licenseProc! };
}

/** Stops the nodes (gateway first) and deletes the namespace's Redis keys. */
export async function stopTopology(d: Deployment, redisUrl: string): Promise<void> {
  for (const proc of [...d.procs].reverse()) await stopProc(proc);
  await deleteNamespace(redisUrl, d.namespace);
}

export async function deleteNamespace(redisUrl: string, namespace: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  let deleted = 0;
  try {
    await redis.connect();
    for (const pattern of [`${namespace}:*`, `bull:${namespace}:*`]) {
      let cursor = '0';
      do {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = nextCursor;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * Node arguments of every server the bench starts: BENCH_NODE_ARGS (e.g. `--trace-gc`), and a V8 CPU
 * profile written into `dir` when one is given (BENCH_CPU_PROF).
 */
export function serverNodeArgs(dir: string | undefined, label: string): string[] {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (!dir) return extra;
  return [
    ...extra,
    '--cpu-prof',
    `--cpu-prof-dir=${path.resolve(dir)}`,
    `--cpu-prof-name=${label}.${process.pid}.cpuprofile`,
  ];
}
