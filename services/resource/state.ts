/**
 * The resource service's `this`. It keeps no state of its own (allocation state lives in the resource
 * documents only, see allocation.ts); facts come from its mixin.
 */
import type { Service } from 'moleculer';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';

export type ResourceThis = Service & FactsMethods;
