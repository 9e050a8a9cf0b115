// Builds the embedded MongoDB-compatible server (tools/embedded-mongodb) used by
// development and tests when no MONGO_URL is given. Runs as npm's postinstall, so a
// machine without Go must still get a successful install.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { embeddedMongoBinary } from './lib/embedded-mongodb.ts';
import { writePatchedFerretdb } from './lib/ferretdb-patch.ts';

const sourceDir = path.resolve(import.meta.dirname, '../tools/embedded-mongodb');
const binary = embeddedMongoBinary();

function findGo(): string | undefined {
  const exe = process.platform === 'win32' ? 'go.exe' : 'go';
  const candidates = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map(dir => path.join(dir, exe));
  // The official tarball's location, often not on PATH in non-login shells.
  candidates.push(path.join('/usr/local/go/bin', exe));

  return candidates.find(file => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function isUpToDate(): boolean {
  let built: number;
  try {
    built = statSync(binary).mtimeMs;
  } catch {
    return false;
  }
  // The patches applied to FerretDB are part of the build's input.
  const patches = [
    path.resolve(import.meta.dirname, 'lib/ferretdb-patch.ts'),
    path.join(sourceDir, '_ferretdb/sqlite_pushdown.go'),
  ];
  if (patches.some(file => statSync(file).mtimeMs >= built)) return false;
  return readdirSync(sourceDir)
    .filter(name => (name.endsWith('.go') && !name.endsWith('_test.go')) || name === 'go.mod' || name === 'go.sum')
    .every(name => statSync(path.join(sourceDir, name)).mtimeMs < built);
}

const go = findGo();
if (!go) {
  console.warn(
    'embedded-mongodb: Go not found, so the embedded MongoDB server was not built.\n' +
      '  To run the tests and the dev server, either set MONGO_URL to a MongoDB 7 server,\n' +
      '  or install Go 1.26 (https://go.dev/dl/) and run `npm install` again.',
  );
  process.exit(0);
}

if (isUpToDate()) {
  console.log(`embedded-mongodb: ${path.relative(process.cwd(), binary)} is up to date`);
  process.exit(0);
}

console.log(`embedded-mongodb: building with ${go} (the first build downloads modules and takes a few minutes)`);
// The module must be in the cache before it can be copied and patched.
const download = spawnSync(go, ['mod', 'download'], { cwd: sourceDir, stdio: 'inherit' });
if (download.status !== 0) {
  console.error('embedded-mongodb: go mod download failed (see above)');
  process.exit(download.status ?? 1);
}
const modFile = writePatchedFerretdb(go, sourceDir, path.join(path.dirname(binary), 'build'));
// No VCS stamping: it needs a git checkout that Go trusts, and nothing reads it.
const result = spawnSync(go, ['build', '-buildvcs=false', '-modfile', modFile, '-o', binary, '.'], {
  cwd: sourceDir,
  stdio: 'inherit',
});
if (result.error) {
  console.error(`embedded-mongodb: could not run ${go}: ${result.error.message}`);
  process.exit(1);
}
if (result.status !== 0) {
  console.error('embedded-mongodb: go build failed (see above)');
  process.exit(result.status ?? 1);
}
console.log(`embedded-mongodb: built ${path.relative(process.cwd(), binary)}`);
