/**
 * Runs one node: the services named by SERVICES (all of them by default) in one broker. When MONGO_URL
 * is not set (development), it first starts the embedded MongoDB-compatible server with its data in
 * .data/mongodb, and stops it on exit.
 *
 *   npm start                      every service in one process, in-process transporter
 *   SERVICES=api TRANSPORTER=nats://127.0.0.1:4222 npm start     one gateway node
 */
import type { Server } from 'node:http';
import { FORCED_EXIT_MS, SHUTDOWN } from '../config/topology.ts';
import { createBroker, loadServices } from '../lib/infra/broker.ts';
import { gracefulStop, trackRequests } from '../lib/infra/graceful-stop.ts';
import { lowerV8HelperThreads } from '../lib/infra/helper-threads.ts';
import { missingFlagsWarning } from '../lib/infra/node-flags.ts';
import { nodeHealth } from '../lib/infra/node-health.ts';
import { collectStartupGarbage } from '../lib/infra/startup-gc.ts';
import { dependenciesOrExit, embeddedMongoIfNeeded, loadConfigOrExit } from './lib/boot.ts';

async function main(): Promise<void> {
  const cfg = loadConfigOrExit();
  // Before any load: a busy helper thread must not take turns with the main thread on a shared core.
  const lowered = lowerV8HelperThreads(cfg.v8HelperNice);
  const dependencies = await dependenciesOrExit(cfg);
  const mongo = await embeddedMongoIfNeeded(cfg);

  const broker = createBroker({ skipProcessEventRegistration: true });
  if (lowered > 0)
    broker.logger.info(`V8 helper threads: ${lowered} at ${cfg.v8HelperNice} nice levels below the main thread`);
  const flagsWarning = missingFlagsWarning();
  if (flagsWarning) broker.logger.warn(flagsWarning);
  await loadServices(broker, cfg.services);
  // The gateway's server exists from created() on: count its requests before it listens, so a drain
  // knows what is in flight (lib/infra/graceful-stop.ts).
  const gateway = broker.getLocalService('api') as unknown as { server?: Server | null } | undefined;
  if (gateway?.server) trackRequests(gateway.server);
  // Nodes without the gateway answer their probes on HEALTH_PORT, from before the broker starts: a
  // slow start is alive but not ready.
  if (!gateway && cfg.healthPort !== null) {
    try {
      await nodeHealth(broker).listen(cfg.healthPort, cfg.host);
    } catch (err) {
      process.stderr.write(`Cannot serve health probes on port ${cfg.healthPort}: ${(err as Error).message}\n`);
      await mongo?.stop();
      dependencies.stop();
      process.exit(1);
    }
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.logger.info(`${signal} received, shutting down`);
    // Not-ready at once, in-flight HTTP requests and broker calls finish, then the exit; forced before
    // the grace period ends (config/topology.ts).
    const force = setTimeout(() => {
      process.stderr.write(`Shutdown did not finish within ${FORCED_EXIT_MS / 1000} s: exiting\n`);
      process.exit(1);
    }, FORCED_EXIT_MS);
    force.unref();
    try {
      await gracefulStop(broker, { drainMs: SHUTDOWN.drainSeconds * 1000 });
      await mongo?.stop();
      dependencies.stop();
      process.exit(0);
    } catch (err) {
      process.stderr.write(`Shutdown failed: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await broker.start();
  } catch (err) {
    process.stderr.write(`Start-up failed: ${(err as Error).message}\n`);
    await broker.stop().catch(() => undefined);
    await nodeHealth(broker).close();
    await mongo?.stop();
    dependencies.stop();
    process.exit(1);
  }
  // Start-up's garbage, collected now rather than by the load's first full collection
  // (lib/infra/startup-gc.ts).
  const collected = collectStartupGarbage();
  if (collected) {
    const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
    broker.logger.info(
      `Start-up garbage collected: heap ${mb(collected.heapBeforeBytes)} -> ${mb(collected.heapAfterBytes)} MB in ${collected.ms.toFixed(0)} ms`,
    );
  }
  if (cfg.services.includes('api')) {
    broker.logger.info(`License server listening on http://localhost:${cfg.port}`);
  }
}

await main();
