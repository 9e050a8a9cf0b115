/**
 * Runs one node: the services named by SERVICES (all of them by default) in one broker. When MONGO_URL
 * is not set (development), it first starts the embedded MongoDB-compatible server with its data in
 * .data/mongodb, and stops it on exit.
 *
 *   npm start                      every service in one process, in-process transporter
 *   SERVICES=api TRANSPORTER=nats://127.0.0.1:4222 npm start     one gateway node
 */
import { createBroker, loadServices } from '../lib/infra/broker.ts';
import { embeddedMongoIfNeeded, loadConfigOrExit } from './lib/boot.ts';

async function main(): Promise<void> {
  const cfg = loadConfigOrExit();
  const mongo = await embeddedMongoIfNeeded(cfg);

  const broker = createBroker({ skipProcessEventRegistration: true });
  await loadServices(broker, cfg.services);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    broker.logger.info(`${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    try {
      await broker.stop();
      await mongo?.stop();
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
    await mongo?.stop();
    process.exit(1);
  }
  if (cfg.services.includes('api')) {
    broker.logger.info(`License server listening on http://localhost:${cfg.port}`);
  }
}

await main();
