/** The admin API's release routes (services/api/routes/admin.routes.ts): publish and list releases. */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { ConflictError, isDuplicateKeyError } from '../../lib/core/errors.ts';
import { fromDay } from '../../lib/core/values.ts';
import { sortReleases } from '../../lib/domain/releases.ts';
import { ReleaseModel, type ReleaseDoc } from '../../models/release.model.ts';
import { nextId } from '../../models/counter.model.ts';
import type { ReleaseAnswer } from './contract.ts';
import type { VersionThis } from './state.ts';
import { toReleaseAnswer } from './answers.ts';
import { VERSION_SCHEMA } from './schemas.ts';

const action = actionFor<VersionThis>();

const PUBLISH_PARAMS = objectSchema(
  {
    version: VERSION_SCHEMA,
    release_date: { type: 'string', format: 'date' },
    download_url: { type: 'string', format: 'uri', maxLength: 2048, pattern: '^https?://' },
    release_notes: { type: 'string', maxLength: 20_000 },
    is_mandatory: { type: 'boolean' },
  },
  ['version', 'download_url'],
);

export const adminActions = {
  /** POST /api/versions */
  publish: action({
    params: PUBLISH_PARAMS,
    async handler(ctx): Promise<ReleaseAnswer> {
      const p = ctx.params;
      let doc: ReleaseDoc;
      try {
        const created = await ReleaseModel.create({
          _id: await nextId('release'),
          version: p.version,
          release_date: p.release_date ? fromDay(p.release_date) : new Date(),
          download_url: p.download_url,
          release_notes: p.release_notes ?? '',
          is_mandatory: p.is_mandatory ?? false,
        });
        doc = created.toObject();
      } catch (err) {
        if (isDuplicateKeyError(err)) {
          throw new ConflictError(`Release ${p.version} already exists`, 'RELEASE_EXISTS', {
            field: 'version',
            reason: 'duplicate',
          });
        }
        throw err;
      }
      // Every version and license node drops its copy before the answer goes out.
      await this.dropReleaseLists();
      await this.announce(ctx, 'release.published', {
        id: doc._id,
        version: doc.version,
        is_mandatory: doc.is_mandatory,
      });
      // Releases have no route of their own; the list is where a new one shows.
      Object.assign(ctx.meta, { $statusCode: 201, $location: '/api/versions' });
      return toReleaseAnswer(doc);
    },
  }),

  /** GET /api/versions */
  list: action({
    params: objectSchema({}),
    async handler(): Promise<{ releases: ReleaseAnswer[] }> {
      const docs = await ReleaseModel.find().lean();
      return { releases: sortReleases(docs).map(toReleaseAnswer) };
    },
  }),
};
