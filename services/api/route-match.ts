/**
 * Which route a path and method reach. moleculer-web matches aliases in table order, and a path
 * parameter matches any segment, so `GET /api/license/verify` reached the admin route
 * `GET /api/license/:license_id` (and answered 401 to a client with a perfectly good API key). Here
 * ids (`:id`, `:<name>_id`) match digits only, and a path that some route has under another method
 * answers 405 with `Allow` instead of 404.
 */

/** What this module needs of moleculer-web's Alias objects. */
export interface MatchableAlias {
  method: string;
  isMethod(method: string): boolean;
  match(url: string): Record<string, unknown> | false;
}

// Any run of digits: one too large for an id still reaches its route and gets the schema's 400.
const NUMERIC_ID = /^\d+$/;

function isIdParam(name: string): boolean {
  return name === 'id' || name.endsWith('_id');
}

/** Every id among the matched params is made of digits. */
export function idsAreNumeric(params: Record<string, unknown>): boolean {
  for (const name in params) {
    if (isIdParam(name) && !(typeof params[name] === 'string' && NUMERIC_ID.test(params[name]))) return false;
  }
  return true;
}

/** The first alias of this method whose path matches, ids numeric; false when none does. */
export function resolveAlias<A extends MatchableAlias>(
  aliases: readonly A[],
  url: string,
  method = 'GET',
): { alias: A; params: Record<string, unknown> } | false {
  for (const alias of aliases) {
    if (!alias.isMethod(method)) continue;
    const params = alias.match(url);
    if (params && idsAreNumeric(params)) return { alias, params };
  }
  return false;
}

/** The methods under which some route serves this path (empty: no route has it). */
export function allowedMethods(aliases: readonly MatchableAlias[], url: string): string[] {
  const methods = new Set<string>();
  for (const alias of aliases) {
    if (alias.method === '*') continue;
    const params = alias.match(url);
    if (params && idsAreNumeric(params)) methods.add(alias.method);
  }
  return [...methods].sort();
}
