/**
 * `npm run kustomize -- build k8s/overlays/production`: renders an overlay with the project's own
 * kustomize (built from tools/kustomize on first use). `check` also decodes every object strictly
 * against the Kubernetes API types. `kubectl apply -k` renders the same overlays with kubectl's own.
 */
import { kustomize } from './lib/kustomize.ts';

const [command, dir] = process.argv.slice(2);
if ((command !== 'build' && command !== 'check') || !dir) {
  process.stderr.write('usage: npm run kustomize -- build|check <dir>\n');
  process.exit(2);
}
try {
  process.stdout.write(kustomize(command, dir));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
