/**
 * Licenses and the client licensing flow: activate, verify, heartbeat, info.
 *
 * The verify path is the one every client app hits at every start, so it is served from an in-process
 * view of each license (license, customer status, activations), plus the release list and a memo of
 * recently admitted sessions. Whoever changes one of their sources calls `dropViews` on every license
 * node before answering (lib/invalidation.ts); views also expire after 60 s in case a node missed a
 * call. A warm verify does no I/O at all (docs/performance.md).
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { Redis } from 'ioredis';
import { config } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { LICENSE_TYPES, LicenseModel, type LicenseDoc } from '../models/license.model.ts';
import { nextId } from '../models/counter.model.ts';
import { createHash } from 'node:crypto';
import {
  AppError,
  ConflictError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
  isDuplicateKeyError,
  type ErrorCode,
} from '../lib/core/errors.ts';
import { ExactLimiter } from '../lib/infra/rate-limiter.ts';
import { objectSchema, type JsonSchema } from '../lib/core/validation.ts';
import {
  APP_VERSION_SCHEMA,
  HARDWARE_HASH_SCHEMA,
  ID_SCHEMA,
  LICENSE_KEY_SCHEMA,
  MACHINE_NAME_SCHEMA,
} from '../lib/core/schemas.ts';
import { ViewCache } from './license/view-cache.ts';
import { SessionStore } from './license/sessions.ts';
import { acquireRedis, releaseRedis } from '../lib/infra/redis.ts';
import { updateFor, type ReleaseInfo, type UpdateAnswer } from '../lib/domain/releases.ts';
import { hardwareHashOf } from './license/hardware.ts';
import { generateLicenseKey } from './license/license-keys.ts';
import { startRepeatingJob, type RepeatingJob } from '../lib/infra/jobs.ts';
import { dropLicenseViews, type ViewChange } from '../mixins/view-invalidation.mixin.ts';
import {
  VERIFY_MESSAGES,
  evaluate,
  isExpired,
  licenseProblem,
  type LicenseSnapshot,
  type LicenseView,
  type VerifyCode,
} from './license/verdict.ts';
import type { ActivationAnswer } from './device/contract.ts';
import {
  LICENSE_STATUSES,
  statusFilter,
  toLicenseAnswer,
  type LicenseAnswer,
  type LicenseStatus,
} from './license/contract.ts';
import { dateOnly, escapeRegex, fromDay, startOfDay } from '../lib/core/values.ts';

interface CustomerStatus {
  id: number;
  name: string;
  email: string;
  is_active: boolean;
}

interface VerifyAnswer {
  valid: boolean;
  code: VerifyCode;
  message: string;
  license?: { key: string; valid_until: string | null; max_users: number };
  update_available?: boolean;
  latest_version?: string | null;
}

/** The answer, and the activation that was found valid (heartbeats record it). */
interface Verdict {
  answer: VerifyAnswer;
  activationId: number | undefined;
}

interface VerifyOptions {
  /** Heartbeats always refresh the session in Redis; verifies may rely on a recent admission. */
  forceSession: boolean;
  activationId?: number;
}

interface LicenseThis extends Service {
  redis: Redis;
  views: ViewCache<LicenseView>;
  sessions: SessionStore;
  heartbeatLimiter: ExactLimiter;
  releases: { list: Promise<ReleaseInfo[]>; at: number; ready?: ReleaseInfo[] } | null;
  updates: { list: ReleaseInfo[]; byVersion: Map<string, UpdateAnswer> } | null;
  updateAnswer(releases: ReleaseInfo[], appVersion: string | undefined): UpdateAnswer;
  expiryJob: RepeatingJob | null;
  view(key: string): Promise<LicenseView>;
  loadView(key: string): Promise<LicenseView>;
  customerStatus(id: number | null): Promise<CustomerStatus | null>;
  releaseList(): Promise<ReleaseInfo[]>;
  verifyAnswer(
    key: string,
    hardwareHash: string,
    appVersion: string | undefined,
    opts: VerifyOptions,
  ): Verdict | Promise<Verdict>;
  verifySlow(
    key: string,
    hardwareHash: string,
    appVersion: string | undefined,
    opts: VerifyOptions,
    now: number,
  ): Promise<Verdict>;
  composeAnswer(
    view: LicenseView,
    releases: ReleaseInfo[],
    code: VerifyCode,
    appVersion: string | undefined,
  ): VerifyAnswer;
  activateOn(
    ctx: Context,
    p: { license_key: string; hardware_hash: string; machine_name?: string; app_version?: string },
  ): Promise<{ message: string; activation: Record<string, unknown> }>;
  notifyExpired(): Promise<number>;
  withActivationCounts(
    ctx: Context,
    docs: LicenseDoc[],
  ): Promise<Array<LicenseAnswer & { current_activations: number }>>;
  bulkSetActive(ctx: Context, ids: number[], active: boolean): Promise<Record<string, unknown>>;
  announceLicenseChange(ctx: Context, docs: LicenseDoc[]): Promise<void>;
  seedTestLicense(): Promise<void>;
}

/** A view older than this is reloaded even without an event, so a missed event heals itself. */
const VIEW_MAX_AGE_MS = 60_000;
const RELEASES_MAX_AGE_MS = 30_000;
const HEARTBEAT_INTERVAL_SECONDS = 60;

const HARDWARE_ID_SCHEMA: JsonSchema = {
  anyOf: [HARDWARE_HASH_SCHEMA, { type: 'object', minProperties: 1, maxProperties: 64 }],
  description: 'A hardware hash string, or a HardwareInfo object hashed canonically (sorted keys, SHA-256)',
};

const DATE_SCHEMA: JsonSchema = { type: 'string', format: 'date', example: '2027-01-01' };

function snapshot(doc: LicenseDoc): LicenseSnapshot {
  return {
    id: doc._id,
    key: doc.key,
    customer_id: doc.customer_id,
    type: doc.type,
    valid_from: doc.valid_from,
    valid_until: doc.valid_until,
    max_activations: doc.max_activations,
    max_users: doc.max_users,
    is_active: doc.is_active,
  };
}

const NO_LICENSE_VIEW: LicenseView = { license: null, customer: null, activations: new Map() };

function viewOf(doc: LicenseDoc, customer: CustomerStatus | null, activations: ActivationAnswer[]): LicenseView {
  return {
    license: snapshot(doc),
    // A customer deleted behind the license's back counts as disabled.
    customer: doc.customer_id === null ? null : (customer ?? { name: '', is_active: false }),
    activations: new Map(activations.map(a => [a.hardware_hash, { id: a.id, is_active: a.is_active }])),
  };
}

/** An activation as the reference shows it in license info and device lists. */
function activationView(a: ActivationAnswer) {
  return {
    id: a.id,
    hardware_hash: a.hardware_hash,
    machine_name: a.machine_name,
    activated_at: a.activated_at,
    last_heartbeat: a.last_heartbeat,
    is_active: a.is_active,
  };
}

const SEARCH_TEXT_SCHEMA: JsonSchema = { type: 'string', minLength: 1, maxLength: 100 };

/** Bulk operations take 1 to 1000 distinct ids: a clear 400 beyond that, never a table-wide update. */
const BULK_IDS_SCHEMA: JsonSchema = { type: 'array', items: ID_SCHEMA, minItems: 1, maxItems: 1000, uniqueItems: true };

function licenseNotFound(id: number): NotFoundError {
  return new NotFoundError(`License ${id} not found`, 'LICENSE_NOT_FOUND', {
    field: 'license_id',
    reason: 'not_found',
  });
}

async function findLicense(id: number): Promise<LicenseDoc> {
  const doc = await LicenseModel.findById(id).lean();
  if (!doc) throw licenseNotFound(id);
  return doc;
}

/** Activation problems are answered with an error (the client cannot go on); these map the reasons. */
const ACTIVATION_ERRORS: Partial<Record<VerifyCode, ErrorCode>> = {
  NOT_FOUND: 'LICENSE_NOT_FOUND',
  INACTIVE: 'LICENSE_INACTIVE',
  CUSTOMER_DISABLED: 'CUSTOMER_DISABLED',
  NOT_YET_VALID: 'LICENSE_NOT_YET_VALID',
  EXPIRED: 'LICENSE_EXPIRED',
};

const LicenseService: ServiceSchema<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  LicenseThis
> = {
  name: 'license',
  mixins: [dbMixin([LicenseModel])],

  actions: {
    /** POST /api/license/activate */
    activate: {
      params: objectSchema(
        {
          license_key: LICENSE_KEY_SCHEMA,
          hardware_hash: HARDWARE_HASH_SCHEMA,
          machine_name: MACHINE_NAME_SCHEMA,
          app_version: APP_VERSION_SCHEMA,
        },
        ['license_key', 'hardware_hash'],
      ),
      handler(
        this: LicenseThis,
        ctx: Context<{ license_key: string; hardware_hash: string; machine_name?: string; app_version?: string }>,
      ) {
        return this.activateOn(ctx, ctx.params);
      },
    },

    /** POST /api/v1/activate: the reference's Python and C# clients (hardware_id, string or object). */
    activateLegacy: {
      params: objectSchema(
        {
          license_key: LICENSE_KEY_SCHEMA,
          hardware_id: HARDWARE_ID_SCHEMA,
          machine_name: MACHINE_NAME_SCHEMA,
          app_version: APP_VERSION_SCHEMA,
        },
        ['license_key', 'hardware_id'],
      ),
      async handler(
        this: LicenseThis,
        ctx: Context<{
          license_key: string;
          hardware_id: string | Record<string, unknown>;
          machine_name?: string;
          app_version?: string;
        }>,
      ) {
        const { hardware_id, ...rest } = ctx.params;
        const answer = await this.activateOn(ctx, { ...rest, hardware_hash: hardwareHashOf(hardware_id) });
        return { success: true, activation_id: answer.activation.id, ...answer };
      },
    },

    /** POST /api/license/verify: always 200 for a well-formed request; `valid` and `code` say why. */
    verify: {
      params: objectSchema(
        { license_key: LICENSE_KEY_SCHEMA, hardware_hash: HARDWARE_HASH_SCHEMA, app_version: APP_VERSION_SCHEMA },
        ['license_key', 'hardware_hash'],
      ),
      handler(this: LicenseThis, ctx: Context<{ license_key: string; hardware_hash: string; app_version?: string }>) {
        // Not async: a warm verify is answered without creating a single promise here.
        const verdict = this.verifyAnswer(ctx.params.license_key, ctx.params.hardware_hash, ctx.params.app_version, {
          forceSession: false,
        });
        return verdict instanceof Promise ? verdict.then(v => v.answer) : verdict.answer;
      },
    },

    /** POST /api/v1/validate: verify for the reference's clients; a given activation_id must match. */
    validateLegacy: {
      params: objectSchema(
        {
          license_key: LICENSE_KEY_SCHEMA,
          activation_id: { anyOf: [ID_SCHEMA, { type: 'string', pattern: '^[0-9]{1,15}$' }] },
          hardware_id: HARDWARE_ID_SCHEMA,
          app_version: APP_VERSION_SCHEMA,
        },
        ['license_key', 'hardware_id'],
      ),
      async handler(
        this: LicenseThis,
        ctx: Context<{
          license_key: string;
          activation_id?: number | string;
          hardware_id: string | Record<string, unknown>;
          app_version?: string;
        }>,
      ) {
        const p = ctx.params;
        const verdict = await this.verifyAnswer(p.license_key, hardwareHashOf(p.hardware_id), p.app_version, {
          forceSession: false,
          activationId: p.activation_id === undefined ? undefined : Number(p.activation_id),
        });
        return verdict.answer;
      },
    },

    /** POST /api/license/heartbeat: like verify (same codes), and records the heartbeat. */
    heartbeat: {
      params: objectSchema(
        {
          license_key: LICENSE_KEY_SCHEMA,
          hardware_hash: HARDWARE_HASH_SCHEMA,
          activation_id: ID_SCHEMA,
          app_version: APP_VERSION_SCHEMA,
        },
        ['license_key'],
      ),
      async handler(
        this: LicenseThis,
        ctx: Context<{ license_key: string; hardware_hash?: string; activation_id?: number; app_version?: string }>,
      ) {
        const p = ctx.params;
        if (p.hardware_hash === undefined && p.activation_id === undefined) {
          throw new ValidationError('hardware_hash or activation_id is required', {
            field: 'hardware_hash',
            reason: 'required',
          });
        }
        const view = await this.view(p.license_key);
        const hardwareHash =
          p.hardware_hash ?? [...view.activations].find(([, a]) => a.id === p.activation_id)?.[0] ?? '';
        // One limit per activation, whichever way the request names it; machines that are not
        // activated are limited per (key, hardware) so they cannot hammer either.
        const activation = view.activations.get(hardwareHash);
        const limitKey = activation
          ? `a:${activation.id}`
          : `h:${p.license_key}:${hardwareHash || `id:${p.activation_id}`}`;
        let decision;
        try {
          decision = await this.heartbeatLimiter.hit(createHash('sha1').update(limitKey).digest('hex'));
        } catch {
          throw new ServiceUnavailableError('Heartbeat store unavailable');
        }
        if (!decision.allowed) throw new RateLimitError(decision.resetSeconds, decision.limit);
        (ctx.meta as { $responseHeaders?: Record<string, string> }).$responseHeaders = {
          'X-RateLimit-Limit': String(decision.limit),
          'X-RateLimit-Remaining': String(decision.remaining),
          'X-RateLimit-Reset': String(decision.resetSeconds),
        };
        const { answer, activationId } = await this.verifyAnswer(p.license_key, hardwareHash, p.app_version, {
          forceSession: true,
          activationId: p.activation_id,
        });
        let lastHeartbeat: string | null = null;
        if (answer.valid && activationId !== undefined) {
          const recorded = await ctx.call<{ last_heartbeat: string }, { license_id: number; activation_id: number }>(
            'device.recordHeartbeat',
            {
              license_id: view.license!.id,
              activation_id: activationId,
            },
          );
          lastHeartbeat = recorded.last_heartbeat;
        }
        return {
          success: answer.valid,
          valid: answer.valid,
          code: answer.code,
          message: answer.valid ? 'Heartbeat recorded' : answer.message,
          activation_id: answer.valid ? (activationId ?? null) : null,
          last_heartbeat: lastHeartbeat,
          next_heartbeat_seconds: HEARTBEAT_INTERVAL_SECONDS,
          update_available: answer.update_available,
          latest_version: answer.latest_version,
        };
      },
    },

    /** GET /api/license/info/:license_key */
    info: {
      params: objectSchema({ license_key: LICENSE_KEY_SCHEMA }, ['license_key']),
      async handler(this: LicenseThis, ctx: Context<{ license_key: string }>) {
        const doc = await LicenseModel.findOne({ key: ctx.params.license_key }).lean();
        if (!doc)
          throw new NotFoundError('License not found', 'LICENSE_NOT_FOUND', {
            field: 'license_key',
            reason: 'not_found',
          });
        const [customer, activations] = await Promise.all([
          this.customerStatus(doc.customer_id),
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
          activations: activations.map(activationView),
        };
      },
    },

    /** Creates a license (admin API; also used by tests and seeding). The customer must exist. */
    create: {
      params: objectSchema(
        {
          key: LICENSE_KEY_SCHEMA,
          customer_id: ID_SCHEMA,
          type: { type: 'string', enum: [...LICENSE_TYPES] },
          valid_from: DATE_SCHEMA,
          valid_until: { anyOf: [DATE_SCHEMA, { type: 'null' }] },
          max_activations: { type: 'integer', minimum: 1, maximum: 100_000 },
          max_users: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          is_active: { type: 'boolean' },
          notes: { type: 'string', maxLength: 2000 },
        },
        ['type', 'max_activations', 'max_users'],
      ),
      async handler(
        this: LicenseThis,
        ctx: Context<{
          key?: string;
          customer_id?: number;
          type: LicenseDoc['type'];
          valid_from?: string;
          valid_until?: string | null;
          max_activations: number;
          max_users: number;
          is_active?: boolean;
          notes?: string;
        }>,
      ) {
        const p = ctx.params;
        if (p.customer_id !== undefined && !(await this.customerStatus(p.customer_id))) {
          throw new NotFoundError(`Customer ${p.customer_id} not found`, 'CUSTOMER_NOT_FOUND', {
            field: 'customer_id',
            reason: 'not_found',
          });
        }
        const validFrom = p.valid_from === undefined ? startOfDay() : fromDay(p.valid_from);
        const validUntil = p.valid_until == null ? null : fromDay(p.valid_until);
        if (validUntil && validUntil < validFrom) {
          throw new ValidationError('valid_until must not be before valid_from', {
            field: 'valid_until',
            reason: 'out_of_range',
          });
        }
        // A generated key that collides (astronomically unlikely) is simply drawn again.
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const key = p.key ?? generateLicenseKey();
          try {
            const doc = await LicenseModel.create({
              _id: await nextId('license'),
              key,
              customer_id: p.customer_id ?? null,
              type: p.type,
              valid_from: validFrom,
              valid_until: validUntil,
              max_activations: p.max_activations,
              max_users: p.max_users,
              is_active: p.is_active ?? true,
              notes: p.notes ?? '',
            });
            await dropLicenseViews(this.broker, { keys: [doc.key] });
            await ctx.emit('license.created', { license_id: doc._id, customer_id: doc.customer_id });
            Object.assign(ctx.meta, { $statusCode: 201, $location: `/api/license/${doc._id}` });
            // The same shape as in the license list: a new license has no activations yet.
            return { ...toLicenseAnswer(doc.toObject()), current_activations: 0 };
          } catch (err) {
            if (!isDuplicateKeyError(err)) throw err;
            if (p.key !== undefined) {
              throw new ConflictError('A license with this key already exists', 'LICENSE_KEY_EXISTS', {
                field: 'key',
                reason: 'duplicate',
              });
            }
          }
        }
        throw new AppError('KEY_GENERATION_FAILED', 'Could not generate a unique license key');
      },
    },

    /** Internal: one license by id, or LICENSE_NOT_FOUND. */
    get: {
      visibility: 'public',
      params: objectSchema({ id: ID_SCHEMA }, ['id']),
      async handler(ctx: Context<{ id: number }>) {
        return toLicenseAnswer(await findLicense(ctx.params.id));
      },
    },

    /** Internal: a customer's licenses with their current activation counts. */
    forCustomer: {
      visibility: 'public',
      params: objectSchema({ customer_id: ID_SCHEMA }, ['customer_id']),
      async handler(this: LicenseThis, ctx: Context<{ customer_id: number }>) {
        const docs = await LicenseModel.find({ customer_id: ctx.params.customer_id })
          .sort({ _id: 1 })
          .limit(10_000)
          .lean();
        return this.withActivationCounts(ctx, docs);
      },
    },

    /** Internal: licenses whose key contains the text (global search). */
    search: {
      visibility: 'public',
      params: objectSchema({ q: SEARCH_TEXT_SCHEMA, limit: { type: 'integer', minimum: 1, maximum: 100 } }, [
        'q',
        'limit',
      ]),
      async handler(ctx: Context<{ q: string; limit: number }>) {
        const pattern = new RegExp(escapeRegex(ctx.params.q.toUpperCase()));
        const docs = await LicenseModel.find({ key: pattern }).sort({ _id: -1 }).limit(ctx.params.limit).lean();
        return docs.map(toLicenseAnswer);
      },
    },

    /** GET /api/licenses */
    list: {
      params: objectSchema({
        page: { type: 'integer', minimum: 1, maximum: 100_000, default: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        customer_id: ID_SCHEMA,
        status: { type: 'string', enum: [...LICENSE_STATUSES] },
        type: { type: 'string', enum: [...LICENSE_TYPES] },
        q: SEARCH_TEXT_SCHEMA,
        sort: { type: 'string', enum: ['id', 'key', 'valid_until', 'created_at', 'type'], default: 'id' },
        order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
      }),
      async handler(
        this: LicenseThis,
        ctx: Context<{
          page: number;
          limit: number;
          customer_id?: number;
          status?: LicenseStatus;
          type?: string;
          q?: string;
          sort: string;
          order: 'asc' | 'desc';
        }>,
      ) {
        const p = ctx.params;
        const filter: Record<string, unknown> = {
          ...(p.customer_id !== undefined ? { customer_id: p.customer_id } : {}),
          ...(p.type !== undefined ? { type: p.type } : {}),
          ...(p.q !== undefined ? { key: new RegExp(escapeRegex(p.q.toUpperCase())) } : {}),
          ...(p.status !== undefined ? statusFilter(p.status) : {}),
        };
        const sortField = p.sort === 'id' ? '_id' : p.sort;
        const direction = p.order === 'asc' ? 1 : -1;
        // _id breaks ties, in the same direction, so pages never overlap or skip.
        const sort: Record<string, 1 | -1> =
          sortField === '_id' ? { _id: direction } : { [sortField]: direction, _id: direction };
        const [total, docs] = await Promise.all([
          LicenseModel.countDocuments(filter),
          LicenseModel.find(filter)
            .sort(sort)
            .skip((p.page - 1) * p.limit)
            .limit(p.limit)
            .lean(),
        ]);
        return {
          licenses: await this.withActivationCounts(ctx, docs),
          pagination: {
            page: p.page,
            limit: p.limit,
            total,
            pages: Math.ceil(total / p.limit),
            more: p.page * p.limit < total,
          },
        };
      },
    },

    /** GET /api/license/:license_id */
    read: {
      params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
      async handler(this: LicenseThis, ctx: Context<{ license_id: number }>) {
        const doc = await findLicense(ctx.params.license_id);
        const [withCounts] = await this.withActivationCounts(ctx, [doc]);
        const customer = await this.customerStatus(doc.customer_id);
        return { license: { ...withCounts, customer_name: customer?.name ?? null } };
      },
    },

    /** POST /api/license/:license_id/toggle */
    toggle: {
      params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
      async handler(this: LicenseThis, ctx: Context<{ license_id: number }>) {
        // Compare-and-set on the current value: two concurrent toggles flip twice, never lose one.
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const current = await findLicense(ctx.params.license_id);
          const updated = await LicenseModel.findOneAndUpdate(
            { _id: current._id, is_active: current.is_active },
            { $set: { is_active: !current.is_active, updated_at: new Date() } },
            { returnDocument: 'after', lean: true },
          );
          if (!updated) continue;
          await this.announceLicenseChange(ctx, [updated]);
          return {
            success: true,
            is_active: updated.is_active,
            message: updated.is_active ? 'License activated successfully' : 'License deactivated successfully',
          };
        }
        throw new ConflictError('The license is being changed concurrently, retry', 'CONCURRENT_UPDATE');
      },
    },

    /** POST /api/licenses/bulk-activate */
    bulkActivate: {
      params: objectSchema({ license_ids: BULK_IDS_SCHEMA }, ['license_ids']),
      handler(this: LicenseThis, ctx: Context<{ license_ids: number[] }>) {
        return this.bulkSetActive(ctx, ctx.params.license_ids, true);
      },
    },

    /** POST /api/licenses/bulk-deactivate */
    bulkDeactivate: {
      params: objectSchema({ license_ids: BULK_IDS_SCHEMA }, ['license_ids']),
      handler(this: LicenseThis, ctx: Context<{ license_ids: number[] }>) {
        return this.bulkSetActive(ctx, ctx.params.license_ids, false);
      },
    },

    /**
     * POST /api/licenses/bulk-delete. Order matters for crash safety: resources are released and
     * devices removed first, the licenses last; every step is idempotent, so repeating a request that
     * failed half-way finishes the job and nothing stays allocated to a license that no longer exists.
     */
    bulkDelete: {
      params: objectSchema({ license_ids: BULK_IDS_SCHEMA }, ['license_ids']),
      async handler(this: LicenseThis, ctx: Context<{ license_ids: number[] }>) {
        const docs = await LicenseModel.find({ _id: { $in: ctx.params.license_ids } }, { _id: 1, key: 1 }).lean();
        const ids = docs.map(d => d._id);
        if (ids.length > 0) {
          await ctx.call('resource.releaseForLicenses', { license_ids: ids });
          await ctx.call('device.removeForLicenses', { license_ids: ids });
          await LicenseModel.deleteMany({ _id: { $in: ids } });
          // Again, now that the licenses are gone: an allocation that passed its license check in
          // between must not stay attached to a deleted license.
          await ctx.call('resource.releaseForLicenses', { license_ids: ids });
          await dropLicenseViews(this.broker, { keys: docs.map(d => d.key) });
          for (const doc of docs) await ctx.emit('license.deleted', { license_id: doc._id });
        }
        const found = new Set(ids);
        return {
          success: true,
          deleted: ids.length,
          not_found: ctx.params.license_ids.filter(id => !found.has(id)),
          message: `${ids.length} licenses deleted successfully`,
        };
      },
    },

    /** POST /api/license/:license_id/quick-edit: only valid_until, max_activations, max_users. */
    quickEdit: {
      params: objectSchema(
        {
          license_id: ID_SCHEMA,
          valid_until: { anyOf: [DATE_SCHEMA, { type: 'null' }] },
          max_activations: { type: 'integer', minimum: 1, maximum: 100_000 },
          max_users: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        },
        ['license_id'],
        { minProperties: 2 },
      ),
      async handler(
        this: LicenseThis,
        ctx: Context<{ license_id: number; valid_until?: string | null; max_activations?: number; max_users?: number }>,
      ) {
        const p = ctx.params;
        const current = await findLicense(p.license_id);
        const set: Record<string, unknown> = { updated_at: new Date() };
        if (p.valid_until !== undefined) {
          const until = p.valid_until === null ? null : fromDay(p.valid_until);
          if (until && until < current.valid_from) {
            throw new ValidationError('valid_until must not be before valid_from', {
              field: 'valid_until',
              reason: 'out_of_range',
            });
          }
          set.valid_until = until;
          // A new end date re-arms the one-time expiry notification.
          set.expired_notified = false;
        }
        if (p.max_users !== undefined) set.max_users = p.max_users;
        if (p.max_activations !== undefined) {
          const counts = await ctx.call<Record<string, number>, { license_ids: number[] }>('device.countActive', {
            license_ids: [current._id],
          });
          const active = counts[current._id] ?? 0;
          if (p.max_activations < active) {
            throw new ConflictError(
              `The license has ${active} active devices; deactivate some before lowering max_activations to ${p.max_activations}`,
              'ACTIVATIONS_EXCEED_LIMIT',
              { field: 'max_activations', reason: 'below_current_activations', current_activations: active },
            );
          }
          set.max_activations = p.max_activations;
        }
        const updated = await LicenseModel.findOneAndUpdate(
          { _id: current._id },
          { $set: set },
          { returnDocument: 'after', lean: true },
        );
        if (!updated) throw licenseNotFound(current._id);
        if (p.max_activations !== undefined && p.max_activations < current.max_activations) {
          // Seats numbered above the new limit move down, so the unique seat index bounds the count again.
          await ctx.call('device.compactSeats', { license_id: current._id, max_activations: p.max_activations });
        }
        await this.announceLicenseChange(ctx, [updated]);
        return { success: true, message: 'License updated successfully' };
      },
    },

    /** POST /api/generate-license-key: a fresh key no license uses yet. */
    generateKey: {
      params: objectSchema({}),
      async handler() {
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const key = generateLicenseKey();
          if (!(await LicenseModel.exists({ key }))) return { license_key: key };
        }
        throw new AppError('KEY_GENERATION_FAILED', 'Could not generate a unique license key');
      },
    },

    /** GET /api/license/:license_id/devices */
    devices: {
      params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
      async handler(ctx: Context<{ license_id: number }>) {
        const doc = await findLicense(ctx.params.license_id);
        const activations = await ctx.call<ActivationAnswer[], { license_id: number }>('device.forLicense', {
          license_id: doc._id,
        });
        return {
          devices: activations.map(a => ({ ...activationView(a), app_version: a.app_version })),
        };
      },
    },

    /** POST /api/license/:license_id/register-device: an admin claims a seat for a machine. */
    registerDevice: {
      params: objectSchema(
        {
          license_id: ID_SCHEMA,
          hardware_hash: HARDWARE_HASH_SCHEMA,
          machine_name: MACHINE_NAME_SCHEMA,
          app_version: APP_VERSION_SCHEMA,
        },
        ['license_id', 'hardware_hash'],
      ),
      async handler(
        ctx: Context<{ license_id: number; hardware_hash: string; machine_name?: string; app_version?: string }>,
      ) {
        const doc = await findLicense(ctx.params.license_id);
        const { license_id: _id, ...device } = ctx.params;
        const { activation, created } = await ctx.call<
          { activation: ActivationAnswer; created: boolean },
          Record<string, unknown>
        >('device.register', {
          license_id: doc._id,
          license_key: doc.key,
          max_activations: doc.max_activations,
          ...device,
        });
        if (created) Object.assign(ctx.meta, { $statusCode: 201, $location: `/api/license/${doc._id}/devices` });
        return {
          success: true,
          device_id: activation.id,
          message: created ? 'Device registered successfully' : 'Device was already registered',
        };
      },
    },

    /** POST /api/license/:license_id/deactivate-device/:device_id */
    deactivateDevice: {
      params: objectSchema({ license_id: ID_SCHEMA, device_id: ID_SCHEMA }, ['license_id', 'device_id']),
      async handler(ctx: Context<{ license_id: number; device_id: number }>) {
        await findLicense(ctx.params.license_id);
        return ctx.call('device.deactivate', ctx.params);
      },
    },

    /** Drops this node's views (lib/invalidation.ts calls it on every license node). Internal. */
    dropViews: {
      visibility: 'public',
      params: objectSchema({
        keys: { type: 'array', items: LICENSE_KEY_SCHEMA, maxItems: 1000 },
        all: { type: 'boolean' },
        releases: { type: 'boolean' },
        ended: {
          type: 'array',
          maxItems: 10_000,
          items: objectSchema({ license_id: ID_SCHEMA, activation_id: ID_SCHEMA }, ['license_id', 'activation_id']),
        },
      }),
      async handler(this: LicenseThis, ctx: Context<ViewChange>) {
        if (ctx.params.all) this.views.clear();
        if (ctx.params.releases) this.releases = null;
        for (const key of ctx.params.keys ?? []) this.views.invalidate(key);
        // A deactivated device's session seat must not outlive it (idempotent on every node).
        for (const { license_id, activation_id } of ctx.params.ended ?? [])
          await this.sessions.end(license_id, activation_id);
        return true;
      },
    },

    /** Number of live sessions (GET /api/sessions/active-count). */
    activeSessions: {
      params: objectSchema({}),
      async handler(this: LicenseThis) {
        return { count: await this.sessions.liveCount() };
      },
    },
  },

  methods: {
    async withActivationCounts(this: LicenseThis, ctx: Context, docs: LicenseDoc[]) {
      if (docs.length === 0) return [];
      const counts = await ctx.call<Record<string, number>, { license_ids: number[] }>('device.countActive', {
        license_ids: docs.map(d => d._id),
      });
      return docs.map(d => ({ ...toLicenseAnswer(d), current_activations: counts[d._id] ?? 0 }));
    },

    async bulkSetActive(this: LicenseThis, ctx: Context, ids: number[], active: boolean) {
      const docs = await LicenseModel.find({ _id: { $in: ids } }, { _id: 1 }).lean();
      const found = docs.map(d => d._id);
      if (found.length > 0) {
        await LicenseModel.updateMany({ _id: { $in: found } }, { $set: { is_active: active, updated_at: new Date() } });
        await this.announceLicenseChange(ctx, await LicenseModel.find({ _id: { $in: found } }).lean());
      }
      const present = new Set(found);
      const verb = active ? 'activated' : 'deactivated';
      return {
        success: true,
        count: found.length,
        not_found: ids.filter(id => !present.has(id)),
        message: `${found.length} licenses ${verb} successfully`,
      };
    },

    /** Every replica drops its view of these licenses; listeners learn the fact once. */
    async announceLicenseChange(this: LicenseThis, ctx: Context, docs: LicenseDoc[]) {
      await dropLicenseViews(this.broker, { keys: docs.map(d => d.key) });
      for (const doc of docs) {
        await ctx.emit('license.updated', {
          license_id: doc._id,
          customer_id: doc.customer_id,
          is_active: doc.is_active,
        });
      }
    },

    view(this: LicenseThis, key: string) {
      return this.views.get(key, () => this.loadView(key));
    },

    async loadView(this: LicenseThis, key: string): Promise<LicenseView> {
      const doc = await LicenseModel.findOne({ key }).lean();
      if (!doc) return NO_LICENSE_VIEW;
      const [customer, activations] = await Promise.all([
        this.customerStatus(doc.customer_id),
        this.broker.call<ActivationAnswer[], { license_id: number }>('device.forLicense', { license_id: doc._id }),
      ]);
      return viewOf(doc, customer, activations);
    },

    async customerStatus(this: LicenseThis, id: number | null) {
      if (id === null) return null;
      const [status] = await this.broker.call<CustomerStatus[], { ids: number[] }>('customer.statuses', { ids: [id] });
      return status ?? null;
    },

    /** Update fields per client version, computed once per release list (semver parsing is not free). */
    updateAnswer(this: LicenseThis, releases: ReleaseInfo[], appVersion: string | undefined) {
      if (this.updates?.list !== releases) this.updates = { list: releases, byVersion: new Map() };
      const key = appVersion ?? '';
      let answer = this.updates.byVersion.get(key);
      if (!answer) {
        answer = updateFor(releases, appVersion);
        if (this.updates.byVersion.size < 10_000) this.updates.byVersion.set(key, answer);
      }
      return answer;
    },

    releaseList(this: LicenseThis) {
      if (!this.releases || Date.now() - this.releases.at > RELEASES_MAX_AGE_MS) {
        const list = this.broker.call<ReleaseInfo[], Record<string, never>>('version.all', {}).catch((err: Error) => {
          // Update information is a courtesy on verify: without it the license answer still stands.
          this.logger.warn('Release list unavailable for verify', { message: err.message });
          this.releases = null;
          return [] as ReleaseInfo[];
        });
        const record: NonNullable<LicenseThis['releases']> = { list, at: Date.now() };
        void list.then(ready => {
          record.ready = ready;
        });
        this.releases = record;
      }
      return this.releases.list;
    },

    /**
     * The verify answer. Warm (view, releases and a recent session admission in memory) it is computed
     * synchronously, with no promise at all; otherwise verifySlow loads what is missing.
     */
    verifyAnswer(
      this: LicenseThis,
      key: string,
      hardwareHash: string,
      appVersion: string | undefined,
      opts: VerifyOptions,
    ): Verdict | Promise<Verdict> {
      const now = Date.now();
      const view = this.views.peek(key, now);
      const releases = this.releases && now - this.releases.at <= RELEASES_MAX_AGE_MS ? this.releases.ready : undefined;
      if (view && releases) {
        const { code, activation } = evaluate(view, hardwareHash, now, opts.activationId);
        if (
          code !== 'VALID' ||
          (activation && !opts.forceSession && this.sessions.admittedRecently(activation.id, now))
        ) {
          return { answer: this.composeAnswer(view, releases, code, appVersion), activationId: activation?.id };
        }
      }
      return this.verifySlow(key, hardwareHash, appVersion, opts, now);
    },

    async verifySlow(
      this: LicenseThis,
      key: string,
      hardwareHash: string,
      appVersion: string | undefined,
      opts: VerifyOptions,
      now: number,
    ): Promise<Verdict> {
      const [view, releases] = await Promise.all([this.view(key), this.releaseList()]);
      let { code, activation } = evaluate(view, hardwareHash, now, opts.activationId);
      if (code === 'VALID' && activation && view.license) {
        let admitted = true;
        try {
          admitted = await this.sessions.touch(
            view.license.id,
            activation.id,
            view.license.max_users,
            opts.forceSession,
            now,
          );
        } catch (err) {
          // Redis away: a client must still be able to start; the seat count is enforced again once
          // Redis is back (fail open, logged).
          this.logger.warn('Session store unavailable, admitting without a seat check', {
            message: (err as Error).message,
          });
        }
        if (!admitted) {
          code = 'TOO_MANY_USERS';
          activation = undefined;
        }
      }
      return { answer: this.composeAnswer(view, releases, code, appVersion), activationId: activation?.id };
    },

    composeAnswer(
      this: LicenseThis,
      view: LicenseView,
      releases: ReleaseInfo[],
      code: VerifyCode,
      appVersion: string | undefined,
    ) {
      const update = this.updateAnswer(releases, appVersion);
      const license = view.license;
      // Field order as in the reference's example answer.
      const answer: VerifyAnswer = { valid: code === 'VALID', code, message: VERIFY_MESSAGES[code] };
      if (license)
        answer.license = { key: license.key, valid_until: dateOnly(license.valid_until), max_users: license.max_users };
      answer.update_available = update.update_available;
      answer.latest_version = update.latest_version;
      return answer;
    },

    async activateOn(
      this: LicenseThis,
      ctx: Context,
      p: { license_key: string; hardware_hash: string; machine_name?: string; app_version?: string },
    ) {
      // Activation is rare and must see the latest state: read the license fresh, not from the view.
      const doc = await LicenseModel.findOne({ key: p.license_key }).lean();
      const view = doc ? viewOf(doc, await this.customerStatus(doc.customer_id), []) : NO_LICENSE_VIEW;
      const problem = licenseProblem(view, Date.now());
      if (problem || !doc) {
        const code = ACTIVATION_ERRORS[problem ?? 'NOT_FOUND']!;
        throw new AppError(code, VERIFY_MESSAGES[problem ?? 'NOT_FOUND'], {
          field: 'license_key',
          reason: (problem ?? 'NOT_FOUND').toLowerCase(),
        });
      }
      const { activation, created } = await ctx.call<
        { activation: ActivationAnswer; created: boolean },
        Record<string, unknown>
      >('device.register', {
        license_id: doc._id,
        license_key: doc.key,
        max_activations: doc.max_activations,
        hardware_hash: p.hardware_hash,
        ...(p.machine_name !== undefined ? { machine_name: p.machine_name } : {}),
        ...(p.app_version !== undefined ? { app_version: p.app_version } : {}),
      });
      if (created) {
        await ctx.emit('license.activated', {
          license_id: doc._id,
          activation_id: activation.id,
          customer_id: doc.customer_id,
        });
      }
      return {
        message: created ? 'License activated successfully' : 'License already activated on this machine',
        activation: {
          id: activation.id,
          license_key: doc.key,
          hardware_hash: activation.hardware_hash,
          machine_name: activation.machine_name,
          activated_at: activation.activated_at,
          last_heartbeat: activation.last_heartbeat,
          is_active: activation.is_active,
        },
      };
    },

    /** Fires `license.expired` once per license whose validity ended (the flag flips atomically). */
    async notifyExpired(this: LicenseThis) {
      const now = Date.now();
      const candidates = await LicenseModel.find(
        { valid_until: { $ne: null, $lt: new Date(now) }, expired_notified: false },
        { _id: 1, key: 1, valid_until: 1, customer_id: 1 },
      )
        .limit(500)
        .lean();
      let fired = 0;
      for (const c of candidates) {
        if (!isExpired(c.valid_until, now)) continue;
        const claimed = await LicenseModel.findOneAndUpdate(
          { _id: c._id, expired_notified: false },
          { $set: { expired_notified: true } },
          { lean: true },
        );
        if (!claimed) continue;
        fired += 1;
        await dropLicenseViews(this.broker, { keys: [c.key] });
        await this.broker.emit('license.expired', {
          license_id: c._id,
          customer_id: c.customer_id,
          valid_until: dateOnly(c.valid_until),
        });
      }
      return fired;
    },

    /** The reference's test license, in development and test mode only. */
    async seedTestLicense(this: LicenseThis) {
      const key = 'TEST-TEST-TEST-TEST';
      if (await LicenseModel.exists({ key })) return;
      let customerId: number | null = null;
      try {
        await this.broker.waitForServices(['customer'], 10_000);
        customerId = await this.broker.call<number | null, Record<string, never>>('customer.ensureTestCustomer', {});
      } catch {
        this.logger.warn('Customer service not available: the test license is seeded without a customer');
      }
      await LicenseModel.create({
        _id: await nextId('license'),
        key,
        customer_id: customerId,
        type: 'perpetual',
        valid_from: fromDay('2025-01-01'),
        valid_until: null,
        max_activations: 10,
        max_users: 10,
        is_active: true,
      }).catch(err => {
        if (!isDuplicateKeyError(err)) throw err;
      });
    },
  },

  created(this: LicenseThis) {
    this.views = new ViewCache<LicenseView>(VIEW_MAX_AGE_MS, 100_000);
    this.releases = null;
    this.updates = null;
    this.expiryJob = null;
  },

  async started(this: LicenseThis) {
    this.redis = acquireRedis();
    this.sessions = new SessionStore(this.redis, config().heartbeat.timeoutSeconds);
    this.heartbeatLimiter = new ExactLimiter(this.redis, 'heartbeat', config().rateLimit.heartbeatPerMinute);
    if (!config().isProduction) await this.seedTestLicense();
    this.expiryJob = await startRepeatingJob(
      'license-expiry',
      60_000,
      () => this.notifyExpired(),
      err => this.logger.warn('Expiry check failed', { message: err.message }),
    );
  },

  async stopped(this: LicenseThis) {
    await this.expiryJob?.stop();
    await releaseRedis();
  },
};

export default LicenseService as unknown as ServiceSchema;
