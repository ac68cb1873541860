/**
 * Will a consolidation hold once the kube-scheduler, not our simulation, places the evicted pods? The simulation
 * packs largest first onto the first node that fits; the kube-scheduler takes pods in its queue's order and puts
 * each on the least allocated node that fits (its default NodeResourcesFit scoring), so it can spread small pods
 * over the free room until a large one fits nowhere, and the pods that were to fit need a new node after all:
 * the consolidation is undone and, decided again, loops. A decision is kept only if every order that matters
 * (the queue's: priority, then the order the pods come back in; and smallest first, the spreading worst case)
 * still places every moved pod. Pure: the controller, the simulator and benchmarks share it.
 */
import type { Pod } from '../../kube/objects';
import { podFitsNode, type NodeView } from '../../scheduling/predicates';
import { add, exceeded, podRequests, subtract, type Resources } from '../../scheduling/resources';
import { podKey } from '../../scheduling/pod-requirements';
import type { SchedulableNode, SchedulingResult } from '../../scheduling/scheduler';
import type { Simulate } from './methods';

export interface PlacementFailure {
  pod: Pod;
  order: 'queue' | 'smallest first';
  reason: string;
}

interface Slot {
  view: NodeView;
  /** For a planned replacement: the pods the simulation put there, the only ones known to match it. */
  planned?: Set<Pod>;
}

function cpuFractionAfter(slot: Slot, req: Resources): number {
  const allocatable = slot.view.allocatable.cpu ?? 0;
  if (allocatable <= 0) return Infinity;
  return ((slot.view.requested.cpu ?? 0) + (req.cpu ?? 0)) / allocatable;
}

function priorityOf(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

function slotsFor(destinations: SchedulableNode[], result: SchedulingResult): Slot[] {
  const slots: Slot[] = destinations.map((n) => ({
    view: {
      name: n.name,
      labels: n.labels,
      taints: n.taints,
      allocatable: n.allocatable,
      requested: { ...n.requested },
    },
  }));
  result.newNodeClaims.forEach((plan, i) => {
    // The smallest of the options is what the replacement is sure to offer; DaemonSets take their share.
    const allocatable: Resources = {};
    for (const key of new Set(plan.instanceTypeOptions.flatMap((it) => Object.keys(it.allocatable)))) {
      allocatable[key] = Math.min(...plan.instanceTypeOptions.map((it) => it.allocatable[key] ?? 0));
    }
    const podsRequest = plan.pods.reduce<Resources>((sum, p) => add(sum, podRequests(p)), {});
    slots.push({
      view: {
        name: `replacement-${i}`,
        labels: {},
        taints: plan.taints,
        allocatable,
        requested: subtract(plan.requests, podsRequest),
      },
      planned: new Set(plan.pods),
    });
  });
  return slots;
}

function placeInOrder(pods: Pod[], slots: Slot[]): { pod: Pod; reason: string } | undefined {
  for (const pod of pods) {
    const req = podRequests(pod);
    let best: Slot | undefined;
    let bestScore = Infinity;
    for (const slot of slots) {
      const fits = slot.planned
        ? slot.planned.has(pod) && exceeded(add(slot.view.requested, req), slot.view.allocatable).length === 0
        : !podFitsNode(pod, req, slot.view);
      if (!fits) continue;
      const score = cpuFractionAfter(slot, req);
      if (score < bestScore) {
        best = slot;
        bestScore = score;
      }
    }
    if (!best) {
      return { pod, reason: 'no node has room left for it once the pods before it are spread' };
    }
    best.view.requested = add(best.view.requested, req);
  }
  return undefined;
}

/**
 * Place the moved pods the way the kube-scheduler would, in each order that matters; the first pod left without
 * a node, or undefined when the decision holds in every order. `destinations` are the nodes the pods may move to
 * (the candidates excluded); `result` the simulation's plan, whose replacements count as destinations.
 */
export function kubeSchedulerPlacementFailure(
  moved: Pod[],
  destinations: SchedulableNode[],
  result: SchedulingResult,
): PlacementFailure | undefined {
  const queue = moved
    .map((pod, i) => ({ pod, i }))
    .sort((a, b) => priorityOf(b.pod) - priorityOf(a.pod) || a.i - b.i)
    .map((x) => x.pod);
  const smallest = moved
    .map((pod, i) => ({ pod, i, req: podRequests(pod) }))
    .sort(
      (a, b) => (a.req.cpu ?? 0) - (b.req.cpu ?? 0) || (a.req.memory ?? 0) - (b.req.memory ?? 0) || a.i - b.i,
    )
    .map((x) => x.pod);
  for (const [order, pods] of [
    ['queue', queue],
    ['smallest first', smallest],
  ] as const) {
    const failure = placeInOrder(pods, slotsFor(destinations, result));
    if (failure) return { ...failure, order };
  }
  return undefined;
}

/**
 * A consolidation simulation that also asks the kube-scheduler's question: a plan whose moved pods would not all
 * find room in the order the kube-scheduler places them comes back with that pod unschedulable, and the reason
 * says so (it reaches the node's explanation and `explain node`).
 */
export function holdingUnderKubeScheduler(simulate: Simulate, nodes: SchedulableNode[]): Simulate {
  return (removed) => {
    const result = simulate(removed);
    if (result.unschedulable.size > 0 || result.newNodeClaims.length > 1) return result;
    const gone = new Set(removed.map((c) => c.stateNode.name));
    const moved = removed.flatMap((c) => c.reschedulablePods);
    const failure = kubeSchedulerPlacementFailure(
      moved,
      nodes.filter((n) => !gone.has(n.name)),
      result,
    );
    if (!failure) return result;
    const reason =
      `the kube-scheduler, placing the moved pods ${failure.order === 'queue' ? 'in its queue order' : 'smallest first'} ` +
      `on the least allocated nodes, would leave ${podKey(failure.pod)} without room, undoing the consolidation`;
    return {
      ...result,
      unschedulable: new Map([[podKey(failure.pod), { pod: failure.pod, reasons: [reason] }]]),
    };
  };
}
