/**
 * Helpers the workload controllers share: owner references, pods from templates, which pods count, deterministic
 * ordering, cache keys and writes that tolerate a lagging cache.
 */
import { ApiError, isNotFound, type KubeApi } from '../../kube/api';
import type { Informer } from '../../kube/informer';
import { apiVersionOf, type ResourceKind } from '../../kube/kinds';
import {
  controllerRef,
  nameOf,
  type KubeObject,
  type ObjectMeta,
  type Pod,
  type PodTemplate,
} from '../../kube/objects';
import { isActivePod } from '../../state/cluster-state';

export type OwnerRef = NonNullable<ObjectMeta['ownerReferences']>[number];

export function ownerReference(kind: ResourceKind, owner: KubeObject): OwnerRef {
  return {
    apiVersion: apiVersionOf(kind),
    kind: kind.kind,
    name: nameOf(owner),
    uid: owner.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A new pod from a template: the template's labels and annotations, a deep copy of its spec, Pending. */
export function podFromTemplate(
  template: PodTemplate,
  meta: Pick<ObjectMeta, 'name' | 'generateName' | 'namespace' | 'labels' | 'ownerReferences'>,
): Pod {
  const metadata: ObjectMeta = {
    ...meta,
    labels: { ...template.metadata?.labels, ...meta.labels },
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: structuredClone(template.spec),
    status: { phase: 'Pending' },
  };
}

export { controllerRef };

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return owner.metadata.uid !== undefined && controllerRef(obj)?.uid === owner.metadata.uid;
}

/** The informer index of objects by their controller's UID (see `controlledBy`). */
export const CONTROLLER_INDEX = 'controller-uid';

export function indexByController<T extends KubeObject>(informer: Informer<T>): void {
  informer.addIndex(CONTROLLER_INDEX, (o) => controllerRef(o)?.uid);
}

/** The cached objects `owner` controls, read from the informer's controller index. */
export function controlledBy<T extends KubeObject>(informer: Informer<T>, owner: KubeObject): T[] {
  return owner.metadata.uid === undefined ? [] : informer.byIndex(CONTROLLER_INDEX, owner.metadata.uid);
}

export { isActivePod };

/** Code-unit order, not localeCompare: the order must not depend on the host's locale. */
export function compareStrings(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export function splitKey(key: string): [string, string | undefined] {
  const slash = key.indexOf('/');
  return slash < 0 ? [key, undefined] : [key.slice(slash + 1), key.slice(0, slash)];
}

/** Create, treating "already exists" as done (a lagging cache asked for it twice). False when it already existed. */
export async function createToleratingExisting<T extends KubeObject>(
  api: KubeApi,
  kind: ResourceKind<T>,
  obj: T,
): Promise<boolean> {
  try {
    await api.create(kind, obj);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return false;
    throw err;
  }
}

/** Delete, treating "not found" as done. False when it was already gone. */
export async function deleteToleratingMissing<T extends KubeObject>(
  api: KubeApi,
  kind: ResourceKind<T>,
  obj: T,
): Promise<boolean> {
  try {
    await api.delete(kind, nameOf(obj), obj.metadata.namespace);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
