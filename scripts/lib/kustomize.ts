/**
 * The project's kustomize (tools/kustomize: kustomize's own library, sigs.k8s.io/kustomize/api, plus a
 * strict check of every rendered object against the Kubernetes API types), built with Go on first use
 * and again whenever its sources change. Used by `npm run kustomize` and by test/unit/deploy.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const sourceDir = path.resolve(import.meta.dirname, '../../tools/kustomize');
export const KUSTOMIZE_BINARY = path.join(
  sourceDir,
  'bin',
  process.platform === 'win32' ? 'kustomize.exe' : 'kustomize',
);

function findGo(): string | undefined {
  const exe = process.platform === 'win32' ? 'go.exe' : 'go';
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/local/go/bin'];
  return dirs
    .map(dir => path.join(dir, exe))
    .find(file => {
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
    built = statSync(KUSTOMIZE_BINARY).mtimeMs;
  } catch {
    return false;
  }
  return readdirSync(sourceDir)
    .filter(name => name.endsWith('.go') || name === 'go.mod' || name === 'go.sum')
    .every(name => statSync(path.join(sourceDir, name)).mtimeMs < built);
}

/** The binary's path, built first when missing or older than its sources. Throws when Go is missing or the build fails. */
export function ensureKustomize(log: (line: string) => void = () => undefined): string {
  if (isUpToDate()) return KUSTOMIZE_BINARY;
  const go = findGo();
  if (!go)
    throw new Error(
      'kustomize: Go not found (install Go 1.26, https://go.dev/dl/), so tools/kustomize cannot be built',
    );
  log(`kustomize: building tools/kustomize with ${go} (the first build downloads modules, about a minute)`);
  const result = spawnSync(go, ['build', '-buildvcs=false', '-o', KUSTOMIZE_BINARY, '.'], {
    cwd: sourceDir,
    encoding: 'utf8',
  });
  if (result.error) throw new Error(`kustomize: could not run ${go}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kustomize: go build failed:\n${result.stderr}`);
  return KUSTOMIZE_BINARY;
}

/** Renders a kustomization (`check`: and decodes every object strictly); answers the YAML. Throws with kustomize's message. */
export function kustomize(command: 'build' | 'check', dir: string): string {
  const result = spawnSync(ensureKustomize(), [command, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`kustomize ${command} ${dir} failed:\n${result.stderr}`);
  return result.stdout;
}
