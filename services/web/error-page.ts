/**
 * The HTML answer of a page whose request failed (never the API's JSON): what happened in words, and
 * a way back. The gateway renders it for errors that a page handler did not turn into a form error
 * (services/api/request-pipeline.ts).
 */
import { documentText, html } from './html.ts';
import { layout, type Viewer } from './layout.ts';

const TITLES: Record<number, string> = {
  400: 'The request could not be understood',
  403: 'Not allowed',
  404: 'Not found',
  409: 'That conflicts with the stored data',
  413: 'Too large',
  415: 'Unsupported form',
  429: 'Too many requests',
};

export function errorPageText(status: number, message: string, viewer: Viewer | null): string {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'The request failed');
  const detail = status >= 500 ? 'The server could not finish this request. Please try again in a moment.' : message;
  return documentText(
    layout({
      title,
      viewer,
      body: html`<div class="error-page">
        <p class="error-message">${detail}</p>
        <p class="error-code">Status ${status}</p>
        <p><a href="/leads/">Back to the leads</a></p>
      </div>`,
    }),
  );
}
