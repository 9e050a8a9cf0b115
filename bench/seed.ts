/**
 * Seeds licenses for the benchmark, fast: `insertMany` in batches straight into the bench's own
 * database, documents shaped exactly as models/license.model.ts and models/activation.model.ts store
 * them, ids reserved from the same counters the services use (one `$inc` by the batch), so the
 * services' own creates never collide with them.
 *
 * A pool is a named range of licenses whose keys are computed from their index (`poolKey`), so the
 * load generator can name the i-th license without reading the database. Each license can get one
 * activation for a given hardware hash (verify and heartbeat then answer VALID).
 *
 *   node bench/seed.ts <mongo url> <pool code> <count> [--activate <hardware hash>] [--max-activations n]
 */
import mongoose from 'mongoose';
import { ActivationModel } from '../models/activation.model.ts';
import { CounterModel } from '../models/counter.model.ts';
import { CustomerModel } from '../models/customer.model.ts';
import { LicenseModel, type LicenseDoc } from '../models/license.model.ts';
import type { ActivationDoc } from '../models/activation.model.ts';

const BATCH = 5000;
const KEY_DIGITS = 12;

/** The i-th key of a pool: the 4-character pool code, then i in base 36 over three groups of four. */
export function poolKey(code: string, index: number): string {
  const digits = index.toString(36).toUpperCase().padStart(KEY_DIGITS, '0');
  return `${code}-${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8, 12)}`;
}

export interface PoolSpec {
  /** Four characters [A-Z0-9]: the first group of every key of the pool. */
  code: string;
  count: number;
  /** When set, every license gets one active activation for this hardware hash. */
  activateHardware?: string;
  maxActivations?: number;
}

export interface SeedResult {
  licenses: number;
  activations: number;
  ms: number;
}

/** Reserves `count` ids of a counter sequence at once; answers the first. */
async function reserveIds(sequence: string, count: number): Promise<number> {
  const doc = await CounterModel.findOneAndUpdate(
    { _id: sequence },
    { $inc: { seq: count } },
    { upsert: true, returnDocument: 'after', lean: true },
  );
  return doc!.seq - count + 1;
}

/** The customer every bench license belongs to (so a cold view load also asks customer.statuses). */
async function benchCustomer(): Promise<number> {
  const email = 'bench@bench.invalid';
  const existing = await CustomerModel.findOne({ email_lower: email }).lean();
  if (existing) return existing._id;
  const id = await reserveIds('customer', 1);
  const now = new Date();
  await CustomerModel.collection.insertOne({
    _id: id,
    name: 'Bench customer',
    name_lower: 'bench customer',
    email,
    email_lower: email,
    company: '',
    phone: '',
    notes: '',
    is_active: true,
    created_at: now,
    updated_at: now,
  } as never);
  return id;
}

/** Inserts the pools into the database at `mongoUrl` (its indexes created first, as the services would). */
export async function seedPools(mongoUrl: string, pools: PoolSpec[]): Promise<SeedResult> {
  const started = Date.now();
  const connection = await mongoose.connect(mongoUrl, { autoIndex: false, maxPoolSize: 4 });
  let licenses = 0;
  let activations = 0;
  try {
    await Promise.all([LicenseModel.createIndexes(), ActivationModel.createIndexes(), CustomerModel.createIndexes()]);
    const customerId = await benchCustomer();
    const now = new Date();
    const validFrom = new Date(Date.UTC(2025, 0, 1));
    for (const pool of pools) {
      if (!/^[A-Z0-9]{4}$/.test(pool.code)) throw new Error(`pool code must be 4 characters [A-Z0-9]: ${pool.code}`);
      for (let start = 0; start < pool.count; start += BATCH) {
        const size = Math.min(BATCH, pool.count - start);
        const firstLicense = await reserveIds('license', size);
        const docs: LicenseDoc[] = [];
        for (let i = 0; i < size; i += 1) {
          docs.push({
            _id: firstLicense + i,
            key: poolKey(pool.code, start + i),
            customer_id: customerId,
            type: 'perpetual',
            valid_from: validFrom,
            valid_until: null,
            max_activations: pool.maxActivations ?? 10,
            max_users: 10,
            is_active: true,
            expired_notified: false,
            activation_level: 0,
            notes: '',
            created_at: now,
            updated_at: now,
          });
        }
        await LicenseModel.collection.insertMany(docs as never[], { ordered: false });
        licenses += size;
        if (pool.activateHardware !== undefined) {
          const firstActivation = await reserveIds('activation', size);
          const seats: ActivationDoc[] = docs.map((license, i) => ({
            _id: firstActivation + i,
            license_id: license._id,
            license_key: license.key,
            hardware_hash: pool.activateHardware!,
            machine_name: 'bench',
            app_version: '1.0.0',
            slot: 0,
            is_active: true,
            activated_at: now,
            deactivated_at: null,
            last_heartbeat: null,
          }));
          await ActivationModel.collection.insertMany(seats as never[], { ordered: false });
          activations += size;
        }
      }
    }
  } finally {
    await connection.disconnect();
  }
  return { licenses, activations, ms: Date.now() - started };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, code, count, ...rest] = process.argv.slice(2);
  if (!url || !code || !count) {
    process.stderr.write(
      'usage: node bench/seed.ts <mongo url> <pool code> <count> [--activate <hardware>] [--max-activations n]\n',
    );
    process.exit(2);
  }
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const max = flag('--max-activations');
  const result = await seedPools(url, [
    {
      code,
      count: Number(count),
      ...(flag('--activate') !== undefined ? { activateHardware: flag('--activate')! } : {}),
      ...(max !== undefined ? { maxActivations: Number(max) } : {}),
    },
  ]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
