// ESLint rule: no import cycles between the project's own modules, type-only imports included (a
// type-only cycle still means two modules that cannot be read, or moved, one without the other).
// Relative specifiers only: packages cannot import the project back.
import { readFileSync } from 'node:fs';
import { dirname, resolve, relative } from 'node:path';

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Imports of a file by path, read once per lint run. */
const importsCache = new Map();

function importsOf(file) {
  let list = importsCache.get(file);
  if (list) return list;
  list = [];
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // Not a file of ours (or gone): no imports.
  }
  for (const match of text.matchAll(SPECIFIER)) list.push(resolve(dirname(file), match[1] ?? match[2]));
  importsCache.set(file, list);
  return list;
}

/** A path from `start` back to `target`, or null. */
function findRoute(start, target) {
  const seen = new Set([start]);
  const queue = [[start]];
  while (queue.length > 0) {
    const route = queue.shift();
    for (const next of importsOf(route[route.length - 1])) {
      if (next === target) return route;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push([...route, next]);
    }
  }
  return null;
}

export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between project modules, type-only imports included' },
    messages: { cycle: 'Import cycle: {{route}}' },
    schema: [],
  },
  create(context) {
    const file = context.physicalFilename;
    // The file as it is being linted (not as cached from disk).
    importsCache.delete(file);
    const check = node => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.'))
        return;
      const target = resolve(dirname(file), source.value);
      const route = findRoute(target, file);
      if (!route) return;
      const names = [file, ...route, file].map(p => relative(context.cwd, p));
      context.report({ node, messageId: 'cycle', data: { route: names.join(' -> ') } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { 'no-import-cycle': noImportCycle } };
