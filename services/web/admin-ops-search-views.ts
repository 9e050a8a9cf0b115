/**
 * The global search page (`/admin/search?q=`): what the header's search box finds among customers,
 * licenses and devices (search.global), each a link to its page in the panel, filterable by type; and
 * a link to the same text in the lead list, which has a search of its own.
 */
import { SEARCH_TYPES, type GlobalSearchAnswer, type SearchType } from '../search/contract.ts';
import { hrefWith } from './admin-ops-common.ts';
import { inputField, selectField } from './components.ts';
import { html, safeHref, type Html } from './html.ts';
import { layout, type Viewer } from './layout.ts';

export const SEARCH_LIMIT = 50;

const TYPE_LABELS: Record<SearchType, string> = { customer: 'Customer', license: 'License', device: 'Device' };
const TYPE_PLURALS: Record<SearchType, string> = { customer: 'customers', license: 'licenses', device: 'devices' };

export interface SearchQuery {
  q: string;
  type: SearchType | '';
}

function form(query: SearchQuery): Html {
  return html`<form class="filters" method="get" action="/admin/search" role="search" aria-label="Search the panel">
    ${inputField({ form: 'search', name: 'q', label: 'Search for', type: 'search', value: query.q, maxlength: 100, hint: 'A customer name or email, a license key, a machine name or hardware hash.' })}
    ${selectField({
      form: 'search',
      name: 'type',
      label: 'Only',
      value: query.type,
      options: [{ value: '', label: 'Everything' }, ...SEARCH_TYPES.map(t => ({ value: t, label: TYPE_PLURALS[t] }))],
    })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Search</button>
    </div>
  </form>`;
}

function results(query: SearchQuery, answer: GlobalSearchAnswer): Html {
  if (answer.results.length === 0) {
    return html`<p class="empty">
      Nothing matches "${query.q}"${query.type ? html` among ${TYPE_PLURALS[query.type]}` : ''}.
      ${query.type ? html`<a href="${hrefWith('/admin/search', { q: query.q })}">Search everything</a>` : ''}
    </p>`;
  }
  const shown = answer.results.length;
  return html`<p class="muted">
      ${answer.total > shown ? `The best ${shown} of ${answer.total} matches` : `${shown} ${shown === 1 ? 'match' : 'matches'}`},
      best first.${answer.total > shown ? ' Type more of the name, or search one kind only, to narrow them.' : ''}
    </p>
    <div class="table-wrap">
      <table class="list">
        <caption class="visually-hidden">
          Search results for ${query.q}, best first
        </caption>
        <thead>
          <tr>
            <th scope="col">Found</th>
            <th scope="col">Kind</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${answer.results.map(
            r =>
              html`<tr>
                <th scope="row"><a href="${safeHref(r.url)}">${r.title}</a></th>
                <td>${TYPE_LABELS[r.type] ?? r.type}</td>
                <td>${r.subtitle}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

export function searchPage(viewer: Viewer, query: SearchQuery, answer: GlobalSearchAnswer | null): Html {
  return layout({
    title: query.q ? `Search: ${query.q}` : 'Search',
    viewer,
    body: html`${form(query)}
      <section aria-label="Results">
        ${
          answer
            ? results(query, answer)
            : html`<p class="empty">Type a name, an email, a license key or a machine to find it.</p>`
        }
        ${
          query.q
            ? html`<p>
                Looking for a lead?
                <a href="${hrefWith('/leads/', { q: query.q })}">Search the leads for "${query.q}"</a>
              </p>`
            : ''
        }
      </section>`,
  });
}
