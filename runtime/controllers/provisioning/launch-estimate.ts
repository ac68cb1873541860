/**
 * What a round assumes of nodes not yet known in full: a NodeClaim still launching, and the zones' capacity.
 */
import { Labels } from '../../../sdk/api/well-known';
import type { Resources } from '../../scheduling/resources';
import type { SchedulableNode, SchedulingNodePool } from '../../scheduling/scheduler';
import type { ClusterState } from '../../state/cluster-state';

/**
 * A NodeClaim that has not launched yet has no allocatable of its own. It will become one of its instance type
 * options, so plan with the smallest allocatable among them: pending pods fill it instead of a second launch.
 */
export function withLaunchEstimate(
  state: ClusterState,
  node: SchedulableNode,
  nodePools: SchedulingNodePool[],
): SchedulableNode {
  const claim = state.nodeClaims.get(node.name);
  if (!claim || claim.status?.providerID) return node;
  const names = new Set(claim.spec.requirements.find((r) => r.key === Labels.instanceType)?.values ?? []);
  const pool = nodePools.find((p) => p.nodePool.metadata.name === claim.metadata.labels?.[Labels.nodePool]);
  const options = pool?.instanceTypes.filter((it) => names.has(it.name)) ?? [];
  if (options.length === 0) return node;
  const allocatable: Resources = {};
  for (const key of new Set(options.flatMap((it) => Object.keys(it.allocatable)))) {
    allocatable[key] = Math.min(...options.map((it) => it.allocatable[key] ?? 0));
  }
  return { ...node, allocatable, requested: { ...node.requested, ...pool?.daemonOverhead } };
}

/** Allocatable CPU of the nodes in each zone (claims still launching have no zone label yet). */
export function cpuByZone(nodes: SchedulableNode[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes) {
    const zone = n.labels[Labels.zone];
    if (zone) out.set(zone, (out.get(zone) ?? 0) + (n.allocatable.cpu ?? 0));
  }
  return out;
}
