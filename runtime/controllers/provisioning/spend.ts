/**
 * Spend and cluster caps as provisioning sees them (pure): what the cluster-wide caps (CLUSTER_MAX_NODES, _CPU,
 * _MEMORY, _COST_PER_HOUR) still allow given every NodePool's nodes, and which NodePools a round's caps stopped,
 * for their Events. The scheduler enforces both (runtime/scheduling/spend.ts, limits.ts).
 */
import { CLUSTER_LIMIT_SETTINGS } from '../../scheduling/limits';
import type { SchedulingNodePool } from '../../scheduling/plan';
import { fromResourceList, type Resources } from '../../scheduling/resources';
import { CostPerHourLimit, nodeSpend, type PriceAdjustment, type SpendNode } from '../../scheduling/spend';
import type { NodePool, Pod } from '../../kube/objects';
import { nameOf } from '../../kube/objects';

/** A node or claim as the cluster state holds it, for the cluster-wide usage. */
export interface CapNode extends SpendNode {
  node?: { status?: { capacity?: Record<string, string | number> } };
}

/**
 * What the cluster-wide caps leave: each cap less what every managed node and claim holds (nodes, capacity as
 * the NodePool limits count it, and USD/hour as the pool's spend cap does, less PER_NODE_COST). A node of a pool
 * not in `pools` (being deleted, or its node class refused) is priced by no catalog and adds no cost.
 */
export function clusterCapsLeft(
  caps: Resources,
  nodes: readonly CapNode[],
  pools: readonly SchedulingNodePool[],
  unbilled = 0,
  adjust?: PriceAdjustment,
): Resources {
  const typesOf = new Map(pools.map((p) => [nameOf(p.nodePool), p.instanceTypes]));
  const used: Resources = { nodes: 0, cpu: 0, memory: 0, [CostPerHourLimit]: 0 };
  for (const n of nodes) {
    if (!n.nodeClaim || !n.nodePoolName) continue;
    const capacity = fromResourceList(n.nodeClaim.status?.capacity ?? n.node?.status?.capacity);
    used.nodes = (used.nodes ?? 0) + 1;
    used.cpu = (used.cpu ?? 0) + (capacity.cpu ?? 0);
    used.memory = (used.memory ?? 0) + (capacity.memory ?? 0);
    const types = typesOf.get(n.nodePoolName);
    const cost = types ? (nodeSpend(n, types, unbilled, adjust) ?? 0) : 0;
    used[CostPerHourLimit] = (used[CostPerHourLimit] ?? 0) + cost;
  }
  return Object.fromEntries(Object.entries(caps).map(([k, cap]) => [k, cap - (used[k] ?? 0)]));
}

export interface CapEvent {
  nodePool: NodePool;
  reason: 'SpendLimitReached' | 'ClusterLimitReached';
  message: string;
}

const CAPPED = new RegExp(
  `^NodePool "([^"]+)": ((?:NodePool limit ${CostPerHourLimit.replace(/[./]/g, '\\$&')}=|cluster limit (${Object.values(
    CLUSTER_LIMIT_SETTINGS,
  ).join('|')})).*)$`,
);

/**
 * One Event per NodePool that a spend cap (its own or the cluster's) or another cluster-wide cap stopped this
 * round, with the pods left pending: read from the reasons the scheduler gives each pod.
 */
export function capEvents(
  unschedulable: readonly { pod: Pod; reasons: string[] }[],
  nodePool: (name: string) => NodePool | undefined,
): CapEvent[] {
  const byPool = new Map<string, { reason: CapEvent['reason']; why: string; pods: number }>();
  for (const { reasons } of unschedulable) {
    for (const r of reasons) {
      const m = CAPPED.exec(r);
      if (!m) continue;
      const [, pool, why, setting] = m as unknown as [string, string, string, string | undefined];
      const entry = byPool.get(pool) ?? {
        reason: setting ? ('ClusterLimitReached' as const) : ('SpendLimitReached' as const),
        why,
        pods: 0,
      };
      entry.pods++;
      byPool.set(pool, entry);
    }
  }
  return [...byPool].flatMap(([name, e]) => {
    const np = nodePool(name);
    if (!np) return [];
    const message = `${e.why}; ${e.pods} pod${e.pods === 1 ? '' : 's'} left pending`;
    return [{ nodePool: np, reason: e.reason, message }];
  });
}
