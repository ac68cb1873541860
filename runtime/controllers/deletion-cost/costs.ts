/**
 * Pod deletion cost (karpenter-ts only): which pods a ReplicaSet should give up first when it scales down.
 *
 * The ReplicaSet controller deletes the pods with the lowest `controller.kubernetes.io/pod-deletion-cost` first,
 * before it looks at how many of its pods share a node. Without a cost it evens its pods out over the nodes, so a
 * Deployment scaled down to 30 % leaves every node 30 % used and consolidation must evict most of what is left.
 * With one cost per node, in the same order for every ReplicaSet, a scale-down empties whole nodes instead, which
 * go without a single eviction.
 *
 * Each NodeClaim gets its cost when it is created, below every cost given before: newer nodes (often the small
 * ones bought for the last pods, or replacements) empty first, and a node's cost never changes, so a pod is
 * written at most once. Within one round the claims are created in keepOrder, so the dearest per core empty
 * first. Costs stay negative, under the default 0 of pods on nodes Karpenter does not manage.
 */
import { Annotations } from '../../../sdk/api/well-known';
import { controllerRef, type NodeClaim, type Pod } from '../../kube/objects';
import { cheapestOffering } from '../../scheduling/instance-types';
import type { PlannedNodeClaim } from '../../scheduling/plan';

/** The cost a NodeClaim's ReplicaSet pods get, or undefined when it has none (an older release launched it). */
export function nodeCostOf(claim: NodeClaim): number | undefined {
  const raw = claim.metadata.annotations?.[Annotations.nodePodDeletionCost];
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= MIN_COST && n <= 0 ? n : undefined;
}

/** int32's lowest value: the ReplicaSet controller reads anything outside int32 as 0. */
export const MIN_COST = -(2 ** 31);

/**
 * The cost for the next NodeClaim: one below the lowest any live claim has or this process has given, so claims
 * created concurrently never share one. Floors at int32's minimum (two billion claims away).
 */
export function nextNodeCost(claims: Iterable<NodeClaim>, lowestGiven: number | undefined): number {
  let lowest = lowestGiven ?? 0;
  for (const claim of claims) {
    const cost = nodeCostOf(claim);
    if (cost !== undefined && cost < lowest) lowest = cost;
  }
  return Math.max(MIN_COST, lowest - 1);
}

/**
 * The annotation to write on a pod so its ReplicaSet gives it up in its node's turn, or undefined when there is
 * nothing to write: not a ReplicaSet's pod (only that controller reads the cost), not bound, going away, or
 * carrying a cost already (the user's own, or ours: a pod never changes node, so ours never goes stale).
 */
export function podCostAnnotation(
  pod: Pod,
  nodeCost: number | undefined,
): Record<string, string> | undefined {
  if (nodeCost === undefined || !pod.spec.nodeName || pod.metadata.deletionTimestamp) return undefined;
  if (controllerRef(pod)?.kind !== 'ReplicaSet') return undefined;
  if (pod.metadata.annotations?.[Annotations.podDeletionCost] !== undefined) return undefined;
  return { [Annotations.podDeletionCost]: String(nodeCost) };
}

/**
 * A round's claims in the order to create them, so the ones a scale-down should keep longest get the higher
 * costs: cheapest per allocatable core first (the price includes the per-node costs, so a small node's
 * DaemonSets and volume count against it). The sort is stable: equal claims keep the scheduler's order.
 */
export function keepOrder(plans: PlannedNodeClaim[]): PlannedNodeClaim[] {
  const perCore = new Map<PlannedNodeClaim, number>();
  for (const plan of plans) {
    const type = plan.instanceTypeOptions[0];
    const price = type ? cheapestOffering(type, plan.requirements)?.price : undefined;
    const cores = (type?.allocatable.cpu ?? 0) / 1000;
    perCore.set(plan, price !== undefined && cores > 0 ? price / cores : Infinity);
  }
  return [...plans].sort((a, b) => (perCore.get(a) ?? Infinity) - (perCore.get(b) ?? Infinity));
}
