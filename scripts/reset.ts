/**
 * `npm run reset`: forget the development data, so the README's walk-through starts from nothing
 * again. Deletes the embedded database's folder (.data/mongodb) and this deployment's keys in Redis
 * (those under its namespace prefix). Refuses to run in production or against a MONGO_URL: it only
 * ever deletes what `npm start` created. Stop `npm start` first.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { redisKeyPrefix } from '../lib/infra/redis.ts';
import { ROOT, loadConfigOrExit } from './lib/boot.ts';

const cfg = loadConfigOrExit();
if (cfg.isProduction || !cfg.mongoUrlIsDefault) {
  process.stderr.write(
    'npm run reset only clears the development data of `npm start` (NODE_ENV not production, no MONGO_URL).\n',
  );
  process.exit(1);
}

rmSync(`${ROOT}.data/mongodb`, { recursive: true, force: true });
process.stdout.write('Deleted the embedded database (.data/mongodb).\n');

const prefix = redisKeyPrefix(cfg.namespace);
const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
try {
  await redis.connect();
  let deleted = 0;
  for (const pattern of [`${prefix}*`, `bull:${cfg.namespace || 'default'}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  }
  process.stdout.write(`Deleted ${deleted} Redis keys of namespace "${cfg.namespace || 'default'}".\n`);
} catch (err) {
  process.stderr.write(`Redis at ${cfg.redisUrl} could not be cleared: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}
