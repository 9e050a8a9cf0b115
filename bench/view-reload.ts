/**
 * What loading license views costs, one at a time and in batches (services/license/view-loader.ts).
 * Views expire after a minute and are reloaded behind the verifies that read them, all the views a
 * gateway loaded together expiring together: this measures that crowd's cost, three ways over the same
 * N licenses (each with its customer and one machine, as bench/seed.ts stores them):
 *
 *   per key, before   what the verify path did until the loader: per view a license read,
 *                     `customer.statuses` for its one customer and `device.forLicense` (every record of
 *                     the license, heartbeats merged from Redis), RELOAD_IN_FLIGHT views at a time
 *   per key           the loader's own read (`loadMany`) with one key at a time, as many in flight
 *   batched           every key asked of the loader at once: batches of BATCH_MAX keys
 *
 * The license, device and customer services run in this process (one broker, no transporter: topology
 * (a)), against Redis and an embedded database server (or MONGO_URL). Each way runs BENCH_RELOAD_ROUNDS
 * times, alternated, each round over every key; the figures are the median round's: views per second,
 * this process's CPU per view, and the database server's (when the bench started it).
 *
 *   node bench/view-reload.ts      (BENCH_RELOAD_LICENSES=2000, BENCH_RELOAD_ROUNDS=5; ~1 minute)
 *
 * Redis: REDIS_URL (redis://127.0.0.1:6379/9), every key under a namespace of its own, deleted at the
 * end. Figures go to bench/results/view-reload.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServiceBroker } from 'moleculer';
import { Redis } from 'ioredis';
import { reloadConfig } from '../config/index.ts';
import { createBroker, loadServices } from '../lib/infra/broker.ts';
import { LicenseModel } from '../models/license.model.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../scripts/lib/embedded-mongodb.ts';
import type { ActivationAnswer } from '../services/device/contract.ts';
import { BATCH_MAX, ViewLoader } from '../services/license/view-loader.ts';
import { customerStatus, viewOf } from '../services/license/views.ts';
import type { LicenseView } from '../services/license/verdict.ts';
import { MS_PER_TICK, cpuModel, processTicks } from './lib/procfs.ts';
import { ROOT, envInt } from './lib/processes.ts';
import { poolKey, seedPools } from './seed.ts';

const POOL = 'RLDV';
/** Views loaded at once by the per-key ways (a crowd of expired views, each behind its own verify). */
const RELOAD_IN_FLIGHT = 64;

const settings = {
  licenses: envInt('BENCH_RELOAD_LICENSES', 2000, 10),
  rounds: envInt('BENCH_RELOAD_ROUNDS', 5, 1),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9',
};

type Way = 'per key, before' | 'per key' | 'batched';
const WAYS: Way[] = ['per key, before', 'per key', 'batched'];

interface Round {
  way: Way;
  views: number;
  ms: number;
  viewsPerSecond: number;
  cpuUsPerView: number;
  dbCpuUsPerView: number | null;
}

/** The verify path's load before view-loader.ts, kept here as the baseline. */
async function loadBefore(broker: ServiceBroker, key: string): Promise<LicenseView | null> {
  const doc = await LicenseModel.findOne({ key }).lean();
  if (!doc) return null;
  const [customer, activations] = await Promise.all([
    customerStatus(broker, doc.customer_id),
    broker.call<ActivationAnswer[], { license_id: number }>('device.forLicense', { license_id: doc._id }),
  ]);
  return viewOf(doc, customer, activations);
}

/** Runs `load` over every key, `inFlight` at a time. */
async function pooled(
  keys: string[],
  inFlight: number,
  load: (key: string) => Promise<LicenseView | null | undefined>,
): Promise<(LicenseView | null | undefined)[]> {
  const out: (LicenseView | null | undefined)[] = new Array(keys.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, keys.length) }, async () => {
      while (next < keys.length) {
        const i = next;
        next += 1;
        out[i] = await load(keys[i]!);
      }
    }),
  );
  return out;
}

async function round(way: Way, broker: ServiceBroker, keys: string[], dbPid: number | null): Promise<Round> {
  const loader = new ViewLoader(broker);
  const dbBefore = dbPid === null ? null : processTicks(dbPid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let views: (LicenseView | null | undefined)[];
  if (way === 'per key, before') views = await pooled(keys, RELOAD_IN_FLIGHT, k => loadBefore(broker, k));
  else if (way === 'per key')
    views = await pooled(keys, RELOAD_IN_FLIGHT, k => loader.loadMany([k]).then(m => m.get(k)));
  else views = await Promise.all(keys.map(k => loader.load(k)));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const dbAfter = dbPid === null ? null : processTicks(dbPid);
  // Every view must be the license's own, or the way measured something else.
  const found = views.filter((v, i) => v?.license?.key === keys[i] && v?.activations.size === 1).length;
  if (found !== keys.length) throw new Error(`${way}: ${found} of ${keys.length} views loaded`);
  return {
    way,
    views: keys.length,
    ms: Math.round(ms),
    viewsPerSecond: Math.round((keys.length / ms) * 1000),
    cpuUsPerView: Math.round((cpu.user + cpu.system) / keys.length),
    dbCpuUsPerView:
      dbBefore === null || dbAfter === null
        ? null
        : Math.round(((dbAfter - dbBefore) * MS_PER_TICK * 1000) / keys.length),
  };
}

function median(rounds: Round[]): Round {
  const sorted = [...rounds].sort((a, b) => a.cpuUsPerView - b.cpuUsPerView);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function main(): Promise<void> {
  const namespace = `viewreload-${process.pid}-${Date.now().toString(36)}`;
  let mongo: EmbeddedMongo | undefined;
  let dir: string | undefined;
  let base = process.env.MONGO_URL;
  if (!base) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'view-reload-'));
    mongo = await startEmbeddedMongo({ dir });
    base = mongo.url;
  }
  const dbUrl = new URL(base);
  dbUrl.pathname = `/view_reload_${process.pid}`;
  let broker: ServiceBroker | undefined;
  try {
    const seeded = await seedPools(dbUrl.toString(), [
      { code: POOL, count: settings.licenses, activateHardware: 'view-reload-pc' },
    ]);
    process.stdout.write(`seeded ${seeded.licenses} licenses in ${seeded.ms} ms\n`);
    reloadConfig({
      NODE_ENV: 'test',
      NAMESPACE: namespace,
      MONGO_URL: dbUrl.toString(),
      REDIS_URL: settings.redisUrl,
      LOG_LEVEL: 'warn',
    });
    broker = createBroker({ nodeID: namespace, transporter: null as never });
    await loadServices(broker, ['license', 'device', 'customer']);
    await broker.start();
    const keys = Array.from({ length: settings.licenses }, (_, i) => poolKey(POOL, i));
    const dbPid = mongo?.pid ?? null;
    // One round of each way first, unmeasured: compiled code and warm connections for all three.
    for (const way of WAYS) await round(way, broker, keys.slice(0, 200), dbPid);
    const rounds: Round[] = [];
    for (let r = 0; r < settings.rounds; r += 1) {
      for (const way of WAYS) {
        const result = await round(way, broker, keys, dbPid);
        rounds.push(result);
        process.stdout.write(
          `round ${r + 1} ${way}: ${result.viewsPerSecond} views/s, ${result.cpuUsPerView} us CPU/view` +
            `${result.dbCpuUsPerView === null ? '' : `, database ${result.dbCpuUsPerView} us/view`}\n`,
        );
      }
    }
    const medians = WAYS.map(way => median(rounds.filter(x => x.way === way)));
    process.stdout.write(`\nmedian rounds (${settings.licenses} views each, batches of ${BATCH_MAX}):\n`);
    for (const m of medians) {
      process.stdout.write(
        `  ${m.way.padEnd(16)} ${String(m.viewsPerSecond).padStart(7)} views/s  ${String(m.cpuUsPerView).padStart(6)} us CPU/view` +
          `${m.dbCpuUsPerView === null ? '' : `  database ${m.dbCpuUsPerView} us/view`}\n`,
      );
    }
    const out = {
      at: new Date().toISOString(),
      cpu: cpuModel(),
      node: process.version,
      database: mongo ? 'embedded (FerretDB)' : 'MONGO_URL',
      licenses: settings.licenses,
      batchMax: BATCH_MAX,
      inFlightPerKey: RELOAD_IN_FLIGHT,
      medians,
      rounds,
    };
    await writeFile(path.join(ROOT, 'bench/results/view-reload.json'), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await broker?.stop().catch(() => undefined);
    const redis = new Redis(settings.redisUrl);
    for (const pattern of [`${namespace}:*`, `bull:${namespace}:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.unlink(...keys);
    }
    redis.disconnect();
    await mongo?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

await main();
