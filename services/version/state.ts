/** The version service's `this`: what its mixins give it and the release list it keeps. */
import type { Service } from 'moleculer';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { ViewInvalidationMethods } from '../../mixins/view-invalidation.mixin.ts';
import type { ReleaseList } from './release-list.ts';

export interface VersionState {
  /** This node's cached release list (release-list.ts). */
  releases: ReleaseList;
}

export type VersionThis = Service & FactsMethods & ViewInvalidationMethods & VersionState;
