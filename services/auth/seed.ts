/**
 * What every start of every replica makes sure exists: the system API key and the first admin. Both run
 * concurrently on several replicas, so each write is an upsert or an insert guarded by a unique index.
 */
import type { Logger } from 'moleculer';
import type { Redis } from 'ioredis';
import { config, TEST_CREDENTIALS } from '../../config/index.ts';
import { ApiKeyModel, SYSTEM_KEY_ID } from '../../models/api-key.model.ts';
import { AdminUserModel, normalizeUsername, type AdminUserDoc } from '../../models/admin-user.model.ts';
import { nextId } from '../../models/counter.model.ts';
import { API_KEY_PATTERN, apiKeyPrefix, hashApiKey } from '../../lib/security/api-keys.ts';
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import { hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { revokeUserTokens } from './tokens.ts';

/**
 * Development and test: the reference's test key. Production: the key given in API_KEY, if any,
 * and only when none exists yet (a regenerated key is never overwritten by a restart).
 */
export async function seedApiKey(logger: Logger): Promise<void> {
  const cfg = config();
  const seed = cfg.isProduction ? process.env.API_KEY?.trim() : TEST_CREDENTIALS.apiKey;
  if (!seed) {
    logger.info('No API key seeded (production); generate one with POST /api/admin/api-key/regenerate');
    return;
  }
  if (cfg.isProduction && !API_KEY_PATTERN.test(seed)) {
    throw new Error('API_KEY must have the form AF-YYYY- followed by 32 letters or digits');
  }
  await ApiKeyModel.updateOne(
    { _id: SYSTEM_KEY_ID },
    {
      $setOnInsert: {
        digest: hashApiKey(seed).toString('hex'),
        prefix: apiKeyPrefix(seed),
        created_at: new Date(),
      },
    },
    { upsert: true },
  ).catch(err => {
    // Another replica seeded it first.
    if ((err as { code?: number }).code !== 11000) throw err;
  });
}

/**
 * Where the admin credentials came from, for the logs. Outside production config() falls back to the
 * documented development defaults when ADMIN_USERNAME / ADMIN_PASSWORD are unset (a variable set to the
 * default value amounts to the same); production refuses the default password.
 */
function credentialSources(username: string, password: string) {
  const cfg = config();
  return {
    defaultUsername: !cfg.isProduction && username === TEST_CREDENTIALS.adminUsername,
    defaultPassword: !cfg.isProduction && password === TEST_CREDENTIALS.adminPassword,
  };
}

function createdMessage({ defaultUsername, defaultPassword }: ReturnType<typeof credentialSources>): string {
  if (defaultUsername && defaultPassword) return 'Admin user created (development default credentials)';
  if (defaultUsername) return 'Admin user created from ADMIN_PASSWORD (development default username)';
  if (defaultPassword) return 'Admin user created from ADMIN_USERNAME (development default password)';
  return 'Admin user created from ADMIN_USERNAME/ADMIN_PASSWORD';
}

/**
 * The first admin from ADMIN_USERNAME / ADMIN_PASSWORD, on every start of every replica: created
 * if missing (the unique index on the lower-case name lets exactly one racing replica insert it),
 * otherwise given the admin role and, when ADMIN_PASSWORD changed, the new password, with its
 * existing tokens revoked.
 */
export async function seedAdmin(redis: Redis, logger: Logger): Promise<void> {
  const { username, password } = config().admin;
  if (username.length > 64) throw new Error('ADMIN_USERNAME must be at most 64 characters');
  const sources = credentialSources(username, password);
  if (sources.defaultPassword) {
    // Never the password itself in a log: the README's configuration table documents the default.
    logger.info(
      `Admin "${username}" uses the documented development default password (README, "Configuration": ` +
        'ADMIN_USERNAME / ADMIN_PASSWORD); set ADMIN_PASSWORD to choose another',
    );
  }
  const usernameLower = normalizeUsername(username);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const existing = await AdminUserModel.findOne({ username_lower: usernameLower }).lean();
    if (existing) {
      const same = await verifyPassword(password, existing.password);
      const changes: Partial<AdminUserDoc> = {};
      if (!same || needsRehash(existing.password)) changes.password = await hashPassword(password);
      if (existing.role !== 'admin') changes.role = 'admin';
      if (Object.keys(changes).length > 0) await AdminUserModel.updateOne({ _id: existing._id }, { $set: changes });
      if (!same) {
        const cutoff = await revokeUserTokens(redis, existing._id);
        logger.info(
          sources.defaultPassword
            ? 'Admin password reset to the development default; earlier tokens revoked'
            : 'Admin password updated from ADMIN_PASSWORD; earlier tokens revoked',
          { userId: existing._id },
        );
        // Revocation compares whole seconds (iat <= cutoff), so a token issued in the cutoff second
        // would be refused too: this replica starts serving logins only from the next second on.
        // (Another replica may issue such a token in that same second; its owner logs in again.)
        const wait = (cutoff + 1) * 1000 - Date.now();
        if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
      }
      return;
    }
    try {
      await AdminUserModel.create({
        _id: await nextId('admin_user'),
        username,
        username_lower: usernameLower,
        password: await hashPassword(password),
        role: 'admin',
        created_at: new Date(),
      });
      logger.info(createdMessage(sources), { username });
      return;
    } catch (err) {
      // Another replica created it between our read and insert: read again and compare.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}
