/**
 * What the licence-expiry job's query costs the database (docs/performance.md): N licences with end
 * days spread from 30 days ago to two years ahead (a third with no end date), the model's own indexes,
 * then the job's own filters (services/license/expiry.ts `expiryCandidates`) with its projection and
 * limit, each timed 7 times: a minute's run (the last week's end days), an hour's first minute (the last
 * year's) and the daily sweep (every passed end date, the range every run used before). Median and
 * range per filter.
 *
 *   node bench/expiry-query.ts            # BENCH_EXPIRY_LICENSES (10,000) on an embedded server
 *   MONGO_URL=mongodb://... node bench/expiry-query.ts   # a database of its own there, dropped after
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { LicenseModel } from '../models/license.model.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../scripts/lib/embedded-mongodb.ts';
import { expiryCandidates } from '../services/license/expiry.ts';
import { envInt } from './lib/processes.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const BATCH = 5000;
const REPEATS = 7;

const count = envInt('BENCH_EXPIRY_LICENSES', 10_000, 1);

async function seed(today: number): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const docs = [];
    for (let i = start; i < Math.min(count, start + BATCH); i += 1) {
      const offsetDays = (i % 760) - 30;
      docs.push({
        _id: i + 1,
        key: `EXPQ-${String(i)
          .padStart(12, '0')
          .replace(/(\d{4})(\d{4})(\d{4})/, '$1-$2-$3')}`,
        type: 'subscription',
        valid_from: new Date(today - 400 * DAY_MS),
        valid_until: i % 3 === 0 ? null : new Date(today + offsetDays * DAY_MS),
        max_activations: 5,
        max_users: 5,
        // Passed end days were announced, except those of the last three days.
        expired_notified: offsetDays < -3,
      });
    }
    await LicenseModel.insertMany(docs, { lean: true });
  }
}

async function timeFilter(name: string, filter: Record<string, unknown>): Promise<void> {
  const ms: number[] = [];
  let found = 0;
  for (let r = 0; r < REPEATS; r += 1) {
    const started = performance.now();
    found = (await LicenseModel.find(filter, { _id: 1, key: 1, valid_until: 1, customer_id: 1 }).limit(500).lean())
      .length;
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  console.log(
    `${name}: ${found} candidates, median ${f(ms[REPEATS >> 1]!)} ms (${f(ms[0]!)}-${f(ms.at(-1)!)} ms over ${REPEATS})`,
  );
}

async function main(): Promise<void> {
  let mongo: EmbeddedMongo | undefined;
  let dir: string | undefined;
  let base = process.env.MONGO_URL;
  if (!base) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'expiry-query-'));
    mongo = await startEmbeddedMongo({ dir });
    base = mongo.url;
  }
  const url = new URL(base);
  url.pathname = `/expiry_query_${process.pid}`;
  await mongoose.connect(url.toString());
  try {
    await LicenseModel.createIndexes();
    const now = Date.now();
    await seed(Math.floor(now / DAY_MS) * DAY_MS);
    console.log(`${count} licences on ${mongo ? 'the embedded server' : 'MONGO_URL'}`);
    // 05:00 today: an hour's first minute that is not the day's.
    const hour = Math.floor(now / DAY_MS) * DAY_MS + 5 * HOUR_MS;
    await timeFilter("a minute's run (the last week's end days)", expiryCandidates(hour + 5 * 60_000));
    await timeFilter("an hour's first minute (the last year's end days)", expiryCandidates(hour));
    await timeFilter('the daily sweep (every passed end date)', expiryCandidates(hour - 5 * HOUR_MS));
    await mongoose.connection.dropDatabase();
  } finally {
    await mongoose.disconnect();
    await mongo?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

await main();
