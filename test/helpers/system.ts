/**
 * Starts real systems for tests: brokers wired exactly as in production (lib/broker.ts), against the
 * test database and Redis that scripts/test.ts prepared, either in one process or as several nodes over
 * the machine's NATS (each test system gets its own namespace, so runs never see each other).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ServiceBroker } from 'moleculer';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { KNOWN_SERVICES, reloadConfig, type ServiceName } from '../../config/index.ts';
import { createBroker, loadServices } from '../../lib/infra/broker.ts';

export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const ALL_SERVICES: ServiceName[] = [...KNOWN_SERVICES];

export interface SystemOptions {
  /** One entry per node; default: one node with every service. */
  nodes?: ServiceName[][];
  /** Environment overrides (e.g. lowered rate limits). */
  env?: Record<string, string>;
}

export interface TestSystem {
  url: string;
  /** Base URLs of every gateway node, in node order. */
  urls: string[];
  brokers: ServiceBroker[];
  /** The prefix of every Redis key this system writes (its namespace). */
  redisKeyPrefix: string;
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const nodes = options.nodes ?? [ALL_SERVICES];
  const distributed = nodes.length > 1;
  const namespace = `t${randomBytes(4).toString('hex')}`;
  reloadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', NAMESPACE: namespace, ...options.env });
  const brokers: ServiceBroker[] = [];
  try {
    for (const [i, services] of nodes.entries()) {
      const broker = createBroker({
        nodeID: `${namespace}-node${i}`,
        transporter: (distributed ? NATS_URL : null) as never,
        skipProcessEventRegistration: true,
      });
      await loadServices(broker, services);
      brokers.push(broker);
    }
    await Promise.all(brokers.map(b => b.start()));
    if (distributed) {
      // Each node's own services satisfy waitForServices at once; wait until every node knows every
      // other node too, or an early call or event could miss a node.
      const needed = [...new Set(nodes.flat())];
      await Promise.all(brokers.map(b => b.waitForServices(needed, 10_000)));
      const deadline = Date.now() + 10_000;
      while (!brokers.every(b => b.registry.getNodeList({ onlyAvailable: true }).length === brokers.length)) {
        if (Date.now() > deadline) throw new Error('test nodes did not discover each other within 10 s');
        await new Promise(resolve => setTimeout(resolve, 20));
      }
    }
  } catch (err) {
    await Promise.all(brokers.map(b => b.stop().catch(() => undefined)));
    throw err;
  }
  const urls = brokers
    .map(
      b => b.getLocalService('api') as unknown as { server?: { address(): AddressInfo | string | null } } | undefined,
    )
    .filter(s => s?.server)
    .map(s => `http://127.0.0.1:${(s!.server!.address() as AddressInfo).port}`);
  return {
    url: urls[0] ?? '',
    urls,
    brokers,
    redisKeyPrefix: `${namespace}:`,
    async stop() {
      await Promise.all(brokers.map(b => b.stop()));
      await dropNamespaceKeys(namespace);
    },
  };
}

/**
 * Empties the test database between suites. Redis needs no emptying: every test system has a namespace
 * of its own, and its keys go when it stops.
 */
export async function resetStores(): Promise<void> {
  const conn = await mongoose.createConnection(process.env.MONGO_URL!).asPromise();
  try {
    await conn.dropDatabase();
  } finally {
    await conn.close();
  }
}

/**
 * Deletes a test system's Redis keys: its namespace's keys and its BullMQ queues. Nothing else is
 * touched, so test runs, dev servers and the benchmark can share one Redis.
 */
async function dropNamespaceKeys(namespace: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    for (const pattern of [`${namespace}:*`, `bull:${namespace}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function http<T = any>(
  method: string,
  url: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

export const TEST_API_KEY = 'test_api_key_123';
