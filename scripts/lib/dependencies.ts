/**
 * Start-up preflight: before the broker starts, every dependency this node needs must answer. A
 * missing one ends the process after a bounded wait with one line that names it, its URL and how to get
 * it, instead of a stack trace every half second forever. In development, a Redis that is not running
 * on the default URL is started from the machine's `redis-server` (data under .data/redis), the way the
 * embedded database is.
 *
 * In production a node starts without Redis, after one line that says so: a gateway pod rescheduled
 * during a Redis outage must serve verifies (the warm path needs no Redis; sessions are admitted
 * without their seat check, docs/decisions.md) rather than crash-loop. URLs are printed without their
 * credentials.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { Config } from '../../config/index.ts';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How long a dependency may take to answer at start-up before the process gives up. */
const WAIT_MS = 10_000;

export class MissingDependency extends Error {}

/** A URL as it may be printed: user and password replaced. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = parsed.username ? '***' : '';
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Host and port of a redis:// or nats:// URL (or host:port). */
function endpoint(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) };
}

/** True when a TCP connection to host:port opens within timeoutMs. */
function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host: string, port: number, totalMs: number): Promise<boolean> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    if (await reachable(host, port, 1000)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A development Redis from the machine's redis-server, stopped with this process. */
async function startLocalRedis(root: string, port: number): Promise<ChildProcess> {
  const dir = `${root}.data/redis`;
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: 'ignore' },
  );
  if (!(await waitFor('127.0.0.1', port, 5000))) {
    child.kill('SIGKILL');
    throw new MissingDependency(`redis-server was started on port ${port} but did not answer`);
  }
  return child;
}

/**
 * Checks Redis (and NATS when a transporter is set); starts a development Redis when allowed. Answers
 * what it started, to be stopped on exit. Throws MissingDependency with a one-line message.
 */
export async function ensureDependencies(cfg: Config, root: string): Promise<{ stop(): void }> {
  const started: ChildProcess[] = [];
  const redis = endpoint(cfg.redisUrl, 6379);
  if (!(await reachable(redis.host, redis.port, 1000))) {
    const isDefault = `redis://${redis.host}:${redis.port}` === DEFAULT_REDIS_URL;
    if (!cfg.isProduction && isDefault && hasBinary('redis-server')) {
      process.stdout.write(`Nothing answers on ${DEFAULT_REDIS_URL}: starting redis-server (data in .data/redis)\n`);
      started.push(await startLocalRedis(root, redis.port));
    } else if (cfg.isProduction) {
      process.stderr.write(
        `Redis is not reachable at ${withoutCredentials(cfg.redisUrl)}: starting without it. Verifies are ` +
          'answered (sessions admitted without their seat check); heartbeats, admin sign-in and jobs answer ' +
          '503 or wait until it is back\n',
      );
    } else if (!(await waitFor(redis.host, redis.port, WAIT_MS))) {
      throw new MissingDependency(
        `Redis is not reachable at ${withoutCredentials(cfg.redisUrl)} (waited ${WAIT_MS / 1000} s): start one ` +
          '(e.g. `redis-server`, or `docker run -p 6379:6379 redis:7`) or set REDIS_URL to a running Redis',
      );
    }
  }
  if (cfg.transporter) {
    const nats = endpoint(cfg.transporter, 4222);
    if (!(await waitFor(nats.host, nats.port, WAIT_MS))) {
      for (const child of started) child.kill('SIGTERM');
      throw new MissingDependency(
        `NATS is not reachable at ${withoutCredentials(cfg.transporter)} (waited ${WAIT_MS / 1000} s): start one (e.g. ` +
          '`nats-server -js`, or `docker run -p 4222:4222 nats:2 -js`), set TRANSPORTER to a running NATS, ' +
          'or unset TRANSPORTER to run every service in one process',
      );
    }
  }
  return {
    stop() {
      for (const child of started) child.kill('SIGTERM');
    },
  };
}
