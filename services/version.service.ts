/**
 * Releases and update checks. Every node keeps the release list in memory (it is small and read on
 * every verify); publishing a release drops it on every version and license node before answering.
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import { config } from '../config/index.ts';
import { dbMixin } from '../mixins/db.mixin.ts';
import { ReleaseModel, type ReleaseDoc } from '../models/release.model.ts';
import { nextId } from '../models/counter.model.ts';
import { SEMVER_PATTERN, sortReleases, updateFor, type ReleaseInfo } from '../lib/domain/releases.ts';
import { ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/core/errors.ts';
import { objectSchema } from '../lib/core/validation.ts';
import { LICENSE_KEY_SCHEMA } from '../lib/core/schemas.ts';
import { dropReleaseLists } from '../mixins/view-invalidation.mixin.ts';
import { dateOnly, fromDay } from '../lib/core/values.ts';

interface VersionThis extends Service {
  releases: Promise<ReleaseInfo[]> | null;
  releasesAt: number;
  allReleases(): Promise<ReleaseInfo[]>;
  seedReleases(): Promise<void>;
}

/** A cached list older than this is re-read even without an event (a missed event heals itself). */
const RELEASES_MAX_AGE_MS = 30_000;

const VERSION_SCHEMA = { type: 'string', pattern: SEMVER_PATTERN, maxLength: 64, example: '1.0.0' };

function toInfo(doc: ReleaseDoc): ReleaseInfo {
  return {
    version: doc.version,
    release_date: dateOnly(doc.release_date)!,
    download_url: doc.download_url,
    release_notes: doc.release_notes,
    is_mandatory: doc.is_mandatory,
  };
}

const VersionService: ServiceSchema<
  Record<string, never>,
  Record<string, never>,
  Record<string, never>,
  VersionThis
> = {
  name: 'version',
  mixins: [dbMixin([ReleaseModel])],

  actions: {
    /** GET /api/version/latest */
    latest: {
      params: objectSchema({}),
      async handler(this: VersionThis) {
        const [latest] = await this.allReleases();
        if (!latest) throw new NotFoundError('No release has been published yet', 'NO_RELEASE');
        return latest;
      },
    },

    /** POST /api/version/check */
    check: {
      params: objectSchema({ current_version: VERSION_SCHEMA, license_key: LICENSE_KEY_SCHEMA }, ['current_version']),
      async handler(this: VersionThis, ctx: Context<{ current_version: string }>) {
        const answer = updateFor(await this.allReleases(), ctx.params.current_version);
        return answer;
      },
    },

    /** Every release, newest first: what license.verify uses for its update fields. */
    all: {
      visibility: 'public',
      params: objectSchema({}),
      handler(this: VersionThis) {
        return this.allReleases();
      },
    },

    /** Drops this node's release list (lib/invalidation.ts calls it on every version node). Internal. */
    dropReleases: {
      visibility: 'public',
      params: objectSchema({}),
      handler(this: VersionThis) {
        this.releases = null;
        return true;
      },
    },

    /** POST /api/versions (admin) */
    publish: {
      params: objectSchema(
        {
          version: VERSION_SCHEMA,
          release_date: { type: 'string', format: 'date' },
          download_url: { type: 'string', format: 'uri', maxLength: 2048, pattern: '^https?://' },
          release_notes: { type: 'string', maxLength: 20_000 },
          is_mandatory: { type: 'boolean' },
        },
        ['version', 'download_url'],
      ),
      async handler(
        this: VersionThis,
        ctx: Context<{
          version: string;
          release_date?: string;
          download_url: string;
          release_notes?: string;
          is_mandatory?: boolean;
        }>,
      ) {
        const p = ctx.params;
        try {
          const doc = await ReleaseModel.create({
            _id: await nextId('release'),
            version: p.version,
            release_date: p.release_date ? fromDay(p.release_date) : new Date(),
            download_url: p.download_url,
            release_notes: p.release_notes ?? '',
            is_mandatory: p.is_mandatory ?? false,
          });
          await dropReleaseLists(this.broker);
          await ctx.emit('release.published', { id: doc._id, version: doc.version, is_mandatory: doc.is_mandatory });
          // Releases have no route of their own; the list is where a new one shows.
          Object.assign(ctx.meta, { $statusCode: 201, $location: '/api/versions' });
          return { id: doc._id, ...toInfo(doc.toObject()) };
        } catch (err) {
          if (isDuplicateKeyError(err)) {
            throw new ConflictError(`Release ${p.version} already exists`, 'RELEASE_EXISTS', {
              field: 'version',
              reason: 'duplicate',
            });
          }
          throw err;
        }
      },
    },

    /** GET /api/versions (admin) */
    list: {
      params: objectSchema({}),
      async handler(this: VersionThis) {
        const docs = await ReleaseModel.find().lean();
        return { releases: sortReleases(docs).map(d => ({ id: d._id, ...toInfo(d) })) };
      },
    },
  },

  methods: {
    allReleases(this: VersionThis) {
      if (!this.releases || Date.now() - this.releasesAt > RELEASES_MAX_AGE_MS) {
        this.releasesAt = Date.now();
        this.releases = ReleaseModel.find()
          .lean()
          .then(docs => sortReleases(docs).map(toInfo));
        this.releases.catch(() => {
          this.releases = null;
        });
      }
      return this.releases;
    },

    /** Development and test data, so the README's curl session has something to find. */
    async seedReleases(this: VersionThis) {
      const seeds = [
        { version: '1.0.0', date: '2025-01-15', notes: 'First release' },
        { version: '1.1.0', date: '2025-06-15', notes: 'Bug fixes and performance improvements' },
      ];
      for (const seed of seeds) {
        if (await ReleaseModel.exists({ version: seed.version })) continue;
        await ReleaseModel.create({
          _id: await nextId('release'),
          version: seed.version,
          release_date: fromDay(seed.date),
          download_url: `https://example.com/download/v${seed.version}`,
          release_notes: seed.notes,
          is_mandatory: false,
        }).catch(err => {
          if (!isDuplicateKeyError(err)) throw err;
        });
      }
    },
  },

  created(this: VersionThis) {
    this.releases = null;
    this.releasesAt = 0;
  },

  async started(this: VersionThis) {
    if (!config().isProduction) await this.seedReleases();
  },
};

export default VersionService as unknown as ServiceSchema;
