// The update answer shared by verify and version/check.
import { expect } from 'chai';
import { sortReleases, updateFor, type ReleaseInfo } from '../../lib/domain/releases.ts';

function release(version: string, is_mandatory = false): ReleaseInfo {
  return {
    version,
    release_date: '2026-01-01',
    download_url: `https://example.com/${version}`,
    release_notes: version,
    is_mandatory,
  };
}

describe('updateFor', function () {
  const releases = sortReleases([release('1.0.0'), release('1.2.0'), release('1.1.0', true), release('1.10.0')]);

  it('sorts by semver, not as text', function () {
    expect(releases.map(r => r.version)).to.deep.equal(['1.10.0', '1.2.0', '1.1.0', '1.0.0']);
  });

  it('answers no update and no version when nothing is published', function () {
    expect(updateFor([], '1.0.0')).to.deep.equal({
      update_available: false,
      latest_version: null,
      download_url: null,
      release_notes: null,
      is_mandatory: false,
    });
  });

  it('is mandatory when any newer release is, not only the latest', function () {
    const answer = updateFor(releases, '1.0.0');
    expect(answer.update_available).to.equal(true);
    expect(answer.latest_version).to.equal('1.10.0');
    expect(answer.download_url).to.equal('https://example.com/1.10.0');
    expect(answer.is_mandatory).to.equal(true);
  });

  it('is not mandatory once the mandatory release is installed', function () {
    const answer = updateFor(releases, '1.1.0');
    expect(answer.update_available).to.equal(true);
    expect(answer.is_mandatory).to.equal(false);
  });

  it('offers nothing to the latest version or a newer one', function () {
    expect(updateFor(releases, '1.10.0').update_available).to.equal(false);
    expect(updateFor(releases, '2.0.0').update_available).to.equal(false);
  });

  it('names the latest release but offers no update for a missing or non-semver version', function () {
    for (const current of [undefined, 'banana']) {
      const answer = updateFor(releases, current);
      expect(answer.update_available).to.equal(false);
      expect(answer.latest_version).to.equal('1.10.0');
    }
  });
});
