/**
 * Consolidation waits while a ReplicaSet scales down. One with more active pods than its replicas is still
 * deleting some: the kube-controller-manager does it at its client's rate, so thousands take minutes, and it gives
 * up the pods with the lowest pod-deletion-cost first, emptying whole nodes that then go as Empty without an
 * eviction. Consolidating a node for its pods meanwhile evicts pods that were about to go anyway, and moves the
 * rest onto nodes the scale-down is still emptying. The wait is bounded (SCALE_DOWN_WAIT_MS from when the surplus
 * was first seen), so a ReplicaSet that cannot delete its pods holds nothing up for long. Pure: the controller
 * gives it the ReplicaSets with their pods, and keeps the first sightings between polls.
 */
import { controllerRef, nameOf } from '../../kube/objects';
import { isActivePod } from '../../state/cluster-state';
import type { ReplicaSetPods } from '../provisioning/expected-pods';
import type { Candidate } from './candidates';

/** How long consolidation waits for one ReplicaSet's scale-down, at most. */
export const SCALE_DOWN_WAIT_MS = 3 * 60_000;

export interface ScalingDown {
  /** namespace/name */
  name: string;
  /** Active pods over replicas: the pods it is still to delete. */
  surplus: number;
}

/**
 * The ReplicaSets (by UID) still deleting pods, within their wait. `firstSeen` holds when each surplus was first
 * seen; updated in place, and forgets every ReplicaSet that is no longer over its replicas.
 */
export function scalingDown(
  sets: ReplicaSetPods[],
  firstSeen: Map<string, number>,
  now: number,
): Map<string, ScalingDown> {
  const out = new Map<string, ScalingDown>();
  const over = new Set<string>();
  for (const { replicaSet: rs, pods } of sets) {
    const uid = rs.metadata.uid;
    if (uid === undefined || rs.metadata.deletionTimestamp) continue;
    const surplus = pods.filter(isActivePod).length - (rs.spec.replicas ?? 1);
    if (surplus <= 0) continue;
    over.add(uid);
    const since = firstSeen.get(uid) ?? now;
    firstSeen.set(uid, since);
    if (now - since < SCALE_DOWN_WAIT_MS)
      out.set(uid, { name: `${rs.metadata.namespace ?? 'default'}/${nameOf(rs)}`, surplus });
  }
  for (const uid of firstSeen.keys()) if (!over.has(uid)) firstSeen.delete(uid);
  return out;
}

/** Why the candidate is not consolidated yet: a ReplicaSet of its pods is still scaling down. */
export function waitingForScaleDown(
  c: Candidate,
  scaling: ReadonlyMap<string, ScalingDown>,
): string | undefined {
  if (scaling.size === 0) return undefined;
  for (const pod of c.reschedulablePods) {
    const uid = controllerRef(pod)?.uid;
    const s = uid === undefined ? undefined : scaling.get(uid);
    if (s)
      return (
        `ReplicaSet ${s.name} is still scaling down (${s.surplus} pods to go): consolidating now would evict ` +
        `pods it is about to delete`
      );
  }
  return undefined;
}
