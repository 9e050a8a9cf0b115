/**
 * GET /api/global-search. No storage of its own: it asks each owner (`customer.search`,
 * `license.search`, `device.search`), which match the text case-insensitively as a literal (escaped,
 * never a pattern or an operator), and ranks their answers (ranking.ts).
 *
 * Each owner is asked for up to MAX_PER_TYPE candidates, so the ranking sees more than the page it
 * returns; `total` is the number of matches found that way (so at most MAX_PER_TYPE per type), and
 * `results` is its first `limit`.
 *
 * Answers, each `url` a page of the Admin Panel: customer {title: name, subtitle: email, url:
 * /admin/customers/{id}}; license {title: key, subtitle: "Customer name - Active|Inactive|Expired" ("No
 * customer - ..." without one), url: /admin/licenses/{id}}; device {title: machine name (the hardware
 * hash when unnamed), subtitle: "License key - Active|Inactive", url: /admin/licenses/{license_id}#devices:
 * a device is managed on its license's page, in its devices part}.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import type { LicenseAnswer } from '../license/contract.ts';
import type { ActivationAnswer } from '../device/contract.ts';
import type { CustomerSearchAnswer, CustomerStatusAnswer } from '../customer/contract.ts';
import { SEARCH_TYPES, type GlobalSearchAnswer, type SearchType } from './contract.ts';
import type { SearchThis } from './state.ts';
import { Ranking } from './ranking.ts';

const action = actionFor<SearchThis>();

const MAX_PER_TYPE = 100;

const STATUS_LABELS: Record<string, string> = { active: 'Active', inactive: 'Inactive', expired: 'Expired' };

const GLOBAL_PARAMS = objectSchema(
  {
    // At least one visible character; surrounding blanks are ignored.
    q: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', example: 'acme' },
    type: { type: 'string', enum: [...SEARCH_TYPES] },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  ['q'],
);

export const adminActions = {
  /** GET /api/global-search */
  global: action({
    params: GLOBAL_PARAMS,
    async handler(ctx): Promise<GlobalSearchAnswer> {
      const q = ctx.params.q.trim();
      const wanted = (type: SearchType) => ctx.params.type === undefined || ctx.params.type === type;
      const ask = { q, limit: MAX_PER_TYPE };
      const [customers, licenses, devices] = await Promise.all([
        wanted('customer') ? ctx.call<CustomerSearchAnswer[], typeof ask>('customer.search', ask) : [],
        wanted('license') ? ctx.call<LicenseAnswer[], typeof ask>('license.search', ask) : [],
        wanted('device') ? ctx.call<ActivationAnswer[], typeof ask>('device.search', ask) : [],
      ]);

      const customerIds = [...new Set(licenses.map(l => l.customer_id).filter((id): id is number => id !== null))];
      const names = new Map<number, string>();
      if (customerIds.length > 0) {
        const statuses = await ctx.call<CustomerStatusAnswer[], { ids: number[] }>('customer.statuses', {
          ids: customerIds,
        });
        for (const s of statuses) names.set(s.id, s.name);
      }

      // Added by type (customers, licenses, devices): the ranking's tie-break relies on that order.
      const ranking = new Ranking(q.toLowerCase());
      for (const c of customers) {
        ranking.add({ type: 'customer', id: c.id, title: c.name, subtitle: c.email, url: `/admin/customers/${c.id}` }, [
          c.name,
          c.email,
        ]);
      }
      for (const l of licenses) {
        const owner = l.customer_id === null ? 'No customer' : (names.get(l.customer_id) ?? 'Unknown customer');
        ranking.add(
          {
            type: 'license',
            id: l.id,
            title: l.key,
            subtitle: `${owner} - ${STATUS_LABELS[l.status] ?? l.status}`,
            url: `/admin/licenses/${l.id}`,
          },
          [l.key],
        );
      }
      for (const d of devices) {
        ranking.add(
          {
            type: 'device',
            id: d.id,
            title: d.machine_name || d.hardware_hash,
            subtitle: `${d.license_key} - ${d.is_active ? 'Active' : 'Inactive'}`,
            url: `/admin/licenses/${d.license_id}#devices`,
          },
          [d.machine_name, d.hardware_hash],
        );
      }
      return { results: ranking.best(ctx.params.limit), total: ranking.size };
    },
  }),
};
