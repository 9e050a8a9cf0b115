// FerretDB 1.24's SQLite backend reads the whole table for every query except one by a string `_id`, and
// even that one misses its index: the `_id_` index is built on `_ferretdb_sjson->"_id"` while the query
// compares `_ferretdb_sjson->'$._id'`, which SQLite does not match to it. Measured on this machine: a
// findOne by string `_id` 18 ms over 20,000 documents and 75-98 ms over 100,000; by integer `_id` (every
// id of this project) 343 ms and 1.3 s; by an indexed `key` 272 ms and 1.6 s.
//
// The build copies the module (Go refuses overlays inside its module cache), lets the backend's Query and
// Explain use tools/embedded-mongodb/_ferretdb/sqlite_pushdown.go (one equality or `$in` an index can
// answer, in the index's own expression) and builds against the copy. After it: about 1 ms per lookup by
// `_id` or by an indexed field at 1,000, 20,000 and 100,000 documents. The lookup is a pre-filter only
// (FerretDB filters what comes back again); sqlite_pushdown.go says when it applies and why it never
// drops a match.
import { spawnSync } from 'node:child_process';
import { chmodSync, constants, copyFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

interface Patch {
  file: string;
  /** Each `from` must occur exactly `count` times, or the build stops (the module changed). */
  edits: { from: string; to: string; count: number }[];
}

const QUERY_ID_PUSHDOWN = [
  '\tif params.Filter.Len() == 1 {',
  '\t\tv, _ := params.Filter.Get("_id")',
  '\t\tswitch v.(type) {',
  '\t\tcase string, types.ObjectID:',
  '\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)',
  '\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}',
  '\t\t}',
  '\t}',
].join('\n');
const EXPLAIN_ID_PUSHDOWN = QUERY_ID_PUSHDOWN.replace(
  '\t\t\twhereClause',
  '\t\t\tfilterPushdown = true\n\t\t\twhereClause',
);
const INDEXED_PUSHDOWN = [
  '\tif condition, values, ok := indexedCondition(meta, params.Filter); ok {',
  '\t\twhereClause = ` WHERE ` + condition',
  '\t\targs = values',
  '\t}',
].join('\n');

const PATCHES: Patch[] = [
  {
    file: 'internal/backends/sqlite/collection.go',
    edits: [
      {
        from: EXPLAIN_ID_PUSHDOWN,
        to: INDEXED_PUSHDOWN.replace('\t\twhereClause', '\t\tfilterPushdown = true\n\t\twhereClause'),
        count: 1,
      },
      { from: QUERY_ID_PUSHDOWN, to: INDEXED_PUSHDOWN, count: 1 },
    ],
  },
  {
    // Updates and deletes by `_id` compare the same expression: let them use the index too.
    file: 'internal/backends/sqlite/metadata/metadata.go',
    edits: [{ from: `IDColumn = DefaultColumn + "->'$._id'"`, to: 'IDColumn = DefaultColumn + `->"_id"`', count: 1 }],
  },
];

/** Our own file, added to the backend's package. */
const ADDED = {
  from: path.resolve(import.meta.dirname, '../../tools/embedded-mongodb/_ferretdb/sqlite_pushdown.go'),
  to: 'internal/backends/sqlite/sqlite_pushdown.go',
};

function replaceExactly(text: string, file: string, edit: Patch['edits'][number]): string {
  const found = text.split(edit.from).length - 1;
  if (found !== edit.count) {
    throw new Error(
      `embedded-mongodb: expected ${edit.count} of ${JSON.stringify(edit.from)} in ${file}, found ${found}: ` +
        'the FerretDB module changed; review scripts/lib/ferretdb-patch.ts',
    );
  }
  return text.split(edit.from).join(edit.to);
}

/**
 * Copies the FerretDB module under `outDir`, patches the copy, and writes a go.mod (and go.sum) there
 * that builds `moduleDir` against it. Returns the go.mod's path for `go build -modfile`.
 */
export function writePatchedFerretdb(go: string, moduleDir: string, outDir: string): string {
  const listed = spawnSync(go, ['list', '-m', '-f', '{{.Dir}}', FERRETDB_MODULE], { cwd: moduleDir, encoding: 'utf8' });
  const ferretDir = listed.stdout?.trim();
  if (listed.status !== 0 || !ferretDir) {
    throw new Error(`embedded-mongodb: could not locate ${FERRETDB_MODULE}: ${listed.stderr || listed.error?.message}`);
  }
  const copy = path.join(outDir, 'ferretdb');
  rmSync(copy, { recursive: true, force: true });
  // The module cache is read-only; the copy must be writable to be patched and removed later.
  cpSync(ferretDir, copy, { recursive: true, mode: constants.COPYFILE_FICLONE });
  for (const patch of PATCHES) {
    const file = path.join(copy, patch.file);
    let text = readFileSync(file, 'utf8');
    for (const edit of patch.edits) text = replaceExactly(text, patch.file, edit);
    chmodSync(file, 0o644);
    writeFileSync(file, text);
  }
  copyFileSync(ADDED.from, path.join(copy, ADDED.to));
  const modFile = path.join(outDir, 'go.mod');
  const goMod = readFileSync(path.join(moduleDir, 'go.mod'), 'utf8');
  writeFileSync(modFile, `${goMod}\nreplace ${FERRETDB_MODULE} => ${copy}\n`);
  copyFileSync(path.join(moduleDir, 'go.sum'), path.join(outDir, 'go.sum'));
  return modFile;
}
