/**
 * Update answers from a list of releases, shared by version.check and license.verify so both say the
 * same thing. An update is mandatory when any release newer than the client's is mandatory, not only
 * the latest (a client two versions behind must not skip a mandatory fix).
 */
import semver from 'semver';

export const SEMVER_PATTERN =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

export interface ReleaseInfo {
  version: string;
  release_date: string;
  download_url: string;
  release_notes: string;
  is_mandatory: boolean;
}

export interface UpdateAnswer {
  update_available: boolean;
  latest_version: string | null;
  download_url: string | null;
  release_notes: string | null;
  is_mandatory: boolean;
}

/** Newest first. */
export function sortReleases<T extends { version: string }>(releases: T[]): T[] {
  return [...releases].sort((a, b) => semver.rcompare(a.version, b.version));
}

export function updateFor(releasesNewestFirst: ReleaseInfo[], currentVersion: string | undefined): UpdateAnswer {
  const latest = releasesNewestFirst[0];
  if (!latest) {
    return {
      update_available: false,
      latest_version: null,
      download_url: null,
      release_notes: null,
      is_mandatory: false,
    };
  }
  if (currentVersion === undefined || !semver.valid(currentVersion)) {
    return {
      update_available: false,
      latest_version: latest.version,
      download_url: latest.download_url,
      release_notes: latest.release_notes,
      is_mandatory: false,
    };
  }
  const newer = releasesNewestFirst.filter(r => semver.gt(r.version, currentVersion));
  return {
    update_available: newer.length > 0,
    latest_version: latest.version,
    download_url: latest.download_url,
    release_notes: latest.release_notes,
    is_mandatory: newer.some(r => r.is_mandatory),
  };
}
