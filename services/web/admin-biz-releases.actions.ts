/**
 * The releases page (/admin/releases): the published versions, newest first, a page at a time, and
 * (admins) the form that publishes a new one through version.publish, the admin API's action, so the
 * clients' update checks see it at once. version.list answers every release (they are few); the page
 * filters (version text, mandatory or optional) and cuts it into pages itself.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { dateOnly } from '../../lib/core/values.ts';
import type { ReleaseAnswer } from '../version/contract.ts';
import { inputField, pager, selectField, textareaField } from './components.ts';
import {
  SHORT,
  TEXT,
  checkboxField,
  checked,
  SEARCH_INPUT,
  explainForm,
  hrefWith,
  noticeOf,
  optionParam,
  optionalParam,
  pageParam,
  refusalStatus,
  valuesOf,
  type FormState,
} from './admin-biz-forms.ts';
import { html, safeHref, type Html } from './html.ts';
import { csrfField, layout, type Viewer } from './layout.ts';
import { redirect, sendPage, viewerOf, type PageContext, type PageMeta } from './page.ts';
import type { WebThis } from './state.ts';

const action = actionFor<WebThis, PageMeta>();

const PER_PAGE = 25;
const RELEASE_FIELDS = ['version', 'release_date', 'download_url', 'release_notes', 'is_mandatory'] as const;
const RELEASE_TEXTS: Record<string, string> = {
  version: 'Enter a version like 1.4.0 (major.minor.patch).',
  release_date: 'Enter a date like 2027-01-31, or leave it empty for today.',
  download_url: 'Enter an address starting with http:// or https://.',
  release_notes: 'Enter at most 20000 characters.',
  is_mandatory: 'Tick the box or leave it empty.',
};
const NOTICES: Record<string, string> = { published: 'Release published: clients see it at their next update check.' };
const KINDS = ['mandatory', 'optional'] as const;

interface ReleaseQuery {
  q: string;
  kind: '' | (typeof KINDS)[number];
  page: number;
}

function releasesHref(query: ReleaseQuery, page = query.page): string {
  return hrefWith('/admin/releases', { q: query.q, kind: query.kind, page: page > 1 ? page : undefined });
}

function filters(query: ReleaseQuery): Html {
  return html`<form class="filters" method="get" action="/admin/releases" role="search" aria-label="Filter releases">
    ${inputField({ form: 'filter', name: 'q', label: 'Search version', type: 'search', value: query.q, maxlength: 64 })}
    ${selectField({
      form: 'filter',
      name: 'kind',
      label: 'Kind',
      value: query.kind,
      options: [
        { value: '', label: 'All releases' },
        { value: 'mandatory', label: 'Mandatory' },
        { value: 'optional', label: 'Optional' },
      ],
    })}
    <div class="filter-actions">
      <button type="submit" class="button primary">Apply</button>
      <a class="button secondary" href="/admin/releases">Clear</a>
    </div>
  </form>`;
}

function publishForm(viewer: Viewer, state: FormState): Html {
  const { values: v, errors } = state;
  return html`<form class="card" method="post" action="/admin/releases" novalidate>
    <h2>Publish a new version</h2>
    ${csrfField(viewer.csrf)}
    <div class="field-row">
      ${inputField({ name: 'version', label: 'Version', value: v.version, required: true, maxlength: 64, errors, hint: 'Like 1.4.0' })}
      ${inputField({ name: 'release_date', label: 'Release date', type: 'date', value: v.release_date, errors })}
    </div>
    ${inputField({ name: 'download_url', label: 'Download address', type: 'url', value: v.download_url, required: true, maxlength: 2048, errors, hint: 'https://...' })}
    ${checkboxField({ name: 'is_mandatory', label: 'Mandatory update', checked: checked(v.is_mandatory), hint: 'Clients older than this version are told they must update' })}
    ${textareaField({ name: 'release_notes', label: 'Release notes', value: v.release_notes, maxlength: 20_000, errors })}
    <button type="submit" class="button primary">Publish</button>
  </form>`;
}

function releasesTable(releases: ReleaseAnswer[]): Html {
  return html`<div class="table-wrap">
    <table class="list">
      <caption class="visually-hidden">
        Releases, newest version first
      </caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Released</th>
          <th scope="col">Mandatory</th>
          <th scope="col">Download</th>
          <th scope="col">Notes</th>
        </tr>
      </thead>
      <tbody>
        ${releases.map(
          r =>
            html`<tr>
              <th scope="row">${r.version}</th>
              <td>${r.release_date}</td>
              <td>${r.is_mandatory ? html`<span class="status status-expired">Mandatory</span>` : 'Optional'}</td>
              <td><a href="${safeHref(r.download_url)}" rel="noopener noreferrer">${r.download_url}</a></td>
              <td class="pre">${r.release_notes || '-'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

async function renderReleases(
  ctx: PageContext<unknown>,
  o: { query?: ReleaseQuery; form?: FormState; notice?: string | null; alert?: string | null; status?: number },
): Promise<string> {
  const viewer = viewerOf(ctx);
  const query = o.query ?? { q: '', kind: '', page: 1 };
  const all = await ctx.call<{ releases: ReleaseAnswer[] }, object>('version.list', {});
  const releases = all.releases.filter(
    r => r.version.includes(query.q) && (query.kind === '' || r.is_mandatory === (query.kind === 'mandatory')),
  );
  const filtered = Boolean(query.q || query.kind);
  const pages = Math.ceil(releases.length / PER_PAGE);
  const page = Math.min(query.page, Math.max(pages, 1));
  const shown = releases.slice((page - 1) * PER_PAGE, page * PER_PAGE);
  const form = o.form ?? { values: { release_date: dateOnly(new Date())! }, errors: {} };
  const body = html`${filters(query)}
    <section aria-label="Published releases">
      ${
        shown.length > 0
          ? releasesTable(shown)
          : filtered
            ? html`<p class="empty">
                No releases match these filters. <a href="/admin/releases">Clear the filters</a>
              </p>`
            : html`<p class="empty">
                No release published yet.${viewer.role === 'admin' ? ' Publish the first one below.' : ''}
              </p>`
      }
      ${
        releases.length > 0
          ? pager({
              page,
              pages,
              total: releases.length,
              noun: releases.length === 1 ? 'release' : 'releases',
              hrefFor: n => releasesHref(query, n),
            })
          : ''
      }
    </section>
    ${viewer.role === 'admin' ? publishForm(viewer, form) : ''}`;
  const html_ = layout({ title: 'Releases', viewer, area: 'releases', notice: o.notice, alert: o.alert, body });
  return sendPage(ctx, html_, o.status ?? 200);
}

export const releasePageActions = {
  /** GET /admin/releases */
  releaseList: action({
    params: objectSchema({ q: SEARCH_INPUT, kind: SHORT, page: SHORT, notice: SHORT }),
    handler(ctx) {
      const query: ReleaseQuery = {
        q: (ctx.params.q ?? '').trim().slice(0, 64),
        kind: optionParam(ctx.params.kind, KINDS),
        page: pageParam(ctx.params.page),
      };
      return renderReleases(ctx, { query, notice: noticeOf(NOTICES, ctx.params.notice) });
    },
  }),

  /** POST /admin/releases */
  releasePublish: action({
    params: objectSchema({
      version: SHORT,
      release_date: SHORT,
      download_url: { type: 'string', maxLength: 4096 },
      release_notes: TEXT,
      is_mandatory: SHORT,
    }),
    async handler(ctx) {
      const values = valuesOf(ctx.params, RELEASE_FIELDS);
      const params = Object.fromEntries(
        Object.entries({
          version: values.version,
          release_date: optionalParam(values.release_date),
          download_url: values.download_url,
          release_notes: values.release_notes,
          is_mandatory: checked(values.is_mandatory),
        }).filter(([, value]) => value !== undefined),
      );
      try {
        await ctx.call('version.publish', params);
        return redirect(ctx, '/admin/releases?notice=published');
      } catch (err) {
        const form = explainForm(this.broker, err, 'version.publish', params, RELEASE_TEXTS);
        if (!form) throw err;
        return renderReleases(ctx, {
          form: { values, errors: form.errors },
          alert: form.alert,
          status: refusalStatus(err),
        });
      }
    },
  }),
};
