/** Admin users: create (admin), list, delete (admin; never yourself, never the last admin). */
import { config } from '../../config/index.ts';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema, type JsonSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA, SEARCH_TEXT_SCHEMA } from '../../lib/core/schemas.ts';
import { escapeRegex } from '../../lib/core/values.ts';
import { ConflictError, NotFoundError, ValidationError, isDuplicateKeyError } from '../../lib/core/errors.ts';
import { ADMIN_ROLES, AdminUserModel, normalizeUsername, type AdminUserDoc } from '../../models/admin-user.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { hashPassword } from './passwords.ts';
import { revokeUserTokens } from './tokens.ts';
import { requireCaller } from '../../lib/security/principal-proof.ts';
import type { AuthMeta } from './caller.ts';
import type { AuthThis } from './state.ts';
import type { AdminUserAnswer, UserListAnswer } from './contract.ts';

const action = actionFor<AuthThis, AuthMeta>();

const MIN_PASSWORD_LENGTH = { production: 12, other: 8 } as const;

const USERNAME_SCHEMA = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$',
  description: '3 to 64 letters, digits, dot, underscore, @ or hyphen; unique regardless of case',
  example: 'jane.doe',
} as const satisfies JsonSchema;

// The schema's bound is the lower one; production's is checked in the handler (config is read at run time).
const PASSWORD_SCHEMA = {
  type: 'string',
  minLength: MIN_PASSWORD_LENGTH.other,
  maxLength: 1024,
  description: 'At least 12 characters in production, 8 otherwise',
} as const satisfies JsonSchema;

function toAdminUserAnswer(doc: Pick<AdminUserDoc, '_id' | 'username' | 'role' | 'created_at'>): AdminUserAnswer {
  return { id: doc._id, username: doc.username, role: doc.role, created_at: doc.created_at.toISOString() };
}

const CREATE_PARAMS = objectSchema(
  { username: USERNAME_SCHEMA, password: PASSWORD_SCHEMA, role: { type: 'string', enum: [...ADMIN_ROLES] } },
  ['username', 'password', 'role'],
);

const LIST_PARAMS = objectSchema({
  page: { type: 'integer', minimum: 1, maximum: 100_000, default: 1 },
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  q: { ...SEARCH_TEXT_SCHEMA, description: 'Text the username contains, in any case' },
  role: { type: 'string', enum: [...ADMIN_ROLES] },
});

const DELETE_PARAMS = objectSchema({ id: ID_SCHEMA }, ['id']);

export const userActions = {
  /** POST /api/admin/users (admin) */
  createUser: action({
    params: CREATE_PARAMS,
    async handler(ctx): Promise<AdminUserAnswer> {
      // Only a signed-in admin, as the gateway sealed it: never anything that merely reaches the broker.
      const caller = requireCaller(ctx.meta);
      const { username, password, role } = ctx.params;
      const minLength = config().isProduction ? MIN_PASSWORD_LENGTH.production : MIN_PASSWORD_LENGTH.other;
      if ([...password].length < minLength) {
        throw new ValidationError(`password must be at least ${minLength} characters`, {
          field: 'password',
          reason: 'too_short',
        });
      }
      const doc = {
        _id: await nextId('admin_user'),
        username,
        username_lower: normalizeUsername(username),
        password: await hashPassword(password),
        role,
        created_at: new Date(),
      };
      try {
        await AdminUserModel.create(doc);
      } catch (err) {
        if (isDuplicateKeyError(err)) {
          throw new ConflictError(`User ${username} already exists`, 'USERNAME_TAKEN', {
            field: 'username',
            reason: 'duplicate',
          });
        }
        throw err;
      }
      ctx.meta.$statusCode = 201;
      ctx.meta.$location = '/api/admin/users';
      await this.announce(ctx, 'admin.user.created', {
        id: doc._id,
        role,
        by: caller.userId,
      });
      return toAdminUserAnswer(doc);
    },
  }),

  /** GET /api/admin/users */
  listUsers: action({
    params: LIST_PARAMS,
    async handler(ctx): Promise<UserListAnswer> {
      const { page, limit, q, role } = ctx.params;
      const filter = {
        ...(q === undefined ? {} : { username_lower: new RegExp(escapeRegex(normalizeUsername(q))) }),
        ...(role === undefined ? {} : { role }),
      };
      const [docs, total] = await Promise.all([
        AdminUserModel.find(filter, { username: 1, role: 1, created_at: 1 })
          .sort({ _id: 1 })
          .skip((page - 1) * limit)
          .limit(limit)
          .lean(),
        AdminUserModel.countDocuments(filter),
      ]);
      return { users: docs.map(toAdminUserAnswer), total, page, limit };
    },
  }),

  /** DELETE /api/admin/user/:id (admin): never yourself, never the last admin. */
  deleteUser: action({
    params: DELETE_PARAMS,
    async handler(ctx) {
      const { id } = ctx.params;
      const caller = requireCaller(ctx.meta);
      if (caller.userId === id) {
        throw new ConflictError('You cannot delete your own user', 'CANNOT_DELETE_SELF', { id });
      }
      // "Not the last admin" is a check over several documents: deletions are serialised (user-lock.ts)
      // so two admins deleting each other cannot both succeed.
      const deleted = await this.userLock.run(async () => {
        const target = await AdminUserModel.findById(id, { username: 1, role: 1, created_at: 1 }).lean();
        if (!target) throw new NotFoundError(`User ${id} not found`, 'USER_NOT_FOUND', { id });
        if (
          target.role === 'admin' &&
          (await AdminUserModel.countDocuments({ role: 'admin', _id: { $ne: id } })) === 0
        ) {
          throw new ConflictError('The last admin cannot be deleted', 'LAST_ADMIN', { id });
        }
        // Revoke first: should the delete then fail, the user only has to log in again.
        await revokeUserTokens(this.redis, id);
        await AdminUserModel.deleteOne({ _id: id });
        return target;
      });
      await this.announce(ctx, 'admin.user.deleted', { id, role: deleted.role, by: caller.userId });
      return { success: true, id };
    },
  }),
};
