/** The lead service's `this`: it keeps no state of its own; facts come from its mixin. */
import type { Service } from 'moleculer';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';

export type LeadThis = Service & FactsMethods;
