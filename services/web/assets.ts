/**
 * The pages' static files, served by the gateway itself (GET /assets/:file): only the names in
 * ASSETS, read from web/assets/ once and kept in memory. The name in a request is a key of this
 * table, never part of a path, so no request can read another file. Each file's URL carries a hash
 * of its content (`?v=`), so browsers may keep it for a day and still see a new version at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SCRIPT = 'text/javascript; charset=utf-8';
const ASSETS = new Map<string, string>([
  ['app.css', 'text/css; charset=utf-8'],
  // The Admin Panel's small enhancements: figures refreshing on their own, copy buttons for secrets.
  ['refresh.js', SCRIPT],
  ['copy.js', SCRIPT],
]);
const DIR = new URL('../../web/assets/', import.meta.url);

export interface Asset {
  type: string;
  body: Buffer;
  version: string;
}

const loaded = new Map<string, Asset>();

export function asset(name: string): Asset | null {
  const cached = loaded.get(name);
  if (cached) return cached;
  const type = ASSETS.get(name);
  if (!type) return null;
  const body = readFileSync(new URL(name, DIR));
  const found = { type, body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
  loaded.set(name, found);
  return found;
}

/** The URL a page links a file with. */
export function assetUrl(name: string): string {
  return `/assets/${name}?v=${asset(name)?.version ?? '0'}`;
}

export const ASSET_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'public, max-age=86400',
  'X-Content-Type-Options': 'nosniff',
});
