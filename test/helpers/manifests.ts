/**
 * Reading deployment files as the tools that apply them would: compose's variable interpolation,
 * Kubernetes label selectors, and schema validation of rendered objects with `kubernetes-models`
 * (the upstream OpenAPI schemas of the Kubernetes version it was generated from).
 */
import { readFileSync } from 'node:fs';

export const ROOT = new URL('../../', import.meta.url);
export const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');

/** Kubernetes of the schemas: kubernetes-models 5.x and k8s.io/api v0.36 (tools/kustomize/go.mod). */
export const KUBERNETES_VERSION = '1.36';

export type Env = Record<string, string | undefined>;

/**
 * Compose's interpolation: `$$` is a literal `$`, `${VAR}`, `${VAR:-default}`, and `${VAR:?message}`,
 * which stops compose with the message when VAR is unset or empty.
 */
export function interpolate(value: string, env: Env): string {
  return value.replace(/\$\$|\$\{(\w+)(:-|:\?)?([^}]*)\}/g, (whole, name?: string, op?: string, arg?: string) => {
    if (whole === '$$') return '$';
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (op === ':?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return op === ':-' ? arg! : '';
  });
}

/** The variables a compose file requires (`${VAR:?...}`). */
export function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+):\?/g)].map(m => m[1]!))].sort();
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** A matchLabels selector (the only form these manifests use) against a set of labels. */
export function selects(
  selector: { matchLabels?: Record<string, string> } | undefined,
  labels: Record<string, string>,
) {
  if (!selector) return false;
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

type Model = new (data: unknown) => { validate(): void };

/**
 * Validates one object against its kind's schema; answers the error message, or null when it is
 * valid. Kinds are loaded by apiVersion and kind, e.g. kubernetes-models/apps/v1/Deployment.
 */
export async function schemaErrors(object: K8sObject): Promise<string | null> {
  const module = (await import(`kubernetes-models/${object.apiVersion}/${object.kind}`)) as Record<string, Model>;
  const ModelClass = module[object.kind];
  if (!ModelClass) return `no schema for ${object.apiVersion} ${object.kind}`;
  // kustomize wraps a generated Secret's base64 at 76 columns; the API server's decoder skips the
  // newlines, the schema's `byte` format does not.
  const data = object.kind === 'Secret' && object.data;
  const normalised = data
    ? { ...object, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/\s/g, '')])) }
    : object;
  try {
    new ModelClass(normalised).validate();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every container of a workload's pod template, init containers included. */
export function containersOf(workload: K8sObject): any[] {
  const pod = workload.spec.template.spec;
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** An image reference names a tag or a digest, and the tag is not `latest`. */
export function pinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const lastSegment = image.split('/').pop()!;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop()! : '';
  return tag !== '' && tag !== 'latest';
}
