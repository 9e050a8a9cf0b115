/**
 * The interactive API reference at GET /api/docs: Swagger UI from the swagger-ui-dist package, served
 * by the gateway itself (nothing is fetched from a CDN at run time). The page loads only same-origin
 * files, under a Content-Security-Policy without inline scripts, so Swagger UI is started from a file
 * of its own (init.js) rather than from a script in the page.
 *
 * GET /api/docs/assets/:file serves only the files named in ASSETS: the name in the request is a key
 * of that table, never part of a path, so no request can read another file of the disk.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where the page's files are served (the route table has `GET /api/docs/assets/:file`). */
const ASSETS_BASE = '/api/docs/assets/';
const OPENAPI_URL = '/api/docs/openapi.json';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const PNG = 'image/png';

const INIT_JS = `// Starts Swagger UI (a file, not an inline script: the page's CSP allows none).
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_URL}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // No request to the public validator service: the page talks to this server only.
    validatorUrl: null,
  });
});
`;

/** A file of the swagger-ui-dist package, or content of our own. */
type AssetSpec = { type: string; file: string } | { type: string; content: string };

const ASSETS = new Map<string, AssetSpec>([
  ['swagger-ui.css', { type: CSS, file: 'swagger-ui.css' }],
  ['index.css', { type: CSS, file: 'index.css' }],
  ['swagger-ui-bundle.js', { type: JS, file: 'swagger-ui-bundle.js' }],
  ['favicon-32x32.png', { type: PNG, file: 'favicon-32x32.png' }],
  ['favicon-16x16.png', { type: PNG, file: 'favicon-16x16.png' }],
  ['init.js', { type: JS, content: INIT_JS }],
]);

export const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>V2 License Server API</title>
    <link rel="stylesheet" type="text/css" href="${ASSETS_BASE}swagger-ui.css" />
    <link rel="stylesheet" type="text/css" href="${ASSETS_BASE}index.css" />
    <link rel="icon" type="image/png" href="${ASSETS_BASE}favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="${ASSETS_BASE}favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS_BASE}swagger-ui-bundle.js"></script>
    <script src="${ASSETS_BASE}init.js"></script>
  </body>
</html>
`;

/**
 * Scripts from this origin only, never inline. Swagger UI sets style attributes as it renders, hence
 * inline styles; its stylesheet embeds its icons as data: URLs.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const DOCS_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
});

/** The package files do not change while the process runs; an hour spares reloads of 2 MB of script. */
export const DOCS_ASSET_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'public, max-age=3600',
  'X-Content-Type-Options': 'nosniff',
});

export interface DocsAsset {
  type: string;
  body: Buffer;
}

/** The allowed files, read from disk on first request and kept in memory (about 2 MB). */
export class DocsAssets {
  private readonly loaded = new Map<string, DocsAsset>();
  private packageDir: string | undefined;

  /** The asset of this name, or null when the name is not in the table. */
  async get(name: string): Promise<DocsAsset | null> {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    const spec = ASSETS.get(name);
    if (!spec) return null;
    const body = 'content' in spec ? Buffer.from(spec.content) : await readFile(path.join(this.dir(), spec.file));
    const asset = { type: spec.type, body };
    this.loaded.set(name, asset);
    return asset;
  }

  private dir(): string {
    this.packageDir ??= path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    return this.packageDir;
  }
}
