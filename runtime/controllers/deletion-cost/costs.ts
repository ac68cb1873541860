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
 *
 * Each ReplicaSet's keep tier goes unwritten: its pods on its highest-cost nodes, up to a quarter of its bound
 * pods (its top node always), keep the 0 an unannotated pod has, which still ranks them above every pod we write,
 * so the order is the same and a quarter of the writes (the controller's largest share of API requests) are never
 * made. A scale-down deeper than that quarter thins the tier evenly, as it would without costs.
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
  // A pod on a node of no cost (Karpenter's or not) has the 0 it would be given.
  if (nodeCost === 0) return undefined;
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

/** The share of a ReplicaSet's bound pods its keep tier holds at most (beyond its top node). */
export const KEEP_TIER_SHARE = 0.25;

/**
 * The lowest node cost in a ReplicaSet's keep tier, from the costs of the nodes its bound pods are on: its pods
 * on nodes of this cost or higher need no write. The top node is always in the tier
 * (thinning one node is what the costs would do too); the next join while the tier holds at most KEEP_TIER_SHARE
 * of the pods, or of `largest`, the most the ReplicaSet had: a scale-down does not shrink the tier, which would only
 * write the pods it leaves. Undefined when the ReplicaSet has no bound pod.
 */
export function keepTierFloor(siblingNodeCosts: Iterable<number>, largest = 0): number | undefined {
  const counts = new Map<number, number>();
  let pods = 0;
  for (const cost of siblingNodeCosts) {
    counts.set(cost, (counts.get(cost) ?? 0) + 1);
    pods++;
  }
  let floor: number | undefined;
  let held = 0;
  for (const cost of [...counts.keys()].sort((a, b) => b - a)) {
    held += counts.get(cost) ?? 0;
    if (floor !== undefined && held > KEEP_TIER_SHARE * Math.max(pods, largest)) break;
    floor = cost;
  }
  return floor;
}
