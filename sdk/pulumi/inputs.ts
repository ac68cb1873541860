import * as pulumi from '@pulumi/pulumi';
import type { z } from 'zod';
import { parseManifest } from '../api/validate';

/**
 * `T` with every field, at any depth, also accepting a `pulumi.Input` (a plain value, a Promise or an Output), the
 * way crd2pulumi types CRD args. Derived from the zod input types so the args follow the schema automatically.
 */
export type DeepInput<T> = T extends readonly (infer E)[]
  ? pulumi.Input<DeepInput<E>[]>
  : T extends string | number | boolean | bigint | null | undefined
    ? pulumi.Input<T>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

/** True when some value in `value` is not known yet (an Output or a Promise), so zod cannot look at it now. */
export function containsUnresolved(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return true;
  if (Array.isArray(value)) return value.some(containsUnresolved);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsUnresolved);
  return false;
}

export interface ManifestIdentity {
  apiVersion: string;
  kind: string;
  /** The Pulumi resource name, used in errors when metadata.name is not a plain string. */
  resourceName: string;
  metadata: unknown;
}

/**
 * Validate a spec with the kind's zod schema and return what to send: the parsed spec, defaults applied.
 * Fully known args are checked now, so `new NodePool(...)` throws with the field paths; args holding Outputs
 * or Promises are checked when they resolve, which fails the preview (or the update) with the same error.
 */
export function validatedSpec<S extends z.ZodType<{ spec: unknown }>>(
  schema: S,
  identity: ManifestIdentity,
  spec: unknown,
): pulumi.Input<z.output<S>['spec']> {
  const metadata = identity.metadata;
  const plainName =
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as { name?: unknown }).name === 'string'
      ? (metadata as { name: string }).name
      : identity.resourceName;
  const check = (resolved: unknown): z.output<S>['spec'] =>
    parseManifest(schema, identity.kind, {
      apiVersion: identity.apiVersion,
      kind: identity.kind,
      metadata: { name: plainName },
      spec: resolved,
    }).spec;
  if (!containsUnresolved(spec)) return check(spec);
  // The object type only serves pulumi.output's overloads: `check` takes the resolved value as unknown.
  return pulumi.output(spec as pulumi.Input<Record<string, unknown>>).apply(check);
}

/**
 * The inputs a typed custom resource registers: type meta, metadata and the validated, defaulted spec; or, for
 * `get` (an id in opts), only the type meta, so the provider reads the rest.
 */
export function customResourceInputs<S extends z.ZodType<{ spec: unknown }>>(
  schema: S,
  identity: { apiVersion: string; kind: string },
  name: string,
  args: { metadata?: unknown; spec: unknown } | undefined,
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.Inputs {
  const inputs: pulumi.Inputs = { ...identity, metadata: undefined, spec: undefined, status: undefined };
  if (opts?.id) return inputs;
  inputs.metadata = args?.metadata;
  inputs.spec = validatedSpec(
    schema,
    { ...identity, resourceName: name, metadata: args?.metadata },
    args?.spec,
  );
  return inputs;
}

let cachedVersion: string | undefined | null = null;
/**
 * The version of the installed @pulumi/kubernetes package: CRD instances are handled by the Kubernetes provider
 * plugin, and pinning its version is what @pulumi/kubernetes does for its own resources.
 */
export function kubernetesProviderVersion(): string | undefined {
  if (cachedVersion !== null) return cachedVersion;
  try {
    // Read, not imported: loading @pulumi/kubernetes itself would cost seconds for one string.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg: unknown = require('@pulumi/kubernetes/package.json');
    const version =
      typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
    cachedVersion = typeof version === 'string' ? version.replace(/^v/, '') : undefined;
  } catch {
    cachedVersion = undefined;
  }
  return cachedVersion;
}

export function withProviderVersion(
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions {
  const version = kubernetesProviderVersion();
  return pulumi.mergeOptions(version === undefined ? {} : { version }, opts ?? {});
}
