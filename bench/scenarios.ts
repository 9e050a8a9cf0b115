/**
 * What the load generator sends, per scenario. A scenario is plain data (it crosses to the load
 * generator's process as JSON); `bodySource` turns it into the body of each next request.
 *
 *   warm        verify of one license whose view is cached (the test license on the bench machine)
 *   cold        verify of a license this process has never verified: each request names the next key
 *               of a seeded pool, so its view is not in memory and is read from the database (license,
 *               customer.statuses, device.forLicense) and its session admitted in Redis. Nothing in the
 *               server is changed or dropped for it: a fresh process has no views, and no key repeats.
 *   heartbeat   heartbeats spread round-robin over a range of seeded activations (views warmed by the
 *               warm-up), with the per-activation limit raised just enough (see HEARTBEAT_LIMIT_PER_MINUTE)
 *   activation  a new machine on every request, round-robin over a pool of licenses with room for it
 */
import { TEST_CREDENTIALS } from '../config/index.ts';
import { poolKey } from './seed.ts';

export const BENCH_HARDWARE = 'bench-verify-hardware-0001';
export const CLIENT_HEADERS = { 'X-API-Key': TEST_CREDENTIALS.apiKey, 'Content-Type': 'application/json' };
export const WARM_VERIFY_BODY = JSON.stringify({
  license_key: TEST_CREDENTIALS.licenseKey,
  hardware_hash: BENCH_HARDWARE,
  app_version: '1.0.0',
});

/** Pools seeded into the bench database (bench/seed.ts); their keys are computed from the index. */
export const POOLS = {
  /** Licenses with one activation on BENCH_HARDWARE: cold verifies, heartbeats, cost growth. */
  verify: 'BVFY',
  /** Licenses with room for many machines: activations. */
  activate: 'BACT',
} as const;

/**
 * Activations the heartbeat scenario spreads over (the last ones of the verify pool; their views are
 * loaded before it starts, as a client's verify at start would).
 */
export const HEARTBEAT_ACTIVATIONS = 50;
/**
 * The exact per-activation heartbeat limit (RATE_LIMIT_HEARTBEAT_PER_MINUTE, 1 in the reference) is
 * raised to this for the bench, no further than it needs: the heartbeat scenario lasts well under a
 * minute (warm-up + measured, 13 s by default) and spreads round-robin over HEARTBEAT_ACTIVATIONS, so
 * up to 10,000 x 50 / 13 s ~ 38,000 heartbeats a second stay under it (4,000 was outrun on a faster
 * machine at 14,000/s). The limiter still makes its one Redis call per heartbeat; any 429 would show in
 * the table as failed requests.
 */
export const HEARTBEAT_LIMIT_PER_MINUTE = 10_000;
/** Licenses of the activation pool, and machines each may hold (the threshold events stay far off). */
export const ACTIVATION_LICENSES = 50;
export const ACTIVATION_MAX_MACHINES = 100_000;

export type ScenarioName = 'warm' | 'cold' | 'heartbeat' | 'activation';

export interface Scenario {
  name: ScenarioName;
  label: string;
  path: string;
  /** The same body every time (warm), or the next one computed from the pool and the request's index. */
  body?: string;
  pool?: { code: string; start: number; count: number; order: 'sequential' | 'cycle' | 'random' };
  /** Activation: machines named `<tag>-<index>`, unique within the bench's run. */
  machineTag?: string;
  /** A finite pool: the run stops after this many requests (every key once). */
  maxRequests?: number;
}

export const SCENARIO_LABELS: Record<ScenarioName, string> = {
  warm: 'verify warm',
  cold: 'verify cold',
  heartbeat: 'heartbeat',
  activation: 'activation',
};

/** A function answering the body of the next request; `index` counts requests of the load generator. */
export function bodySource(s: Scenario): () => string {
  if (s.body !== undefined) {
    const body = s.body;
    return () => body;
  }
  const pool = s.pool!;
  let next = 0;
  const keyAt = (): string => {
    const i = next;
    next += 1;
    const offset =
      pool.order === 'random'
        ? Math.floor(Math.random() * pool.count)
        : pool.order === 'cycle'
          ? i % pool.count
          : Math.min(i, pool.count - 1);
    return poolKey(pool.code, pool.start + offset);
  };
  if (s.name === 'activation') {
    const tag = s.machineTag ?? 'bench';
    let machine = 0;
    return () => {
      machine += 1;
      return JSON.stringify({
        license_key: keyAt(),
        hardware_hash: `${tag}-${machine}`,
        machine_name: 'bench',
        app_version: '1.0.0',
      });
    };
  }
  return () => JSON.stringify({ license_key: keyAt(), hardware_hash: BENCH_HARDWARE, app_version: '1.0.0' });
}

/** Whether an answer of this scenario is what a working server says (checked once before measuring). */
export function answerLooksRight(s: Scenario, status: number, text: string): boolean {
  if (s.name === 'activation') return status === 200 || status === 201;
  try {
    return status === 200 && (JSON.parse(text) as { valid?: unknown }).valid === true;
  } catch {
    return false;
  }
}

export interface PoolLayout {
  /** Licenses in the verify pool. */
  verifyCount: number;
}

/** Warm verify of the test license: the main table's first scenario, the open loops' and the warm-ups'. */
export const WARM_SCENARIO: Scenario = {
  name: 'warm',
  label: SCENARIO_LABELS.warm,
  path: '/api/license/verify',
  body: WARM_VERIFY_BODY,
};

/** The four scenarios of the main table, over the pools of a database seeded with `layout`. */
export function mainScenarios(layout: PoolLayout, runTag: string): Scenario[] {
  const coldCount = layout.verifyCount - HEARTBEAT_ACTIVATIONS;
  return [
    WARM_SCENARIO,
    {
      name: 'cold',
      label: SCENARIO_LABELS.cold,
      path: '/api/license/verify',
      pool: { code: POOLS.verify, start: 0, count: coldCount, order: 'sequential' },
      maxRequests: coldCount,
    },
    {
      name: 'heartbeat',
      label: SCENARIO_LABELS.heartbeat,
      path: '/api/license/heartbeat',
      pool: { code: POOLS.verify, start: coldCount, count: HEARTBEAT_ACTIVATIONS, order: 'cycle' },
    },
    {
      name: 'activation',
      label: SCENARIO_LABELS.activation,
      path: '/api/license/activate',
      pool: { code: POOLS.activate, start: 0, count: ACTIVATION_LICENSES, order: 'cycle' },
      machineTag: runTag,
    },
  ];
}
