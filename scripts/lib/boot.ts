/**
 * What every start script does first: read a local .env (the environment wins), load and validate the
 * configuration (a bad value ends the process with a message naming the variable), and start the
 * embedded MongoDB-compatible server when MONGO_URL is not set.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, config, type Config } from '../../config/index.ts';
import { startEmbeddedMongo } from './embedded-mongodb.ts';
import { MissingDependency, ensureDependencies } from './dependencies.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function loadConfigOrExit(): Config {
  if (existsSync(`${ROOT}.env`)) process.loadEnvFile(`${ROOT}.env`);
  try {
    return config();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The embedded server on MONGO_URL's default port, data in .data/mongodb; undefined when MONGO_URL is set. */
export async function embeddedMongoIfNeeded(cfg: Config): Promise<{ stop(): Promise<void> } | undefined> {
  if (!cfg.mongoUrlIsDefault) return undefined;
  const port = cfg.embeddedMongoPort;
  process.stdout.write(`MONGO_URL is not set: starting the embedded MongoDB-compatible server on 127.0.0.1:${port}\n`);
  try {
    return await startEmbeddedMongo({ port, dir: `${ROOT}.data/mongodb` });
  } catch (err) {
    process.stderr.write(
      `${(err as Error).message}\n` +
        `If port ${port} is taken by another process, set EMBEDDED_MONGO_PORT to a free port, ` +
        'or set MONGO_URL to use a MongoDB server you already run.\n',
    );
    process.exit(1);
  }
}

/** Redis (and NATS when configured) must answer before the broker starts; a development Redis may be started. */
export async function dependenciesOrExit(cfg: Config): Promise<{ stop(): void }> {
  try {
    return await ensureDependencies(cfg, ROOT);
  } catch (err) {
    if (err instanceof MissingDependency) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
