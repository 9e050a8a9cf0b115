/**
 * The production topology on one host: the gateway and the services as separate processes, connected
 * over NATS (TRANSPORTER, default nats://127.0.0.1:4222). Starts the embedded MongoDB-compatible server
 * once when MONGO_URL is not set. SIGTERM/SIGINT stop every node, then the database.
 *
 *   npm run start:nodes
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { KNOWN_SERVICES } from '../config/index.ts';
import { ROOT, embeddedMongoIfNeeded, loadConfigOrExit } from './lib/boot.ts';

/** One gateway node; every other service on a second node (a Deployment each in Kubernetes). */
const NODES: Array<{ name: string; services: string[] }> = [
  { name: 'gateway', services: ['api'] },
  { name: 'services', services: KNOWN_SERVICES.filter(s => s !== 'api') },
];

const cfg = loadConfigOrExit();
const transporter = cfg.transporter ?? 'nats://127.0.0.1:4222';
const mongo = await embeddedMongoIfNeeded(cfg);

const children: ChildProcess[] = NODES.map(node =>
  spawn(process.execPath, [`${ROOT}scripts/start.ts`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      MONGO_URL: cfg.mongoUrl,
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
