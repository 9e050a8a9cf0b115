/**
 * Heartbeats at scale (issue 14, item 3): what the heartbeat's Redis work costs, what a million machines
 * hold in Redis, and how long the device service's flush takes to write their heartbeats to the records.
 *
 *   node bench/heartbeat-scale.ts            (~3 minutes on 2 cores; BENCH_HB_PARTS=work,memory,flush)
 *
 * 1. work: the Redis work per heartbeat, both ways, over BENCH_HB_CALLS machines (200,000; two passes
 *    each, alternated) with 1,000 heartbeats in flight on one connection: the one script of today
 *    (SessionStore.heartbeat: limit, session, buffer) and the three calls it replaced (ExactLimiter.hit,
 *    SessionStore.touch as a heartbeat, the buffer's HSET). Heartbeats per second, this process's CPU per
 *    heartbeat, and the Redis server's (INFO cpu: every client's work, so run it on a quiet machine).
 * 2. memory: BENCH_HB_MACHINES (1,000,000) machines, BENCH_HB_PER_LICENSE (5) per license and max_users
 *    as many (every license at 100%: its level key and the full set at their largest), one heartbeat
 *    each through the one script, at the reference's limit of 1 a minute. INFO used_memory before and
 *    after, and MEMORY USAGE of each kind of key (the small ones sampled). A machine heartbeats once a
 *    minute, so this is the steady state: its rate-limit key lives a minute, its session and buffer entry
 *    until they lapse or are flushed.
 * 3. flush: for each size in BENCH_HB_FLUSH (100, 300, 1,000), that many activation records in a fresh
 *    database and as many heartbeats in the buffer; the device service's own flushHeartbeats, timed, with
 *    the database server's CPU (when the bench started it), and the records checked afterwards. On the
 *    embedded server an update by id costs in proportion to the records stored (as a scan would), so the
 *    time per heartbeat grows with them and 100,000 would take days: the larger sizes are extrapolated from a line fitted to these
 *    (and printed as such). With MONGO_URL set to a MongoDB, BENCH_HB_FLUSH=10000,100000 measures them.
 *
 * Redis: REDIS_URL (redis://127.0.0.1:6379/9); every key under a namespace of its own
 * (`hbscale-<pid>-<time>:`), all deleted at the end (UNLINK). MongoDB: MONGO_URL (a base URL; the bench
 * creates and drops databases of its own there) or an embedded server in a temp dir. Every figure goes
 * to bench/results/heartbeat-scale.json.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { Redis } from 'ioredis';
import { ExactLimiter } from '../lib/infra/rate-limiter.ts';
import { ActivationModel, type ActivationDoc } from '../models/activation.model.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../scripts/lib/embedded-mongodb.ts';
import { HEARTBEAT_BUFFER_KEY } from '../services/device/contract.ts';
import { bufferHeartbeat, flushHeartbeats } from '../services/device/heartbeat-buffer.ts';
import { SessionStore } from '../services/license/sessions.ts';
import { MS_PER_TICK, cpuModel, processTicks } from './lib/procfs.ts';
import { ROOT, envInt } from './lib/processes.ts';

const IN_FLIGHT = 1000;
/** HEARTBEAT_TIMEOUT_SECONDS's default: how long a session outlives its last heartbeat. */
const SESSION_TIMEOUT_SECONDS = 300;
/** Small keys whose MEMORY USAGE is read, per kind; the kind's total is their mean times its count. */
const MEMORY_SAMPLES = 2000;

const settings = {
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/9',
  calls: envInt('BENCH_HB_CALLS', 200_000, 1000),
  machines: envInt('BENCH_HB_MACHINES', 1_000_000, 1000),
  perLicense: envInt('BENCH_HB_PER_LICENSE', 5, 1),
  parts: (process.env.BENCH_HB_PARTS ?? 'work,memory,flush').split(',').map(s => s.trim()),
  flushSizes: (process.env.BENCH_HB_FLUSH ?? '100,300,1000')
    .split(',')
    .map(s => Number(s.trim()))
    .filter(n => Number.isSafeInteger(n) && n > 0),
};

const namespace = `hbscale-${process.pid}-${Date.now().toString(36)}`;
const redis = new Redis(settings.redisUrl, { keyPrefix: `${namespace}:` });
/** The same server without the prefix: INFO, MEMORY USAGE of scanned keys, the clean-up. */
const admin = new Redis(settings.redisUrl);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The limit key the heartbeat action uses for an activation (client.actions.ts). */
function limitKeyOf(activationId: number): string {
  return createHash('sha1').update(`a:${activationId}`).digest('hex');
}

/** Calls `fn(i)` for i in [from, from + count), `IN_FLIGHT` at a time. */
async function drive(from: number, count: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const i = next;
      next += 1;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, worker));
}

async function info(section: string): Promise<Record<string, string>> {
  const text = await admin.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

async function redisCpuSeconds(): Promise<number> {
  const cpu = await info('cpu');
  return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
}

async function usedMemory(): Promise<number> {
  return Number((await info('memory')).used_memory);
}

/** Every key of the namespace, unprefixed. */
async function namespaceKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 5000);
    cursor = next;
    for (const key of batch) keys.push(key.slice(namespace.length + 1));
  } while (cursor !== '0');
  return keys;
}

async function dropNamespace(): Promise<number> {
  let dropped = 0;
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 5000);
    cursor = next;
    if (batch.length > 0) dropped += await admin.unlink(...batch);
  } while (cursor !== '0');
  return dropped;
}

interface WorkFigures {
  way: string;
  heartbeats: number;
  seconds: number;
  perSecond: number;
  clientCpuUs: number;
  redisCpuUs: number;
  roundTrips: number;
}

/** Runs `count` heartbeats of distinct machines one way, from machine `from` on, and measures them. */
async function measureWork(
  way: string,
  from: number,
  count: number,
  roundTrips: number,
  heartbeat: (i: number) => Promise<unknown>,
): Promise<WorkFigures> {
  const redisBefore = await redisCpuSeconds();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await drive(from, count, heartbeat);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = (await redisCpuSeconds()) - redisBefore;
  return {
    way,
    heartbeats: count,
    seconds,
    perSecond: count / seconds,
    clientCpuUs: (cpu.user + cpu.system) / count,
    redisCpuUs: (redisCpu * 1e6) / count,
    roundTrips,
  };
}

interface MemoryFigures {
  machines: number;
  licenses: number;
  fillSeconds: number;
  usedBefore: number;
  usedAfter: number;
  perMachine: number;
  kinds: Array<{ kind: string; keys: number; bytes: number; perMachine: number }>;
  usedAfterDelete: number;
}

function kindOf(key: string): string {
  if (key.startsWith('rl:heartbeat:')) return 'rate-limit keys (rl:heartbeat:<sha1>)';
  if (key.startsWith('sessions:license:')) return 'session sets (sessions:license:<id>)';
  if (key.startsWith('sessions:level:')) return 'usage levels (sessions:level:<id>)';
  if (key === 'sessions:all') return 'live sessions (sessions:all)';
  if (key === 'sessions:full') return 'licenses at 100% (sessions:full)';
  if (key === HEARTBEAT_BUFFER_KEY) return `heartbeat buffer (${HEARTBEAT_BUFFER_KEY})`;
  if (key.startsWith('heartbeats:minute:')) return 'heartbeats per minute (heartbeats:minute:<m>)';
  return 'other';
}

async function measureMemory(): Promise<MemoryFigures> {
  const store = new SessionStore(redis, SESSION_TIMEOUT_SECONDS);
  const limiter = new ExactLimiter(redis, 'heartbeat', 1);
  const { machines, perLicense } = settings;
  const usedBefore = await usedMemory();
  const started = performance.now();
  let refused = 0;
  await drive(0, machines, async i => {
    const activationId = i + 1;
    const session = { licenseId: Math.floor(i / perLicense) + 1, activationId, maxUsers: perLicense };
    const beat = await store.heartbeat(limiter, limitKeyOf(activationId), session);
    if (!beat.decision.allowed || !beat.session?.admitted) refused += 1;
  });
  const fillSeconds = (performance.now() - started) / 1000;
  if (refused > 0) throw new Error(`${refused} of the filling heartbeats were refused`);
  const usedAfter = await usedMemory();

  const byKind = new Map<string, string[]>();
  for (const key of await namespaceKeys()) {
    const kind = kindOf(key);
    let keys = byKind.get(kind);
    if (!keys) byKind.set(kind, (keys = []));
    keys.push(key);
  }
  const kinds: MemoryFigures['kinds'] = [];
  for (const [kind, keys] of byKind) {
    const sample = keys.length <= MEMORY_SAMPLES ? keys : keys.slice(0, MEMORY_SAMPLES);
    let sampled = 0;
    // SAMPLES 0: every element of a large set or hash, not an estimate.
    for (const key of sample) sampled += Number(await admin.memory('USAGE', `${namespace}:${key}`, 'SAMPLES', 0));
    const bytes = (sampled / sample.length) * keys.length;
    kinds.push({ kind, keys: keys.length, bytes, perMachine: bytes / machines });
  }
  kinds.sort((a, b) => b.bytes - a.bytes);
  await dropNamespace();
  return {
    machines,
    licenses: Math.ceil(machines / perLicense),
    fillSeconds,
    usedBefore,
    usedAfter,
    perMachine: (usedAfter - usedBefore) / machines,
    kinds,
    usedAfterDelete: await usedMemory(),
  };
}

interface FlushFigures {
  heartbeats: number;
  seedSeconds: number;
  flushSeconds: number;
  perHeartbeatUs: number;
  databaseCpuSeconds: number | null;
  recordsUpdated: number;
}

async function measureFlush(baseUrl: string, size: number, mongoPid: number | undefined): Promise<FlushFigures> {
  const url = new URL(baseUrl);
  url.pathname = `/hbscale_${process.pid}_${size}`;
  await mongoose.connect(url.toString(), { autoIndex: false });
  try {
    await mongoose.connection.dropDatabase();
    await ActivationModel.createIndexes();
    const seedStarted = performance.now();
    const activatedAt = new Date(Date.now() - 86_400_000);
    for (let start = 0; start < size; start += 5000) {
      const docs: ActivationDoc[] = [];
      for (let id = start + 1; id <= Math.min(size, start + 5000); id += 1) {
        docs.push({
          _id: id,
          license_id: Math.ceil(id / settings.perLicense),
          license_key: 'HBSC-0000-0000-0000',
          hardware_hash: `hbscale-${id}`,
          machine_name: 'bench',
          app_version: '1.0.0',
          slot: (id - 1) % settings.perLicense,
          is_active: true,
          activated_at: activatedAt,
          deactivated_at: null,
          last_heartbeat: null,
        });
      }
      await ActivationModel.collection.insertMany(docs as never[], { ordered: false });
    }
    // The buffer as the heartbeat script leaves it (the device service's contract).
    const at = Date.now();
    for (let start = 1; start <= size; start += 10_000) {
      const pipeline = redis.pipeline();
      for (let id = start; id < Math.min(size + 1, start + 10_000); id += 1) {
        pipeline.hset(HEARTBEAT_BUFFER_KEY, String(id), String(at));
      }
      await pipeline.exec();
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`seeded ${fmt(size)} records and buffered as many heartbeats in ${fmt(seedSeconds, 1)} s`);

    const ticksBefore = mongoPid === undefined ? null : processTicks(mongoPid);
    const started = performance.now();
    const written = await flushHeartbeats(redis);
    const flushSeconds = (performance.now() - started) / 1000;
    const ticksAfter = mongoPid === undefined ? null : processTicks(mongoPid);
    if (written !== size) throw new Error(`the flush wrote ${written} of ${size} heartbeats`);
    const recordsUpdated = await ActivationModel.countDocuments({ last_heartbeat: new Date(at) });
    await mongoose.connection.dropDatabase();
    return {
      heartbeats: size,
      seedSeconds,
      flushSeconds,
      perHeartbeatUs: (flushSeconds * 1e6) / size,
      databaseCpuSeconds:
        ticksBefore === null || ticksAfter === null ? null : ((ticksAfter - ticksBefore) * MS_PER_TICK) / 1000,
      recordsUpdated,
    };
  } finally {
    await mongoose.disconnect();
  }
}

/** 1. The Redis work of a heartbeat, both ways (machines numbered apart, so no way sees the other's keys). */
async function measureAllWork(): Promise<WorkFigures[]> {
  const limiter = new ExactLimiter(redis, 'heartbeat', 1);
  const store = new SessionStore(redis, SESSION_TIMEOUT_SECONDS);
  const sessionOf = (i: number) => ({
    licenseId: Math.floor(i / settings.perLicense) + 1,
    activationId: i + 1,
    maxUsers: settings.perLicense,
  });
  // A first short pass of each warms the connection, the scripts and the JIT.
  const ways = {
    oneScript: (i: number) => store.heartbeat(limiter, limitKeyOf(i + 1), sessionOf(i)),
    threeCalls: async (i: number) => {
      const decision = await limiter.hit(limitKeyOf(i + 1));
      if (!decision.allowed) return;
      const s = sessionOf(i);
      const touched = await store.touch(s.licenseId, s.activationId, s.maxUsers, true);
      if (touched.admitted) await bufferHeartbeat(redis, s.activationId, Date.now());
    },
  };
  const base = 10_000_000;
  await drive(base, 20_000, ways.oneScript);
  await drive(base + 20_000, 20_000, ways.threeCalls);
  const work: WorkFigures[] = [];
  // Alternated, twice each: the machine's load moves between passes.
  for (let round = 0; round < 2; round += 1) {
    const offset = base + 100_000 + round * 2 * settings.calls;
    work.push(await measureWork('one script', offset, settings.calls, 1, ways.oneScript));
    work.push(await measureWork('three calls', offset + settings.calls, settings.calls, 3, ways.threeCalls));
  }
  await dropNamespace();
  log('\nRedis work per heartbeat (distinct machines, 1,000 in flight on one connection)');
  log('way           round trips   heartbeats/s   client CPU us   Redis CPU us');
  for (const w of work) {
    log(
      `${w.way.padEnd(14)}${String(w.roundTrips).padStart(11)}${fmt(w.perSecond).padStart(15)}` +
        `${fmt(w.clientCpuUs, 1).padStart(16)}${fmt(w.redisCpuUs, 1).padStart(15)}`,
    );
  }

  return work;
}

/** 2. The memory of a million machines. */
async function measureAndShowMemory(): Promise<MemoryFigures> {
  log(`\nfilling ${fmt(settings.machines)} machines (${settings.perLicense} per license) ...`);
  const memory = await measureMemory();
  log(
    `Redis memory for ${fmt(memory.machines)} machines over ${fmt(memory.licenses)} licenses ` +
      `(filled in ${fmt(memory.fillSeconds, 1)} s through the one script)`,
  );
  log(
    `used_memory ${fmt(memory.usedBefore / 2 ** 20, 1)} MiB -> ${fmt(memory.usedAfter / 2 ** 20, 1)} MiB: ` +
      `${fmt(memory.perMachine)} B per machine; after deleting: ${fmt(memory.usedAfterDelete / 2 ** 20, 1)} MiB`,
  );
  log('kind of key                                          keys        MiB   B per machine');
  for (const k of memory.kinds) {
    log(
      `${k.kind.padEnd(48)}${fmt(k.keys).padStart(11)}${fmt(k.bytes / 2 ** 20, 1).padStart(11)}` +
        `${fmt(k.perMachine).padStart(16)}`,
    );
  }

  return memory;
}

interface Extrapolation {
  fixedUs: number;
  perRecordUs: number;
  flushSeconds(heartbeats: number, records: number): number;
}

/**
 * The flush's time per heartbeat as a line in the records stored (each size stores as many records as it
 * flushes heartbeats): constant on MongoDB, where each update is an index lookup, and growing on the
 * embedded server, whose update by id costs in proportion to the records. Null with fewer than two sizes.
 */
function extrapolate(flushes: FlushFigures[]): Extrapolation | null {
  if (flushes.length < 2) return null;
  const n = flushes.length;
  const mx = flushes.reduce((a, f) => a + f.heartbeats, 0) / n;
  const my = flushes.reduce((a, f) => a + f.perHeartbeatUs, 0) / n;
  const sxx = flushes.reduce((a, f) => a + (f.heartbeats - mx) ** 2, 0);
  const sxy = flushes.reduce((a, f) => a + (f.heartbeats - mx) * (f.perHeartbeatUs - my), 0);
  const perRecordUs = Math.max(0, sxy / sxx);
  const fixedUs = Math.max(0, my - perRecordUs * mx);
  return {
    fixedUs,
    perRecordUs,
    flushSeconds: (heartbeats, records) => (heartbeats * (fixedUs + perRecordUs * records)) / 1e6,
  };
}

/** 3. The flush into the database. */
async function measureAllFlushes(): Promise<FlushFigures[]> {
  let mongo: EmbeddedMongo | undefined;
  let tempDir: string | undefined;
  let mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'hbscale-mongo-'));
    mongo = await startEmbeddedMongo({ dir: tempDir });
    mongoUrl = mongo.url;
  }
  const flushes: FlushFigures[] = [];
  try {
    for (const size of settings.flushSizes) {
      log(`\nflush of ${fmt(size)} buffered heartbeats into ${mongo ? 'the embedded database' : 'MONGO_URL'} ...`);
      const f = await measureFlush(mongoUrl, size, mongo?.pid);
      flushes.push(f);
      log(
        `${fmt(size)} heartbeats: flushed in ${fmt(f.flushSeconds, 1)} s (${fmt(f.perHeartbeatUs)} us each` +
          `${f.databaseCpuSeconds === null ? '' : `, database CPU ${fmt(f.databaseCpuSeconds, 1)} s`}); ` +
          `${fmt(f.recordsUpdated)} records hold it`,
      );
    }
  } finally {
    await mongo?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
  const extrapolation = extrapolate(flushes);
  if (extrapolation) {
    log(
      `\nEXTRAPOLATED, not measured: the time per heartbeat grows with the records stored ` +
        `(${fmt(extrapolation.fixedUs)} us + ${fmt(extrapolation.perRecordUs, 2)} us per record, ` +
        `least squares over ${flushes.length} sizes). 100,000 heartbeats over 100,000 records: ` +
        `~${fmt(extrapolation.flushSeconds(100_000, 100_000))} s; a million machines leave 250,000 per ` +
        `15 s flush over 1,000,000 records: ~${fmt(extrapolation.flushSeconds(250_000, 1_000_000))} s each`,
    );
  }
  return flushes;
}

async function main(): Promise<void> {
  log(
    `heartbeat scale: Node ${process.version}, ${cpuModel()}, ${os.availableParallelism()} cores, ${new Date().toISOString()}`,
  );
  log(`Redis ${settings.redisUrl}, namespace ${namespace}`);

  const work = settings.parts.includes('work') ? await measureAllWork() : [];
  const memory = settings.parts.includes('memory') ? await measureAndShowMemory() : null;
  const flushes = settings.parts.includes('flush') ? await measureAllFlushes() : [];

  const dropped = await dropNamespace();
  const file = path.join(ROOT, 'bench/results/heartbeat-scale.json');
  await writeFile(
    file,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cpu: cpuModel(),
        cores: os.availableParallelism(),
        settings,
        work,
        memory,
        flushes,
        flushExtrapolation: (() => {
          const e = extrapolate(flushes);
          return (
            e && {
              fixedUs: e.fixedUs,
              perRecordUs: e.perRecordUs,
              seconds100kOver100k: e.flushSeconds(100_000, 100_000),
              seconds250kOver1M: e.flushSeconds(250_000, 1_000_000),
            }
          );
        })(),
      },
      null,
      2,
    )}\n`,
  );
  log(`\nnamespace deleted (${dropped} keys left at the end); figures in ${path.relative(ROOT, file)}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  await dropNamespace().catch(() => 0);
  process.exitCode = 1;
} finally {
  redis.disconnect();
  admin.disconnect();
}
