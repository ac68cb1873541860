/**
 * A cluster snapshot for `karpenter-ts simulate`: the objects the simulator needs, taken from a cluster through
 * list calls only (never a write), or read from a file or a directory of manifests (`kubectl get -o yaml` output,
 * Lists included). A snapshot written by `--save` starts with a `ClusterSnapshot` document saying when it was taken.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { isNotFound, type KubeApi } from '../kube/api';
import { Kinds, apiVersionOf, type ResourceKind } from '../kube/kinds';
import type { KubeObject } from '../kube/objects';
import { parseYamlDocuments, validateObject } from '../manifests';

/** The kinds a snapshot holds, owners before what they own, in the order they are loaded. */
export const SNAPSHOT_KINDS: readonly ResourceKind[] = [
  Kinds.EC2NodeClass,
  Kinds.NodePool,
  Kinds.NodeOverlay,
  Kinds.StorageClass,
  Kinds.PersistentVolume,
  Kinds.PersistentVolumeClaim,
  Kinds.CSINode,
  Kinds.NodeClaim,
  Kinds.Node,
  Kinds.Deployment,
  Kinds.ReplicaSet,
  Kinds.StatefulSet,
  Kinds.DaemonSet,
  Kinds.PodDisruptionBudget,
  Kinds.Pod,
];

export const SNAPSHOT_API_VERSION = 'karpenter-ts.sh/v1alpha1';
export const SNAPSHOT_KIND = 'ClusterSnapshot';

export interface ClusterSnapshot {
  /** When the cluster looked like this (ISO 8601): the simulation's clock starts here. */
  takenAt: string;
  /** Where it came from: a kubeconfig context or a path. */
  source: string;
  objects: KubeObject[];
}

/** YAML reads an unquoted time as a Date; the API (and every reader here) has RFC 3339 strings. */
function datesToStrings(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(datesToStrings);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, datesToStrings(v)]));
  return value;
}

/** Fields a cluster serves that the simulator neither needs nor keeps (managedFields alone can double a pod). */
function trim(obj: KubeObject): KubeObject {
  const out = datesToStrings(obj) as KubeObject & { metadata: { managedFields?: unknown } };
  delete out.metadata.managedFields;
  delete out.metadata.resourceVersion;
  return out;
}

/** Read-only: one list call per kind. A kind the cluster does not serve (no CRD) counts as none of it. */
export async function collectSnapshot(api: KubeApi, source: string, now: number): Promise<ClusterSnapshot> {
  const objects: KubeObject[] = [];
  for (const kind of SNAPSHOT_KINDS) {
    let items: KubeObject[];
    try {
      items = (await api.list(kind)).items;
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    for (const item of items) {
      objects.push(trim({ ...item, apiVersion: apiVersionOf(kind), kind: kind.kind }));
    }
  }
  return { takenAt: new Date(now).toISOString(), source, objects };
}

/** The snapshot as one YAML stream, header first: what `--save` writes and `loadSnapshot` reads back. */
export function serializeSnapshot(s: ClusterSnapshot): string {
  const header = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    metadata: { name: 'snapshot' },
    takenAt: s.takenAt,
    source: s.source,
  };
  return [header, ...s.objects].map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join('---\n');
}

function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

/**
 * Read a snapshot from a file or a directory of manifests (.yaml, .yml, .json; `kind: List` documents are
 * flattened). Without a ClusterSnapshot header the snapshot is taken as of `defaultTakenAt`.
 */
export function loadSnapshot(path: string, defaultTakenAt: number): ClusterSnapshot {
  let takenAt: string | undefined;
  let source = path;
  const objects: KubeObject[] = [];
  const files = manifestFiles(path);
  if (files.length === 0) throw new Error(`${path}: no .yaml, .yml or .json files to load a snapshot from`);
  for (const file of files) {
    for (const doc of parseYamlDocuments(readFileSync(file, 'utf8'), file)) {
      if (doc.kind === SNAPSHOT_KIND && doc.apiVersion === SNAPSHOT_API_VERSION) {
        const h = datesToStrings(doc) as KubeObject & { takenAt?: unknown; source?: unknown };
        if (typeof h.takenAt !== 'string' || Number.isNaN(Date.parse(h.takenAt)))
          throw new Error(
            `${file}: ClusterSnapshot.takenAt must be an ISO 8601 time, got ${String(h.takenAt)}`,
          );
        takenAt = h.takenAt;
        if (typeof h.source === 'string') source = h.source;
        continue;
      }
      if (doc.kind === 'List' || doc.kind.endsWith('List')) {
        const items = (doc as KubeObject & { items?: KubeObject[] }).items ?? [];
        // Items of a List were not validated with the stream: do it now, so a bad NodePool names its field.
        objects.push(...items.map((i) => trim(validateObject(i))));
      } else {
        objects.push(trim(doc));
      }
    }
  }
  return { takenAt: takenAt ?? new Date(defaultTakenAt).toISOString(), source, objects };
}
