/**
 * Reads the storage objects a scheduling decision needs when pods mount claims: provisioning plans pending pods
 * with them, disruption plans the pods it would move with them (a pod whose volume lives in one zone cannot be
 * consolidated onto a node in another, nor onto a node whose CSI driver has no attach slot left), and the
 * simulator's kube-scheduler binds with them.
 */
import type { KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { CSINode, Pod } from '../kube/objects';
import type { Logger } from '../logging';
import { nodeVolumeLimits, podVolumes, type VolumeLimits } from '../scheduling/volume-limits';
import {
  volumeLookup,
  volumeTopologyResolver,
  type VolumeLookup,
  type VolumeTopologyResolver,
} from '../scheduling/volume-topology';

export interface VolumeContext {
  /** PV node affinity and WaitForFirstConsumer allowedTopologies, per pod. */
  topology: VolumeTopologyResolver;
  /** Attach limits of these nodes (from their CSINodes) and the volumes their pods use. */
  limitsFor(nodes: { name: string; pods?: Pod[] }[]): VolumeLimits;
}

/**
 * The volume context for these pods, read only when a pod mounts a claim. Without read access to the storage
 * objects the caller goes on without it; `onError` hears why and what is missing. Without CSINodes, no limits.
 */
export async function loadVolumeContext(
  api: KubeApi,
  pods: Pod[],
  onError: (err: unknown, without: string) => void,
): Promise<VolumeContext | undefined> {
  const mountsClaims = pods.some((p) =>
    (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim ?? v.ephemeral),
  );
  if (!mountsClaims) return undefined;
  const lookup = await readLookup(api).catch((err: unknown) => {
    onError(err, 'volume topology and attach limits');
    return undefined;
  });
  if (!lookup) return undefined;
  const csiNodes = await api.list(Kinds.CSINode).then(
    (list) => list.items,
    (err: unknown) => {
      onError(err, 'volume attach limits');
      return [] as CSINode[];
    },
  );
  return {
    topology: volumeTopologyResolver(lookup),
    limitsFor: (nodes) => ({
      podVolumes: (pod) => podVolumes(pod, lookup),
      nodes: nodeVolumeLimits(csiNodes, nodes, lookup),
    }),
  };
}

async function readLookup(api: KubeApi): Promise<VolumeLookup> {
  const [claims, volumes, storageClasses] = await Promise.all([
    api.list(Kinds.PersistentVolumeClaim),
    api.list(Kinds.PersistentVolume),
    api.list(Kinds.StorageClass),
  ]);
  return volumeLookup({ claims: claims.items, volumes: volumes.items, storageClasses: storageClasses.items });
}

/** The usual `onError` of a controller: a warning saying what the simulation goes without. */
export function warnWithoutVolumes(logger: Logger): (err: unknown, without: string) => void {
  return (err, without) =>
    logger.warn({ err }, `could not read storage objects; scheduling without ${without}`);
}
