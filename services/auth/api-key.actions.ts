/**
 * The system API key: hashed at rest; the gateways keep the active key's digest in memory, ask for it
 * with activeApiKeyDigest, and reload it when this service announces `apikey.rotated`.
 */
import type { ServiceBroker, Logger } from 'moleculer';
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { NotFoundError } from '../../lib/core/errors.ts';
import { ApiKeyModel, SYSTEM_KEY_ID } from '../../models/api-key.model.ts';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../../lib/security/api-keys.ts';
import { requireCaller } from '../../lib/security/principal-proof.ts';
import type { AuthMeta } from './caller.ts';
import type { AuthThis } from './state.ts';
import type { ApiKeyAnswer, ApiKeyDigestAnswer, NewApiKeyAnswer } from './contract.ts';

const action = actionFor<AuthThis, AuthMeta>();

const NO_STORE = { 'Cache-Control': 'no-store' };

/**
 * Regeneration answers only once every remote gateway has received `apikey.rotated`. The event is
 * fire-and-forget; a ping sent after it on the same NATS connection reaches each gateway after
 * it, and a gateway reads its packets in order and drops the old digest as the first step of
 * its handler, so a pong means the old key is refused there. Without this the answer could
 * overtake the event on a busy node. A gateway that stays silent for a second is down or cut
 * off; its periodic reload (30 s) catches up.
 */
async function waitForGateways(broker: ServiceBroker, logger: Logger): Promise<void> {
  const gateways = (broker.registry.getServiceList({ onlyAvailable: true }) as Array<{ name: string; nodeID: string }>)
    .filter(s => s.name === 'api' && s.nodeID !== broker.nodeID)
    .map(s => s.nodeID);
  if (gateways.length === 0) return;
  const pongs = (await broker.ping([...new Set(gateways)], 1000)) as unknown as Record<string, unknown>;
  const silent = Object.entries(pongs)
    .filter(([, pong]) => !pong)
    .map(([nodeID]) => nodeID);
  if (silent.length > 0) logger.warn('Gateways did not confirm the API key rotation', { nodes: silent });
}

export const apiKeyActions = {
  /** Digest of the active system key, for the gateways' in-memory check. Internal only. */
  activeApiKeyDigest: action({
    visibility: 'public',
    params: objectSchema({}),
    async handler(): Promise<ApiKeyDigestAnswer> {
      const key = await ApiKeyModel.findById(SYSTEM_KEY_ID).lean();
      return key ? { digest: key.digest } : null;
    },
  }),

  /** GET /api/admin/api-key: what may be shown of the active key. */
  apiKeyInfo: action({
    params: objectSchema({}),
    async handler(): Promise<ApiKeyAnswer> {
      const key = await ApiKeyModel.findById(SYSTEM_KEY_ID, { prefix: 1, created_at: 1 }).lean();
      if (!key) throw new NotFoundError('No API key has been generated yet', 'NO_API_KEY');
      return { prefix: key.prefix, created_at: key.created_at.toISOString() };
    },
  }),

  /** POST /api/admin/api-key/regenerate (admin): the new key is returned once, never stored. */
  regenerateApiKey: action({
    params: objectSchema({}),
    async handler(ctx): Promise<NewApiKeyAnswer> {
      // Only a signed-in admin, as the gateway sealed it: never anything that merely reaches the broker.
      const caller = requireCaller(ctx.meta);
      const apiKey = generateApiKey();
      const doc = {
        digest: hashApiKey(apiKey).toString('hex'),
        prefix: apiKeyPrefix(apiKey),
        created_at: new Date(),
      };
      // One document, replaced in one write: there is never a moment with two active keys.
      await ApiKeyModel.replaceOne({ _id: SYSTEM_KEY_ID }, doc, { upsert: true });
      // A broadcast (every gateway must drop the old key), awaited before the gateways are pinged.
      await this.announce(ctx, 'apikey.rotated', { prefix: doc.prefix, by: caller.userId });
      await waitForGateways(this.broker, this.logger);
      this.logger.info('System API key regenerated', { prefix: doc.prefix });
      // The key itself is in this answer: no cache may keep it.
      ctx.meta.$responseHeaders = NO_STORE;
      return { api_key: apiKey, prefix: doc.prefix, created_at: doc.created_at.toISOString() };
    },
  }),
};
