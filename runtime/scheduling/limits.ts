/**
 * NodePool limits in a scheduling round: what a pool may still add, whether an instance type fits in it, and why
 * not when none does.
 */
import { CostPerHourLimit } from '../../sdk/api/well-known';
import type { InstanceType } from './instance-types';
import type { NodePool } from '../kube/objects';
import type { SchedulingNodePool } from './plan';
import { formatCpu, fromResourceList, parseQuantity, type Resources } from './resources';

/** "cpu=2, memory=512Mi": requests or capacity as users write them, for explanations. */
export function describeResources(r: Resources): string {
  const parts: string[] = [];
  if (r.cpu !== undefined) parts.push(`cpu=${formatCpu(r.cpu)}`);
  if (r.memory !== undefined) parts.push(`memory=${Math.ceil(r.memory / 2 ** 20)}Mi`);
  for (const [k, v] of Object.entries(r)) if (!['cpu', 'memory', 'pods'].includes(k)) parts.push(`${k}=${v}`);
  return parts.join(', ');
}

/** What launching the type takes from a limit; the spend cap is priced per claim instead (spend.ts). */
function limitNeed(it: InstanceType, key: string): number {
  if (key === CostPerHourLimit) return 0;
  return key === 'nodes' ? 1 : (it.capacity[key] ?? 0);
}

/** The environment variable of each cluster-wide cap (runtime/settings.ts), by its key in `remaining`. */
export const CLUSTER_LIMIT_SETTINGS: Readonly<Record<string, string>> = {
  nodes: 'CLUSTER_MAX_NODES',
  cpu: 'CLUSTER_MAX_CPU',
  memory: 'CLUSTER_MAX_MEMORY',
  [CostPerHourLimit]: 'CLUSTER_MAX_COST_PER_HOUR',
};

/**
 * Which limit stops every instance type that fits: "NodePool limit cpu=3 reached (remaining cpu=1; the smallest
 * fitting instance type needs cpu=2)". Limits that only bind together are listed with what remains.
 */
function reasonFor(what: (key: string) => string, remaining: Resources, fitting: InstanceType[]): string {
  const resources = Object.fromEntries(Object.entries(remaining).filter(([k]) => k !== CostPerHourLimit));
  const blocking = Object.entries(resources).filter(([k, left]) =>
    fitting.every((it) => limitNeed(it, k) > left),
  );
  if (blocking.length === 0) return `${what('')} reached (remaining ${describeResources(resources)})`;
  return blocking
    .map(([k, left]) => {
      const need = Math.min(...fitting.map((it) => limitNeed(it, k)));
      return (
        `${what(k)} reached (remaining ${describeResources({ [k]: left })}; ` +
        `the smallest fitting instance type needs ${describeResources({ [k]: need })})`
      );
    })
    .join('; ');
}

/** Which NodePool limit stops every instance type that fits (see reasonFor). */
export function limitReason(nodePool: NodePool, remaining: Resources, fitting: InstanceType[]): string {
  const limits = nodePool.spec.limits ?? {};
  return reasonFor(
    (k) =>
      k === '' ? 'NodePool limits' : `NodePool limit ${limits[k] !== undefined ? `${k}=${limits[k]}` : k}`,
    remaining,
    fitting,
  );
}

/** Which cluster-wide cap stops every instance type that fits: "cluster limit CLUSTER_MAX_CPU reached (...)". */
export function clusterLimitReason(remaining: Resources, fitting: InstanceType[]): string {
  return reasonFor(
    (k) => (k === '' ? 'cluster limits' : `cluster limit ${CLUSTER_LIMIT_SETTINGS[k] ?? k}`),
    remaining,
    fitting,
  );
}

/** This round's copy of the cluster-wide remaining caps the pools share (see SchedulingNodePool.cluster). */
export function clusterRemaining(pools: readonly SchedulingNodePool[]): Resources | undefined {
  const shared = pools.find((p) => p.cluster)?.cluster;
  return shared ? { ...shared } : undefined;
}

/** Launching this type keeps the pool within what its limits leave (no limits: always). */
export function withinLimits(it: InstanceType, remaining: Resources | undefined): boolean {
  if (!remaining) return true;
  for (const [k, left] of Object.entries(remaining)) if (limitNeed(it, k) > left) return false;
  return true;
}

/**
 * Remaining capacity under a NodePool's limits given what its nodes already hold, and under its spend cap (USD/hour
 * left, keyed CostPerHourLimit) given what they cost (`spend`, see spend.ts).
 */
export function remainingLimits(
  nodePool: NodePool,
  usage: Resources,
  nodeCount: number,
  spend = 0,
): Resources | undefined {
  const limits = nodePool.spec.limits;
  if (!limits) return undefined;
  const { [CostPerHourLimit]: cap, ...resources } = limits;
  const parsed = fromResourceList(resources);
  const out: Resources = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = v - (k === 'nodes' ? nodeCount : (usage[k] ?? 0));
  // Dollars are not rounded to whole units as resource quantities are.
  if (cap !== undefined) out[CostPerHourLimit] = parseQuantity(cap) - spend;
  return out;
}
