/**
 * CSI volume attach limits: a node can attach only so many volumes of each CSI driver (EBS: a number per instance
 * type, published by the driver in the node's CSINode object). A pending pod planned onto an existing node whose
 * driver is full would never start there, and no new node would be launched for it. Pure: objects come in.
 *
 * As in Karpenter, only existing nodes have known limits; a new node's limit is learnt when its driver registers.
 */
import { nameOf, type CSINode, type Pod } from '../kube/objects';
import type { VolumeLookup } from './volume-topology';

/** Volume ids per CSI driver name. */
export type VolumesByDriver = Map<string, Set<string>>;

/** One node's limits and the volumes its pods already use. */
export interface NodeVolumeLimits {
  limits: Map<string, number>;
  inUse: VolumesByDriver;
}

/** What the scheduler needs: the volumes of any pod, and the limits of the nodes that have any. */
export interface VolumeLimits {
  podVolumes(pod: Pod): VolumesByDriver;
  /** By node name; nodes without a CSINode or without counts are absent (unlimited). */
  nodes: Map<string, NodeVolumeLimits>;
}

/**
 * The CSI volumes a pod mounts, by driver: a bound claim counts as its PersistentVolume, an unbound one (or a
 * generic ephemeral volume) as the claim it is or will be, under its StorageClass's provisioner. Volumes whose
 * driver cannot be told (no class, in-tree sources) count against nothing.
 */
export function podVolumes(pod: Pod, lookup: VolumeLookup): VolumesByDriver {
  const namespace = pod.metadata.namespace ?? 'default';
  const out: VolumesByDriver = new Map();
  const add = (driver: string | undefined, id: string): void => {
    if (!driver) return;
    const ids = out.get(driver) ?? new Set<string>();
    ids.add(id);
    out.set(driver, ids);
  };
  const classDriver = (name: string | undefined): string | undefined => {
    const sc =
      name === undefined ? lookup.defaultStorageClass() : name ? lookup.storageClass(name) : undefined;
    return sc?.provisioner;
  };
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) {
      const name = volume.persistentVolumeClaim.claimName;
      const pvc = lookup.claim(namespace, name);
      if (!pvc) continue;
      if (pvc.spec.volumeName) {
        const pv = lookup.volume(pvc.spec.volumeName);
        add(pv?.spec.csi?.driver, `pv/${pvc.spec.volumeName}`);
      } else {
        add(classDriver(pvc.spec.storageClassName), `pvc/${namespace}/${name}`);
      }
    } else if (volume.ephemeral?.volumeClaimTemplate) {
      const claim = `${pod.metadata.name}-${volume.name}`;
      add(
        classDriver(volume.ephemeral.volumeClaimTemplate.spec.storageClassName),
        `pvc/${namespace}/${claim}`,
      );
    }
  }
  return out;
}

/** The limits of every node that has a CSINode with counts, and the volumes its pods use. */
export function nodeVolumeLimits(
  csiNodes: CSINode[],
  nodes: { name: string; pods?: Pod[] }[],
  lookup: VolumeLookup,
): Map<string, NodeVolumeLimits> {
  const byName = new Map(csiNodes.map((c) => [nameOf(c), c]));
  const out = new Map<string, NodeVolumeLimits>();
  for (const node of nodes) {
    const limits = new Map<string, number>();
    for (const driver of byName.get(node.name)?.spec.drivers ?? []) {
      if (driver.allocatable?.count !== undefined) limits.set(driver.name, driver.allocatable.count);
    }
    if (limits.size === 0) continue;
    const inUse: VolumesByDriver = new Map();
    for (const pod of node.pods ?? []) useVolumes(inUse, podVolumes(pod, lookup));
    out.set(node.name, { limits, inUse });
  }
  return out;
}

/** Why the pod's volumes do not fit the node's remaining attach slots, or undefined when they do. */
export function volumeLimitExceeded(
  wanted: VolumesByDriver,
  node: { limits: Map<string, number>; inUse: VolumesByDriver },
): string | undefined {
  for (const [driver, ids] of wanted) {
    const limit = node.limits.get(driver);
    if (limit === undefined) continue;
    const used = node.inUse.get(driver);
    const added = [...ids].filter((id) => !used?.has(id)).length;
    const inUse = used?.size ?? 0;
    if (inUse + added > limit) {
      return `${driver} can attach ${limit} volume(s), ${inUse} in use, the pod needs ${added} more`;
    }
  }
  return undefined;
}

/** Record the pod's volumes as used on the node (after placing it there). */
export function useVolumes(inUse: VolumesByDriver, wanted: VolumesByDriver): void {
  for (const [driver, ids] of wanted) {
    const set = inUse.get(driver) ?? new Set<string>();
    for (const id of ids) set.add(id);
    inUse.set(driver, set);
  }
}
