/**
 * PodDisruptionBudget arithmetic, shared by the in-memory API server's Eviction endpoint and by the disruption
 * controller, which must predict whether a node's pods can be evicted before it commits to draining it.
 */
import type { Pod, PodDisruptionBudget } from './objects';
import { matchesSelector } from './selectors';

export function isPodHealthy(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  if (pod.status?.phase !== 'Running') return false;
  const ready = pod.status.conditions?.find((c) => c.type === 'Ready');
  return ready ? ready.status === 'True' : true;
}

function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const pct = /^([0-9]+)%$/.exec(value);
  if (pct) return Math.ceil((Number(pct[1]) / 100) * total);
  return Number(value);
}

export function pdbSelects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  return (
    pdb.metadata.namespace === pod.metadata.namespace &&
    matchesSelector(pdb.spec.selector, pod.metadata.labels)
  );
}

/** The desired replica count of a pod's controller (ReplicaSet, StatefulSet ...), when known. */
export type ScaleLookup = (owner: { kind: string; name: string }, namespace: string) => number | undefined;

/**
 * Pods the budget expects to exist. Like the API server's disruption controller, a pod owned by a controller
 * counts through its controller's replica count, so a pod just evicted (and not yet replaced) still counts as
 * expected-but-unhealthy; without that, back-to-back evictions could drain a whole workload.
 */
function expectedPods(selected: Pod[], scaleOf: ScaleLookup | undefined): number {
  let expected = 0;
  const owners = new Set<string>();
  for (const pod of selected) {
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
    const replicas = owner && scaleOf?.(owner, pod.metadata.namespace ?? 'default');
    if (owner && replicas !== undefined) {
      const key = `${owner.kind}/${owner.name}`;
      if (!owners.has(key)) {
        owners.add(key);
        expected += replicas;
      }
    } else if (!pod.metadata.deletionTimestamp) {
      expected += 1;
    }
  }
  return expected;
}

/** How many more of its pods the budget allows to be disrupted right now. */
export function disruptionsAllowed(
  pdb: PodDisruptionBudget,
  podsInNamespace: Pod[],
  scaleOf?: ScaleLookup,
): number {
  const selected = podsInNamespace.filter((p) => pdbSelects(pdb, p));
  const expected = expectedPods(selected, scaleOf);
  const healthy = selected.filter(isPodHealthy).length;
  let desiredHealthy: number;
  if (pdb.spec.minAvailable !== undefined) desiredHealthy = scaled(pdb.spec.minAvailable, expected);
  else if (pdb.spec.maxUnavailable !== undefined)
    desiredHealthy = expected - scaled(pdb.spec.maxUnavailable, expected);
  else desiredHealthy = expected;
  return Math.max(0, healthy - desiredHealthy);
}

export type EvictionVerdict =
  { allowed: true } | { allowed: false; status: 429 | 500; message: string; pdb?: string };

/** Decide an eviction the way the API server does: refused when a budget is exhausted or the pod has several. */
export function evictionVerdict(
  pod: Pod,
  pdbs: PodDisruptionBudget[],
  podsInNamespace: Pod[],
  scaleOf?: ScaleLookup,
): EvictionVerdict {
  // A pod that is not running does not count against a budget.
  if (pod.status?.phase !== 'Running') return { allowed: true };
  const matching = pdbs.filter((p) => pdbSelects(p, pod));
  if (matching.length > 1) {
    return {
      allowed: false,
      status: 500,
      message: `This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.`,
    };
  }
  const pdb = matching[0];
  if (!pdb) return { allowed: true };
  if (disruptionsAllowed(pdb, podsInNamespace, scaleOf) <= 0) {
    return {
      allowed: false,
      status: 429,
      pdb: pdb.metadata.name,
      message: `Cannot evict pod as it would violate the pod's disruption budget (${pdb.metadata.namespace}/${pdb.metadata.name}).`,
    };
  }
  return { allowed: true };
}
