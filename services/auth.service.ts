/**
 * Authentication data: the system API key (hashed). The gateway keeps the active key's digest in
 * memory and reloads it when this service announces `apikey.rotated`.
 */
import type { Service, ServiceSchema } from 'moleculer';
import { config, TEST_CREDENTIALS } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { ApiKeyModel, SYSTEM_KEY_ID } from '../models/api-key.model.ts';
import { API_KEY_PATTERN, apiKeyPrefix, hashApiKey } from '../lib/api-keys.ts';

interface AuthThis extends Service {
  seedApiKey(): Promise<void>;
}

const AuthService: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, AuthThis> = {
  name: 'auth',
  mixins: [dbMixin([ApiKeyModel])],

  actions: {
    /** Digest of the active system key, for the gateways' in-memory check. Internal only. */
    activeApiKeyDigest: {
      visibility: 'public',
      params: { type: 'object', properties: {}, additionalProperties: false },
      async handler() {
        const key = await ApiKeyModel.findById(SYSTEM_KEY_ID).lean();
        return key ? { digest: key.digest } : null;
      },
    },
  },

  methods: {
    /**
     * Development and test: the reference's test key. Production: the key given in API_KEY, if any,
     * and only when none exists yet (a regenerated key is never overwritten by a restart).
     */
    async seedApiKey(this: AuthThis) {
      const cfg = config();
      const seed = cfg.isProduction ? process.env.API_KEY?.trim() : TEST_CREDENTIALS.apiKey;
      if (!seed) {
        this.logger.info('No API key seeded (production); generate one with POST /api/admin/api-key/regenerate');
        return;
      }
      if (cfg.isProduction && !API_KEY_PATTERN.test(seed)) {
        throw new Error('API_KEY must have the form AF-YYYY- followed by 32 letters or digits');
      }
      await ApiKeyModel.updateOne(
        { _id: SYSTEM_KEY_ID },
        { $setOnInsert: { digest: hashApiKey(seed).toString('hex'), prefix: apiKeyPrefix(seed), created_at: new Date() } },
        { upsert: true },
      ).catch(err => {
        // Another replica seeded it first.
        if ((err as { code?: number }).code !== 11000) throw err;
      });
    },
  },

  async started(this: AuthThis) {
    await this.seedApiKey();
  },
};

export default AuthService as unknown as ServiceSchema;
