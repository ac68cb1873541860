/**
 * Reads the storage objects a scheduling decision needs when pods mount claims: provisioning plans pending pods
 * with them, disruption plans the pods it would move with them (a pod whose volume lives in one zone cannot be
 * consolidated onto a node in another), and the simulator's kube-scheduler binds with them.
 */
import type { KubeApi } from '../kube/api';
import { Kinds } from '../kube/kinds';
import type { Pod } from '../kube/objects';
import type { Logger } from '../logging';
import {
  volumeLookup,
  volumeTopologyResolver,
  type VolumeTopologyResolver,
} from '../scheduling/volume-topology';

/**
 * The volume topology for these pods (PV node affinity, WaitForFirstConsumer allowedTopologies), read only when a
 * pod mounts a claim. Without read access to the storage objects the caller goes on without it; `onError` hears why.
 */
export async function loadVolumeTopology(
  api: KubeApi,
  pods: Pod[],
  onError: (err: unknown) => void,
): Promise<VolumeTopologyResolver | undefined> {
  const mountsClaims = pods.some((p) =>
    (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim ?? v.ephemeral),
  );
  if (!mountsClaims) return undefined;
  try {
    const [claims, volumes, storageClasses] = await Promise.all([
      api.list(Kinds.PersistentVolumeClaim),
      api.list(Kinds.PersistentVolume),
      api.list(Kinds.StorageClass),
    ]);
    return volumeTopologyResolver(
      volumeLookup({ claims: claims.items, volumes: volumes.items, storageClasses: storageClasses.items }),
    );
  } catch (err) {
    onError(err);
    return undefined;
  }
}

/** The usual `onError` of a controller: a warning saying what the simulation goes without. */
export function warnWithoutVolumeTopology(logger: Logger): (err: unknown) => void {
  return (err) =>
    logger.warn({ err }, 'could not read volumes and storage classes; scheduling without volume topology');
}
