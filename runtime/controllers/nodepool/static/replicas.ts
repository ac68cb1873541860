/**
 * Static NodePools (`spec.replicas`, the StaticCapacity feature gate), as pure decisions: how many NodeClaims a
 * pool is short of, which to remove when it has too many, and what a static NodeClaim is launched as. The facts
 * are upstream's (core v1.15 pkg/controllers/static/{provisioning,deprovisioning}): a claim counts as active,
 * pending disruption (tainted by a drift command) or deleting; `limits.nodes` bounds all three together; a
 * scale-down removes only active claims, unlaunched ones first, then empty nodes, then the cheapest to disrupt,
 * nodes with do-not-disrupt pods last, and is not held to disruption budgets.
 */
import { nameOf, type NodePool } from '../../../kube/objects';
import { cheapestOffering, instanceTypeCompatible } from '../../../scheduling/instance-types';
import { fits, fromResourceList } from '../../../scheduling/resources';
import {
  nodePoolRequirements,
  type PlannedNodeClaim,
  type SchedulingNodePool,
} from '../../../scheduling/scheduler';

/** A static NodePool: it keeps `spec.replicas` nodes and is left alone by provisioning and consolidation. */
export function isStaticNodePool(nodePool: NodePool): boolean {
  return nodePool.spec.replicas !== undefined;
}

/** `limits.nodes` as a count; undefined when the pool sets none. */
export function nodeLimit(nodePool: NodePool): number | undefined {
  const nodes = nodePool.spec.limits?.nodes;
  return nodes === undefined ? undefined : fromResourceList({ nodes }).nodes;
}

/** One NodeClaim of a static pool, as the decisions need it. */
export interface StaticClaim {
  name: string;
  /** The cloud has an instance for it (status.providerID). */
  launched: boolean;
  deleting: boolean;
  /** Tainted karpenter.sh/disrupted by a disruption command: its replacement is being staged. */
  pendingDisruption: boolean;
  /** Pods that would have to move if it went (DaemonSet and finished pods do not). */
  reschedulablePods: number;
  /** A pod on it (DaemonSet pods included) has an active karpenter.sh/do-not-disrupt. */
  doNotDisrupt: boolean;
  /** Eviction cost of its pods, weighted by the lifetime it has left (disruption/candidates.ts). */
  disruptionCost: number;
}

export interface StaticCounts {
  active: number;
  pendingDisruption: number;
  deleting: number;
}

export function countClaims(claims: readonly StaticClaim[]): StaticCounts {
  const counts: StaticCounts = { active: 0, pendingDisruption: 0, deleting: 0 };
  for (const c of claims) {
    if (c.deleting) counts.deleting++;
    else if (c.pendingDisruption) counts.pendingDisruption++;
    else counts.active++;
  }
  return counts;
}

export type ReplicaDecision =
  | { action: 'create'; count: number; counts: StaticCounts; reason: string }
  | { action: 'remove'; claims: string[]; counts: StaticCounts; reason: string }
  | { action: 'none'; counts: StaticCounts; atNodeLimit?: string };

/**
 * What a static pool needs now. Active claims above `replicas` are removed. Below it, claims are created until
 * active plus pending disruption reach `replicas` (a drifted node's replacement is staged by its own command),
 * within `limits.nodes`, which counts every claim the pool has, deleting ones included.
 */
export function decideReplicas(
  replicas: number,
  limit: number | undefined,
  claims: readonly StaticClaim[],
): ReplicaDecision {
  const counts = countClaims(claims);
  const excess = counts.active - replicas;
  if (excess > 0) {
    return {
      action: 'remove',
      claims: removalOrder(claims).slice(0, excess),
      counts,
      reason: `${counts.active} active NodeClaims, ${replicas} replicas`,
    };
  }
  const missing = replicas - counts.active - counts.pendingDisruption;
  if (missing <= 0) return { action: 'none', counts };
  const room =
    limit === undefined ? missing : limit - counts.active - counts.pendingDisruption - counts.deleting;
  const count = Math.min(missing, Math.max(0, room));
  if (count === 0) {
    return {
      action: 'none',
      counts,
      atNodeLimit: `${replicas} replicas, but limits.nodes ${limit} allows no more NodeClaims (${counts.active + counts.pendingDisruption + counts.deleting} exist, ${counts.deleting} deleting)`,
    };
  }
  return {
    action: 'create',
    count,
    counts,
    reason: `${counts.active} active NodeClaims, ${replicas} replicas${count < missing ? `, limits.nodes ${limit} allows ${count}` : ''}`,
  };
}

/** Active claims in the order a scale-down removes them: unlaunched, empty, then cheapest to disrupt. */
export function removalOrder(claims: readonly StaticClaim[]): string[] {
  const active = claims.filter((c) => !c.deleting && !c.pendingDisruption);
  const rank = (c: StaticClaim) =>
    !c.launched ? 0 : c.reschedulablePods === 0 && !c.doNotDisrupt ? 1 : c.doNotDisrupt ? 3 : 2;
  return [...active]
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (rank(a) === 2 ? a.disruptionCost - b.disruptionCost : 0) ||
        a.name.localeCompare(b.name),
    )
    .map((c) => c.name);
}

/**
 * What a static NodeClaim is launched as: the pool's own requirements and taints, no pods, room for the pool's
 * DaemonSets, and every instance type that satisfies them, cheapest first (upstream leaves the choice among them to
 * the cloud provider's launch). A string says why there is none.
 */
export function staticClaimPlan(pool: SchedulingNodePool): PlannedNodeClaim | string {
  const requirements = nodePoolRequirements(pool.nodePool);
  const priced = pool.instanceTypes
    .filter((it) => instanceTypeCompatible(it, requirements) && fits(pool.daemonOverhead, it.allocatable))
    .map((it) => ({ it, price: cheapestOffering(it, requirements)?.price ?? Infinity }))
    .sort((a, b) => a.price - b.price || a.it.name.localeCompare(b.it.name));
  if (priced.length === 0) {
    return `no instance type satisfies the requirements of NodePool "${nameOf(pool.nodePool)}" with room for its DaemonSets`;
  }
  return {
    nodePoolName: nameOf(pool.nodePool),
    requirements,
    taints: pool.nodePool.spec.template.spec.taints ?? [],
    pods: [],
    requests: { ...pool.daemonOverhead },
    instanceTypeOptions: priced.map((p) => p.it),
  };
}
