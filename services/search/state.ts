/** The search service's `this`: it has no storage, no mixins and no state of its own. */
import type { Service } from 'moleculer';

export type SearchThis = Service;
