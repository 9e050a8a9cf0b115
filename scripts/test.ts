/**
 * `npm test`: runs every suite against real servers. MongoDB: MONGO_URL if set, otherwise a fresh
 * embedded server on a free port with its data in a temporary folder (removed afterwards). Redis: the
 * machine's, database 15 unless REDIS_URL says otherwise. NATS: the machine's (TEST_NATS_URL).
 * The browser tests (test/e2e) need Chromium (`.ci/run` installs Debian's package when it is missing).
 * Extra arguments go to mocha, e.g. `npm test -- test/integration/gateway.test.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo } from './lib/embedded-mongodb.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
// The browser tests (test/e2e) drive Debian's chromium at /usr/bin/chromium (CHROMIUM_PATH moves it).
const files =
  args.length > 0 ? args : ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'];

let mongo: { url: string; stop(): Promise<void> } | undefined;
let dataDir: string | undefined;
let mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) {
  dataDir = mkdtempSync(join(tmpdir(), 'license-test-mongo-'));
  mongo = await startEmbeddedMongo({ dir: dataDir });
  mongoUrl = mongo.url;
  process.stdout.write(`Embedded MongoDB-compatible server for the tests at ${mongoUrl}\n`);
}
const dbUrl = new URL(mongoUrl);
if (dbUrl.pathname === '/' || dbUrl.pathname === '') dbUrl.pathname = `/license_test_${process.pid}`;

const env = {
  ...process.env,
  NODE_ENV: 'test',
  MONGO_URL: dbUrl.toString(),
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15',
};

// process.execPath: mocha's own shebang would pick whatever `node` is first on PATH.
const mocha = spawn(process.execPath, [join(root, 'node_modules/mocha/bin/mocha.js'), ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const cleanUp = async () => {
  await mongo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => mocha.kill(signal));
}
const code: number = await new Promise(resolve => mocha.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await cleanUp();
process.exit(code);
