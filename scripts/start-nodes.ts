/**
 * The production topology on one host: the gateway and the services as separate processes, connected
 * over NATS (TRANSPORTER, default nats://127.0.0.1:4222). Starts the embedded MongoDB-compatible server
 * once when MONGO_URL is not set. SIGTERM/SIGINT stop every node, then the database.
 *
 *   npm run start:nodes
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, KNOWN_SERVICES, config } from '../config/index.ts';
import { startEmbeddedMongo } from './lib/embedded-mongodb.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** One gateway node; every other service on a second node (a Deployment each in Kubernetes). */
const NODES: Array<{ name: string; services: string[] }> = [
  { name: 'gateway', services: ['api'] },
  { name: 'services', services: KNOWN_SERVICES.filter(s => s !== 'api') },
];

// A local .env fills in what the environment does not set (the environment wins).
if (existsSync(`${root}.env`)) process.loadEnvFile(`${root}.env`);

let cfg;
try {
  cfg = config();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const transporter = cfg.transporter ?? 'nats://127.0.0.1:4222';
let mongo: { stop(): Promise<void> } | undefined;
let mongoUrl = cfg.mongoUrl;
if (cfg.mongoUrlIsDefault) {
  const port = Number(new URL(cfg.mongoUrl).port);
  process.stdout.write(`MONGO_URL is not set: starting the embedded MongoDB-compatible server on 127.0.0.1:${port}\n`);
  try {
    mongo = await startEmbeddedMongo({ port, dir: `${root}.data/mongodb` });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  mongoUrl = cfg.mongoUrl;
}

const children: ChildProcess[] = NODES.map(node =>
  spawn(process.execPath, [`${root}scripts/start.ts`], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      MONGO_URL: mongoUrl,
      TRANSPORTER: transporter,
      SERVICES: node.services.join(','),
      NODE_ID: `${node.name}-${process.pid}`,
    },
  }),
);

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.all(
      children.map(
        child =>
          new Promise<void>(resolve => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await mongo?.stop();
  }
  process.exit(code);
}

for (const child of children) {
  child.once('exit', code => {
    if (!stopping) {
      process.stderr.write(`A node exited (code ${code}); stopping the others\n`);
      void stopAll(code ?? 1);
    }
  });
}
process.on('SIGTERM', () => void stopAll(0));
process.on('SIGINT', () => void stopAll(0));
