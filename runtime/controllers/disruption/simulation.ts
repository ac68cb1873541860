/**
 * What every disruption decision is made over: a scheduling simulation of the cluster without some candidates,
 * the price of each running node, and the rule for what a validation may still carry out. Pure.
 */
import { Labels } from '../../../sdk/api/well-known';
import { nameOf, type Pod } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import {
  schedule,
  type MinValuesPolicy,
  type PreferencePolicy,
  type SchedulableNode,
  type SchedulingNodePool,
} from '../../scheduling/scheduler';
import type { StateNode } from '../../state/cluster-state';
import type { VolumeContext } from '../volume-loader';
import type { Command, Simulate } from './methods';

/** A scheduling simulation of the cluster with some candidates removed, for every method to share. */
export function simulator(
  pools: SchedulingNodePool[],
  nodes: SchedulableNode[],
  {
    minValuesPolicy,
    preferencePolicy,
  }: { minValuesPolicy?: MinValuesPolicy; preferencePolicy?: PreferencePolicy },
  volumes: VolumeContext | undefined,
  headroom: Pod[] = [],
): Simulate {
  const volumeLimits = volumes?.limitsFor(nodes);
  return (removed, opts) => {
    const gone = new Set(removed.map((c) => c.stateNode.name));
    const staying = nodes.filter((n) => !gone.has(n.name));
    return schedule({
      ...(opts?.oneNewClaim ? { oneNewClaim: true } : {}),
      // The CapacityBuffer headroom the cluster holds must still fit (see headroom.ts); it is placed last.
      pods: [...removed.flatMap((c) => c.reschedulablePods), ...headroom],
      nodes: opts?.newNodesOnly ? staying.map(withoutRoom) : staying,
      nodePools: pools,
      ...(minValuesPolicy ? { minValuesPolicy } : {}),
      ...(preferencePolicy ? { preferencePolicy } : {}),
      ...(volumes && volumeLimits ? { volumeTopology: volumes.topology, volumeLimits } : {}),
    });
  };
}

/** The node with no room left (allocatable = requested, pod slots included): it takes no pod, but still counts. */
function withoutRoom(n: SchedulableNode): SchedulableNode {
  const allocatable = Object.fromEntries(Object.keys(n.allocatable).map((k) => [k, n.requested[k] ?? 0]));
  return { ...n, allocatable };
}

/** Price of a running node: its instance type's offering in its zone and capacity type. */
export function pricing(
  pools: SchedulingNodePool[],
  adjust?: (n: StateNode) => number,
): (n: StateNode) => number | undefined {
  // Indexed by type name (the first of a name wins, as a scan would): every node is priced on every decision.
  const types = new Map<string, Map<string, InstanceType>>();
  for (const p of pools) {
    const byName = new Map<string, InstanceType>();
    for (const it of p.instanceTypes) if (!byName.has(it.name)) byName.set(it.name, it);
    types.set(nameOf(p.nodePool), byName);
  }
  return (n) => {
    const price = types
      .get(n.nodePoolName ?? '')
      ?.get(n.labels[Labels.instanceType] ?? '')
      ?.offerings.find(
        (o) => o.zone === n.labels[Labels.zone] && o.capacityType === n.labels[Labels.capacityType],
      )?.price;
    // A node a used-up Savings Plan covers bills less than its type's price now shows (savings-plans.ts).
    return price === undefined || !adjust ? price : price + adjust(n);
  };
}

/**
 * The validation's decision `b` stays within the command `a`: its nodes are some of a's, and its replacements no
 * more than a's, each offering only instance types a's replacements offered (a replacement may only narrow).
 */
export function withinCommand(a: Command, b: Command): boolean {
  const decided = new Set(a.candidates.map((x) => x.stateNode.name));
  if (!b.candidates.every((x) => decided.has(x.stateNode.name))) return false;
  if (b.replacements.length > a.replacements.length) return false;
  const offered = new Set(a.replacements.flatMap((r) => r.instanceTypeOptions.map((it) => it.name)));
  return b.replacements.every((r) => r.instanceTypeOptions.every((it) => offered.has(it.name)));
}
