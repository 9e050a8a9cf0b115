/**
 * The production topology on one host, without containers: one process per service group of
 * config/topology.ts (gateway, admin, webhook, monitoring), each with its own SERVICES, connected over
 * NATS (TRANSPORTER, default nats://127.0.0.1:4222). Starts the embedded MongoDB-compatible server once
 * when MONGO_URL is not set. Prints one line when every node is ready. SIGTERM/SIGINT stop every node
 * (each drains, lib/infra/graceful-stop.ts), then the database.
 *
 *   npm run start:nodes
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../lib/infra/node-flags.ts';
import { ROOT, dependenciesOrExit, embeddedMongoIfNeeded, loadConfigOrExit } from './lib/boot.ts';
import { planNodes, type NodePlan } from './lib/nodes.ts';

/** How long the nodes may take to become ready before the script says which one is not. */
const READY_WITHIN_MS = 90_000;

const cfg = loadConfigOrExit();
const transporter = cfg.transporter ?? 'nats://127.0.0.1:4222';
const dependencies = await dependenciesOrExit({ ...cfg, transporter });
const mongo = await embeddedMongoIfNeeded(cfg);
const plan = planNodes(cfg, transporter);

const children: ChildProcess[] = plan.map(node =>
  spawn(process.execPath, [...SERVER_NODE_FLAGS, `${ROOT}scripts/start.ts`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...node.env },
  }),
);
for (const node of plan) {
  process.stdout.write(`node ${node.group}: ${node.services.join(',')} (ready: ${node.readyUrl})\n`);
}

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
    dependencies.stop();
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

async function isReady(node: NodePlan): Promise<boolean> {
  try {
    const res = await fetch(node.readyUrl, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

const deadline = Date.now() + READY_WITHIN_MS;
let waiting = plan;
while (waiting.length > 0 && !stopping) {
  const answers = await Promise.all(waiting.map(isReady));
  waiting = waiting.filter((_, i) => !answers[i]);
  if (waiting.length === 0) break;
  if (Date.now() > deadline) {
    process.stderr.write(`Not ready after ${READY_WITHIN_MS / 1000} s: ${waiting.map(n => n.group).join(', ')}\n`);
    break;
  }
  await new Promise(resolve => setTimeout(resolve, 250));
}
if (waiting.length === 0 && !stopping) {
  process.stdout.write(`All ${plan.length} nodes ready: http://localhost:${cfg.port}\n`);
}
