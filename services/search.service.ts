/**
 * Global search over customers, licenses and devices (GET /api/global-search). No storage of its own:
 * it asks each owner (`customer.search`, `license.search`, `device.search`), which match the text
 * case-insensitively as a literal (escaped, never a pattern or an operator), and ranks their answers.
 *
 * Ranking: by how well the text matches the result's best field (exact, then prefix, then contains;
 * case-insensitive), then by type (customer, license, device), then in the order the owner answered.
 * Fields compared: customer name and email, license key, device machine name and hardware hash.
 *
 * Each owner is asked for up to MAX_PER_TYPE candidates, so the ranking sees more than the page it
 * returns; `total` is the number of matches found that way (so at most MAX_PER_TYPE per type), and
 * `results` is its first `limit`.
 *
 * Answers: customer {title: name, subtitle: email, url: /customer/edit/{id}}; license {title: key,
 * subtitle: "Customer name - Active|Inactive|Expired" ("No customer - ..." without one), url:
 * /license/edit/{id}}; device {title: machine name (the hardware hash when unnamed), subtitle:
 * "License key - Active|Inactive", url: /license/edit/{license_id}#device-{id}: a device is edited on its
 * license's page, anchored at the device}.
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import { objectSchema } from '../lib/core/validation.ts';
import type { LicenseAnswer } from './license/contract.ts';
import type { ActivationAnswer } from './device/contract.ts';
import type { CustomerSearchAnswer } from './customer/contract.ts';

export const SEARCH_TYPES = ['customer', 'license', 'device'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export interface SearchResult {
  type: SearchType;
  id: number;
  title: string;
  subtitle: string;
  url: string;
}

interface Ranked {
  result: SearchResult;
  rank: number;
  order: number;
}

const MAX_PER_TYPE = 100;
const MATCH_EXACT = 0;
const MATCH_PREFIX = 1;
const MATCH_CONTAINS = 2;
const NO_MATCH = 3;

const STATUS_LABELS: Record<string, string> = { active: 'Active', inactive: 'Inactive', expired: 'Expired' };

/** How well `needle` (already lower-case) matches the best of some fields. */
function matchRank(needle: string, fields: string[]): number {
  let best = NO_MATCH;
  for (const field of fields) {
    const value = field.toLowerCase();
    if (value === needle) return MATCH_EXACT;
    if (value.startsWith(needle)) best = Math.min(best, MATCH_PREFIX);
    else if (value.includes(needle)) best = Math.min(best, MATCH_CONTAINS);
  }
  return best;
}

type SearchThis = Service;

const SearchService: ServiceSchema<Record<string, never>, Record<string, never>, Record<string, never>, SearchThis> = {
  name: 'search',

  actions: {
    /** GET /api/global-search */
    global: {
      params: objectSchema(
        {
          // At least one visible character; surrounding blanks are ignored.
          q: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', example: 'acme' },
          type: { type: 'string', enum: [...SEARCH_TYPES] },
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
        ['q'],
      ),
      async handler(ctx: Context<{ q: string; type?: SearchType; limit: number }>) {
        const q = ctx.params.q.trim();
        const needle = q.toLowerCase();
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
          const statuses = await ctx.call<Array<{ id: number; name: string }>, { ids: number[] }>('customer.statuses', {
            ids: customerIds,
          });
          for (const s of statuses) names.set(s.id, s.name);
        }

        const ranked: Ranked[] = [];
        const add = (result: SearchResult, fields: string[]) =>
          ranked.push({ result, rank: matchRank(needle, fields), order: ranked.length });
        for (const c of customers) {
          add({ type: 'customer', id: c.id, title: c.name, subtitle: c.email, url: `/customer/edit/${c.id}` }, [
            c.name,
            c.email,
          ]);
        }
        for (const l of licenses) {
          const owner = l.customer_id === null ? 'No customer' : (names.get(l.customer_id) ?? 'Unknown customer');
          add(
            {
              type: 'license',
              id: l.id,
              title: l.key,
              subtitle: `${owner} - ${STATUS_LABELS[l.status] ?? l.status}`,
              url: `/license/edit/${l.id}`,
            },
            [l.key],
          );
        }
        for (const d of devices) {
          add(
            {
              type: 'device',
              id: d.id,
              title: d.machine_name || d.hardware_hash,
              subtitle: `${d.license_key} - ${d.is_active ? 'Active' : 'Inactive'}`,
              url: `/license/edit/${d.license_id}#device-${d.id}`,
            },
            [d.machine_name, d.hardware_hash],
          );
        }
        // Results were appended by type (customers, licenses, devices), so `order` carries the type order.
        ranked.sort((a, b) => a.rank - b.rank || a.order - b.order);
        return { results: ranked.slice(0, ctx.params.limit).map(r => r.result), total: ranked.length };
      },
    },
  },
};

export default SearchService as unknown as ServiceSchema;
