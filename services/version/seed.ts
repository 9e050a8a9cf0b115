/** Development and test data, so the README's curl session has something to find. */
import { isDuplicateKeyError } from '../../lib/core/errors.ts';
import { fromDay } from '../../lib/core/values.ts';
import { ReleaseModel } from '../../models/release.model.ts';
import { nextId } from '../../models/counter.model.ts';

const SEEDS = [
  { version: '1.0.0', date: '2025-01-15', notes: 'First release' },
  { version: '1.1.0', date: '2025-06-15', notes: 'Bug fixes and performance improvements' },
];

export async function seedReleases(): Promise<void> {
  for (const seed of SEEDS) {
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
}
