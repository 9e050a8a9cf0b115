/**
 * Leads: the institutions the sales staff work on (university, company, government, other), their
 * contacts and the activities with them (lead/admin.actions.ts, lead/people.actions.ts), the figures
 * of GET /leads/api/stats, the conversion of a lead into a customer through the customer service
 * (lead/convert.actions.ts) and CSV import and export as rows (lead/transfer.actions.ts). The HTML
 * pages (services/web/) and the admin API call these actions; every change is announced as a fact.
 */
import { dbMixin } from '../mixins/db.mixin.ts';
import { factsMixin } from '../mixins/facts.mixin.ts';
import { LeadInstitutionModel } from '../models/lead-institution.model.ts';
import { LeadContactModel } from '../models/lead-contact.model.ts';
import { LeadActivityModel } from '../models/lead-activity.model.ts';
import type { ServiceSchemaOf } from '../lib/core/schema-types.ts';
import type { LeadThis } from './lead/state.ts';
import { adminActions } from './lead/admin.actions.ts';
import { peopleActions } from './lead/people.actions.ts';
import { convertActions } from './lead/convert.actions.ts';
import { transferActions } from './lead/transfer.actions.ts';

const LeadService: ServiceSchemaOf<LeadThis> = {
  name: 'lead',
  mixins: [dbMixin([LeadInstitutionModel, LeadContactModel, LeadActivityModel]), factsMixin()],

  actions: {
    ...adminActions,
    // From the shared cache for a minute at most; every change drops it (lead/records.ts, forgetStats).
    stats: { ...adminActions.stats, cache: { keys: [], ttl: 60 } },
    ...peopleActions,
    ...convertActions,
    ...transferActions,
  },
};

export default LeadService;
