/**
 * Volume topology: a pod whose PersistentVolumeClaim is bound to a zonal PersistentVolume can only run where that
 * volume can be mounted, and one whose claim waits for its first consumer (a WaitForFirstConsumer StorageClass)
 * can only run where the StorageClass may create the volume. Both become node requirements the scheduler adds to
 * every alternative of the pod's node affinity, as Karpenter injects them. Pure: the objects come from a lookup.
 */
import {
  nameOf,
  type NodeSelectorRequirement,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type PersistentVolumeClaimSpec,
  type Pod,
  type StorageClass,
} from '../kube/objects';
import { Requirement } from './requirements';

/** Where the resolver finds the storage objects a pod refers to. */
export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  /** The class a claim without `storageClassName` gets: the one annotated as the cluster default. */
  defaultStorageClass(): StorageClass | undefined;
}

/** The annotation that makes a StorageClass the default for claims that name none. */
export const DEFAULT_STORAGE_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/** The node requirements a pod's volumes impose, or why the pod cannot be placed until its volumes exist. */
export type VolumeTopology = { requirements: Requirement[] } | { reason: string };

/** Resolves each pod's volume topology; the scheduler input takes one (absent: volumes impose nothing). */
export type VolumeTopologyResolver = (pod: Pod) => VolumeTopology;

/**
 * Node selector terms are OR'ed; like Karpenter, only the first is used (a volume with several terms is rare, and a
 * claim cannot carry a disjunction).
 */
function firstTerm(terms: { matchExpressions?: NodeSelectorRequirement[] }[] | undefined): Requirement[] {
  return (terms?.[0]?.matchExpressions ?? []).map((e) => Requirement.fromSelector(e));
}

function claimRequirements(
  spec: PersistentVolumeClaimSpec,
  what: string,
  lookup: VolumeLookup,
): VolumeTopology {
  if (spec.volumeName) {
    const pv = lookup.volume(spec.volumeName);
    if (!pv)
      return { reason: `${what} is bound to PersistentVolume ${spec.volumeName}, which does not exist` };
    return { requirements: firstTerm(pv.spec.nodeAffinity?.required?.nodeSelectorTerms) };
  }
  // No class named: the DefaultStorageClass admission plugin gives the claim the default class when it is created
  // (a generic ephemeral volume's claim is created with its pod). An empty name asks for no class at all.
  const className = spec.storageClassName ?? lookup.defaultStorageClass()?.metadata.name;
  if (!className) return { requirements: [] };
  const sc = lookup.storageClass(className);
  if (!sc) return { reason: `${what} uses StorageClass ${className}, which does not exist` };
  // An Immediate class provisions the volume before scheduling; it binds (and gets node affinity) on its own.
  if (sc.volumeBindingMode !== 'WaitForFirstConsumer') return { requirements: [] };
  const term = sc.allowedTopologies?.[0];
  return {
    requirements: (term?.matchLabelExpressions ?? []).map((e) => Requirement.in(e.key, e.values)),
  };
}

/** The volume topology of one pod. */
export function podVolumeTopology(pod: Pod, lookup: VolumeLookup): VolumeTopology {
  const namespace = pod.metadata.namespace ?? 'default';
  const requirements: Requirement[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    let outcome: VolumeTopology | undefined;
    if (volume.persistentVolumeClaim) {
      const name = volume.persistentVolumeClaim.claimName;
      const pvc = lookup.claim(namespace, name);
      const what = `PersistentVolumeClaim ${namespace}/${name}`;
      outcome = pvc ? claimRequirements(pvc.spec, what, lookup) : { reason: `${what} does not exist` };
    } else if (volume.ephemeral?.volumeClaimTemplate) {
      // A generic ephemeral volume's claim is created with the pod: judge it by its template.
      const what = `ephemeral volume ${volume.name}`;
      outcome = claimRequirements(volume.ephemeral.volumeClaimTemplate.spec, what, lookup);
    }
    if (!outcome) continue;
    if ('reason' in outcome) return outcome;
    requirements.push(...outcome.requirements);
  }
  return { requirements };
}

/** A resolver over a lookup, for the scheduler input. */
export function volumeTopologyResolver(lookup: VolumeLookup): VolumeTopologyResolver {
  return (pod) => podVolumeTopology(pod, lookup);
}

/** A lookup over plain lists of objects (tests, previews, the simulator). */
export function volumeLookup(objects: {
  claims?: PersistentVolumeClaim[];
  volumes?: PersistentVolume[];
  storageClasses?: StorageClass[];
}): VolumeLookup {
  const claims = new Map(
    (objects.claims ?? []).map((c) => [`${c.metadata.namespace ?? 'default'}/${c.metadata.name}`, c]),
  );
  const volumes = new Map((objects.volumes ?? []).map((v) => [nameOf(v), v]));
  const classes = new Map((objects.storageClasses ?? []).map((s) => [nameOf(s), s]));
  // Several defaults: Kubernetes uses the newest one.
  const defaultClass = [...classes.values()]
    .filter((s) => s.metadata.annotations?.[DEFAULT_STORAGE_CLASS_ANNOTATION] === 'true')
    .sort((a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    )[0];
  return {
    claim: (namespace, name) => claims.get(`${namespace}/${name}`),
    volume: (name) => volumes.get(name),
    storageClass: (name) => classes.get(name),
    defaultStorageClass: () => defaultClass,
  };
}
