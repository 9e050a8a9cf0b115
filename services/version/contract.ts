/**
 * What other services may rely on from the version service: the shapes of its answers. A release
 * without its id is `ReleaseInfo` (lib/domain/releases.ts), which the license service shares for its
 * update fields (`version.all`).
 */
import type { ReleaseInfo } from '../../lib/domain/releases.ts';

/** A release as the admin API shows it (publish, list). */
export type ReleaseAnswer = { id: number } & ReleaseInfo;
