/**
 * This node's copy of the release list, newest first: it is small and read on every verify and update
 * check. Publishing a release drops it on every node (`version.dropReleases`) before answering; a copy
 * older than MAX_AGE_MS is re-read even without that call, so a missed drop heals itself.
 */
import { sortReleases, type ReleaseInfo } from '../../lib/domain/releases.ts';
import { ReleaseModel } from '../../models/release.model.ts';
import { toReleaseInfo } from './answers.ts';

const MAX_AGE_MS = 30_000;

export class ReleaseList {
  private releases: Promise<ReleaseInfo[]> | null = null;
  private readAt = 0;

  /** Every release, newest first. */
  get(): Promise<ReleaseInfo[]> {
    if (!this.releases || Date.now() - this.readAt > MAX_AGE_MS) {
      this.readAt = Date.now();
      const reading = ReleaseModel.find()
        .lean()
        .then(docs => sortReleases(docs).map(toReleaseInfo));
      // A failed read is not kept: the next caller reads again.
      reading.catch(() => {
        if (this.releases === reading) this.releases = null;
      });
      this.releases = reading;
    }
    return this.releases;
  }

  drop(): void {
    this.releases = null;
  }
}
