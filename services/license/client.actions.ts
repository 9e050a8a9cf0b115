/**
 * The client licensing API (X-API-Key): activate, verify, heartbeat, license info, and the legacy
 * routes of the reference's Python and C# clients. Verify is the hot path (verify-path.ts).
 */
import { createHash } from 'node:crypto';
import { LicenseModel } from '../../models/license.model.ts';
import { NotFoundError, RateLimitError, ServiceUnavailableError, ValidationError } from '../../lib/core/errors.ts';
import { actionFor, type ParamsOf } from '../../lib/core/schema-types.ts';
import { assertValid, objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { MAX_BATCH_ITEMS, runBatch } from '../../lib/infra/call-batcher.ts';
import {
  APP_VERSION_SCHEMA,
  HARDWARE_HASH_SCHEMA,
  ID_SCHEMA,
  LICENSE_KEY_SCHEMA,
  MACHINE_NAME_SCHEMA,
} from '../../lib/core/schemas.ts';
import { dateOnly, headerInt } from '../../lib/core/values.ts';
import type { ActivationAnswer } from '../device/contract.ts';
import { activate } from './activation.ts';
import type { HeartbeatAnswer, LicenseActivationAnswer, VerifyAnswer } from './contract.ts';
import { hardwareHashOf } from './hardware.ts';
import { isRefusedKey } from './license-keys.ts';
import type { LicenseThis } from './state.ts';
import { announceUsersLevel } from './usage.ts';
import { VERIFY_MESSAGES, evaluate } from './verdict.ts';
import { customerStatus } from './views.ts';

const action = actionFor<LicenseThis>();

/** What clients are told about the next heartbeat. */
const HEARTBEAT_INTERVAL_SECONDS = 60;
/** The heartbeat limiter's window (lib/infra/rate-limiter.ts: one minute). */
const HEARTBEAT_WINDOW_SECONDS = 60;

const HARDWARE_ID_SCHEMA = {
  anyOf: [HARDWARE_HASH_SCHEMA, { type: 'object', minProperties: 1, maxProperties: 64 }],
  description: 'A hardware hash string, or a HardwareInfo object hashed canonically (sorted keys, SHA-256)',
} as const satisfies JsonSchema;

/** license.verify's params; the gateway's fast path checks them against this same schema (verify-local.ts). */
export const VERIFY_PARAMS = objectSchema(
  { license_key: LICENSE_KEY_SCHEMA, hardware_hash: HARDWARE_HASH_SCHEMA, app_version: APP_VERSION_SCHEMA },
  ['license_key', 'hardware_hash'],
);

/** One verify: its answer, counted. Not async: a warm verify creates no promise at all. */
function verifyOne(svc: LicenseThis, p: ParamsOf<typeof VERIFY_PARAMS>): VerifyAnswer | Promise<VerifyAnswer> {
  const verdict = svc.verifier.answer(p.license_key, p.hardware_hash, p.app_version, { forceSession: false });
  if (verdict instanceof Promise) {
    return verdict.then(v => {
      svc.counters.verifications[v.answer.code].inc();
      svc.verifySeries.add();
      return v.answer;
    });
  }
  svc.counters.verifications[verdict.answer.code].inc();
  svc.verifySeries.add();
  return verdict.answer;
}

/** An activation as license answers show it (license info, device lists). */
export function toLicenseActivationAnswer(a: ActivationAnswer): LicenseActivationAnswer {
  return {
    id: a.id,
    hardware_hash: a.hardware_hash,
    machine_name: a.machine_name,
    activated_at: a.activated_at,
    last_heartbeat: a.last_heartbeat,
    is_active: a.is_active,
  };
}

export const clientActions = {
  /** POST /api/license/activate */
  activate: action({
    params: objectSchema(
      {
        license_key: LICENSE_KEY_SCHEMA,
        hardware_hash: HARDWARE_HASH_SCHEMA,
        machine_name: MACHINE_NAME_SCHEMA,
        app_version: APP_VERSION_SCHEMA,
      },
      ['license_key', 'hardware_hash'],
    ),
    handler(ctx) {
      return activate(this, ctx, ctx.params);
    },
  }),

  /** POST /api/v1/activate: the reference's Python and C# clients (hardware_id, string or object). */
  activateLegacy: action({
    params: objectSchema(
      {
        license_key: LICENSE_KEY_SCHEMA,
        hardware_id: HARDWARE_ID_SCHEMA,
        machine_name: MACHINE_NAME_SCHEMA,
        app_version: APP_VERSION_SCHEMA,
      },
      ['license_key', 'hardware_id'],
    ),
    async handler(ctx) {
      const { hardware_id, ...rest } = ctx.params;
      const answer = await activate(this, ctx, { ...rest, hardware_hash: hardwareHashOf(hardware_id) });
      return { success: true, activation_id: answer.activation.id, ...answer };
    },
  }),

  /** POST /api/license/verify: always 200 for a well-formed request; `valid` and `code` say why. */
  verify: action({
    params: VERIFY_PARAMS,
    handler(ctx) {
      return verifyOne(this, ctx.params);
    },
  }),

  /**
   * Many verifies in one call, each item checked and answered as `verify` would (its answer or its
   * error): a gateway on another node sends the verifies of one turn together (lib/infra/call-batcher.ts).
   */
  verifyMany: action({
    visibility: 'public',
    params: objectSchema(
      { items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: { type: 'object' } } },
      ['items'],
    ),
    handler(ctx) {
      return runBatch(this.broker, ctx.params.items, item => {
        assertValid(VERIFY_PARAMS, item);
        return verifyOne(this, item as ParamsOf<typeof VERIFY_PARAMS>);
      });
    },
  }),

  /** POST /api/v1/validate: verify for the reference's clients; a given activation_id must match. */
  validateLegacy: action({
    params: objectSchema(
      {
        license_key: LICENSE_KEY_SCHEMA,
        activation_id: { anyOf: [ID_SCHEMA, { type: 'string', pattern: '^[0-9]{1,15}$' }] },
        hardware_id: HARDWARE_ID_SCHEMA,
        app_version: APP_VERSION_SCHEMA,
      },
      ['license_key', 'hardware_id'],
    ),
    async handler(ctx) {
      const p = ctx.params;
      const verdict = await this.verifier.answer(p.license_key, hardwareHashOf(p.hardware_id), p.app_version, {
        forceSession: false,
        activationId: p.activation_id === undefined ? undefined : Number(p.activation_id),
      });
      this.counters.verifications[verdict.answer.code].inc();
      this.verifySeries.add();
      return verdict.answer;
    },
  }),

  /**
   * POST /api/license/heartbeat: like verify (same codes), and records the heartbeat. Its Redis work is
   * one script (SessionStore.heartbeat): the exact per-activation limit, the max_users session and the
   * device service's heartbeat buffer, so a heartbeat costs one round trip and no broker call.
   */
  heartbeat: action({
    params: objectSchema(
      {
        license_key: LICENSE_KEY_SCHEMA,
        hardware_hash: HARDWARE_HASH_SCHEMA,
        activation_id: ID_SCHEMA,
        app_version: APP_VERSION_SCHEMA,
      },
      ['license_key'],
    ),
    async handler(ctx): Promise<HeartbeatAnswer> {
      const p = ctx.params;
      if (p.hardware_hash === undefined && p.activation_id === undefined) {
        throw new ValidationError('hardware_hash or activation_id is required', {
          field: 'hardware_hash',
          reason: 'required',
        });
      }
      const view = await this.verifier.view(p.license_key);
      const hardwareHash =
        p.hardware_hash ?? [...view.activations].find(([, a]) => a.id === p.activation_id)?.[0] ?? '';
      // One limit per activation, whichever way the request names it; machines that are not
      // activated are limited per (key, hardware) so they cannot hammer either.
      const activation = view.activations.get(hardwareHash);
      const limitKey = activation
        ? `a:${activation.id}`
        : `h:${p.license_key}:${hardwareHash || `id:${p.activation_id}`}`;
      // The verdict up to the session check, from the view in memory; the session check itself is in
      // the heartbeat's script, after the limit, as verify-path.ts would do it after this verdict.
      const now = Date.now();
      const verdict = evaluate(view, hardwareHash, now, p.activation_id);
      const license = view.license;
      const session =
        verdict.code === 'VALID' && verdict.activation && license
          ? { licenseId: license.id, activationId: verdict.activation.id, maxUsers: license.max_users }
          : null;
      let beat;
      try {
        beat = await this.sessions.heartbeat(
          this.heartbeatLimiter,
          createHash('sha1').update(limitKey).digest('hex'),
          session,
          now,
        );
      } catch {
        throw new ServiceUnavailableError('Heartbeat store unavailable');
      }
      const decision = beat.decision;
      // The limiter counts every hit of the window exactly, so one request sees the count reach the
      // excess: announced once per window, however many more are refused after it.
      if (decision.hits === decision.limit + this.heartbeatExcess && license) {
        await this.announce(ctx, 'device.heartbeat.excessive', {
          license_id: license.id,
          activation_id: activation?.id ?? null,
          customer_id: license.customer_id,
          hits: decision.hits,
          limit: decision.limit,
          window_seconds: HEARTBEAT_WINDOW_SECONDS,
        });
      }
      if (!decision.allowed) {
        this.counters.heartbeats.rate_limited.inc();
        throw new RateLimitError(decision.resetSeconds, decision.limit);
      }
      (ctx.meta as { $responseHeaders?: Record<string, string> }).$responseHeaders = {
        'X-RateLimit-Limit': headerInt(decision.limit),
        'X-RateLimit-Remaining': headerInt(decision.remaining),
        'X-RateLimit-Reset': headerInt(decision.resetSeconds),
      };
      let code = verdict.code;
      if (beat.session && license) {
        if (beat.session.moved) announceUsersLevel(this, license, beat.session.moved);
        if (!beat.session.admitted) code = 'TOO_MANY_USERS';
      }
      const valid = code === 'VALID';
      const update = await this.verifier.updateFields(p.app_version);
      this.counters.heartbeats[valid ? 'recorded' : 'invalid'].inc();
      return {
        success: valid,
        valid,
        code,
        message: valid ? 'Heartbeat recorded' : VERIFY_MESSAGES[code],
        activation_id: valid ? verdict.activation!.id : null,
        // Admitted: the script buffered the heartbeat at `now` (what the device service's flush writes).
        last_heartbeat: valid ? new Date(now).toISOString() : null,
        next_heartbeat_seconds: HEARTBEAT_INTERVAL_SECONDS,
        update_available: update.update_available,
        latest_version: update.latest_version,
      };
    },
  }),

  /** GET /api/license/info/:license_key */
  info: action({
    params: objectSchema({ license_key: LICENSE_KEY_SCHEMA }, ['license_key']),
    async handler(ctx) {
      const key = ctx.params.license_key;
      const doc = isRefusedKey(key) ? null : await LicenseModel.findOne({ key }).lean();
      if (!doc) {
        throw new NotFoundError('License not found', 'LICENSE_NOT_FOUND', {
          field: 'license_key',
          reason: 'not_found',
        });
      }
      const [customer, activations] = await Promise.all([
        customerStatus(this.broker, doc.customer_id),
        ctx.call<ActivationAnswer[], { license_id: number }>('device.forLicense', { license_id: doc._id }),
      ]);
      return {
        license: {
          id: doc._id,
          key: doc.key,
          customer_name: customer?.name ?? null,
          type: doc.type,
          valid_from: dateOnly(doc.valid_from),
          valid_until: dateOnly(doc.valid_until),
          max_activations: doc.max_activations,
          max_users: doc.max_users,
          is_active: doc.is_active,
        },
        activations: activations.map(toLicenseActivationAnswer),
      };
    },
  }),
};
