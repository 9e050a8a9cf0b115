/**
 * A license's live sessions for the Admin Panel's license page (broker only, no HTTP route): how many
 * of its max_users seats are held now, and by which activations (sessions.ts keeps them in Redis).
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ID_SCHEMA } from '../../lib/core/schemas.ts';
import { findLicense } from './records.ts';
import type { LicenseThis } from './state.ts';

const action = actionFor<LicenseThis>();

/** The list is for a page: the count is exact, the named sessions stop here. */
const LISTED_SESSIONS = 100;

export interface LicenseSessionsAnswer {
  license_id: number;
  count: number;
  max_users: number;
  sessions: Array<{ activation_id: number; last_seen: string }>;
}

export const sessionActions = {
  /** The live sessions of one license: their count and the activations holding them, latest first. */
  sessionsOf: action({
    visibility: 'public',
    params: objectSchema({ license_id: ID_SCHEMA }, ['license_id']),
    async handler(ctx): Promise<LicenseSessionsAnswer> {
      const doc = await findLicense(ctx.params.license_id);
      const now = Date.now();
      const [count, live] = await Promise.all([
        this.sessions.liveCountForLicense(doc._id, now),
        this.sessions.liveOfLicense(doc._id, LISTED_SESSIONS, now),
      ]);
      return {
        license_id: doc._id,
        count,
        max_users: doc.max_users,
        sessions: live.map(s => ({ activation_id: s.activationId, last_seen: new Date(s.lastSeen).toISOString() })),
      };
    },
  }),
};
