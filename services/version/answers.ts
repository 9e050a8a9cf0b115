/** Releases as the version API and the license service's update fields show them. */
import type { ReleaseInfo } from '../../lib/domain/releases.ts';
import { dateOnly } from '../../lib/core/values.ts';
import type { ReleaseDoc } from '../../models/release.model.ts';
import type { ReleaseAnswer } from './contract.ts';

export function toReleaseInfo(doc: ReleaseDoc): ReleaseInfo {
  return {
    version: doc.version,
    release_date: dateOnly(doc.release_date)!,
    download_url: doc.download_url,
    release_notes: doc.release_notes,
    is_mandatory: doc.is_mandatory,
  };
}

export function toReleaseAnswer(doc: ReleaseDoc): ReleaseAnswer {
  return { id: doc._id, ...toReleaseInfo(doc) };
}
