/**
 * The customer service's `this`. It keeps no state of its own: facts and view drops come from its
 * mixins.
 */
import type { Service } from 'moleculer';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { ViewInvalidationMethods } from '../../mixins/view-invalidation.mixin.ts';

export type CustomerThis = Service & FactsMethods & ViewInvalidationMethods;
