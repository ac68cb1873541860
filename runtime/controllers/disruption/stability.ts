/**
 * Will a consolidation hold once the kube-scheduler, not our simulation, places the evicted pods? The simulation
 * packs largest first onto the first node that fits; the kube-scheduler takes pods in its queue's order and puts
 * each on the least allocated node that fits (its default NodeResourcesFit scoring), so it can spread small pods
 * over the free room until a large one fits nowhere, and the pods that were to fit need a new node after all:
 * the consolidation is undone and, decided again, loops. A decision is kept only if every order that matters
 * (the queue's: priority, then the order the pods come back in; and smallest first, the spreading worst case)
 * still places every moved pod. Required topology terms count too: pods free to go anywhere can take the only
 * room left in the zone a DoNotSchedule spread holds the others to. Pure: the controller, the simulator and
 * benchmarks share it.
 */
import type { Pod } from '../../kube/objects';
import { constraintLevels, type PodConstraints } from '../../scheduling/pod-constraints';
import { podFitsNode, type NodeView } from '../../scheduling/predicates';
import { Topology, type Place } from '../../scheduling/topology';
import { topologyDomains } from '../../scheduling/topology-domains';
import { add, fitsWith, podRequests, subtract, type Resources } from '../../scheduling/resources';
import { podKey, podRequirementAlternatives } from '../../scheduling/pod-requirements';
import type { SchedulableNode, SchedulingResult } from '../../scheduling/scheduler';
import type { Simulate } from './methods';

export interface PlacementFailure {
  pod: Pod;
  order: 'queue' | 'smallest first';
  reason: string;
}

interface Slot {
  view: NodeView;
  /** Where the slot is, for topology terms. */
  place: Place;
  /** For a planned replacement: the pods the simulation put there, the only ones known to match it. */
  planned?: Set<Pod>;
  /** Position among the destinations: the kube-scheduler's tie-break (the first of equal scores wins). */
  index: number;
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
  const slots: Slot[] = destinations.map((n, index) => ({
    view: {
      name: n.name,
      labels: n.labels,
      taints: n.taints,
      allocatable: n.allocatable,
      requested: { ...n.requested },
    },
    place: { kind: 'node', hostname: n.name, labels: n.labels },
    index,
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
      place: { kind: 'claim', hostname: `replacement-${i}`, requirements: plan.requirements },
      planned: new Set(plan.pods),
      index: slots.length,
    });
  });
  return slots;
}

/**
 * The slots by allocatable CPU, each tier ordered by requested CPU (then position). Within a tier the least
 * allocated slot comes first, so finding the best slot for a pod walks each tier only until a slot fits or can no
 * longer beat the best so far, instead of scoring every node for every moved pod (moved pods × nodes).
 */
class LeastAllocated {
  private readonly tiers: Slot[][] = [];
  private readonly tierOf = new Map<Slot, Slot[]>();

  constructor(slots: Slot[]) {
    const byCpu = new Map<number, Slot[]>();
    for (const slot of slots) {
      const cpu = slot.view.allocatable.cpu ?? 0;
      // No CPU to score: the kube-scheduler's least-allocated score is infinite there, never the best.
      if (!(cpu > 0)) continue;
      let tier = byCpu.get(cpu);
      if (!tier) byCpu.set(cpu, (tier = []));
      tier.push(slot);
      this.tierOf.set(slot, tier);
    }
    for (const tier of byCpu.values()) {
      tier.sort((a, b) => requestedCpu(a) - requestedCpu(b) || a.index - b.index);
      this.tiers.push(tier);
    }
  }

  /** The slot a plain scan would pick: the lowest CPU fraction after placing among those that fit, first on ties. */
  best(req: Resources, fits: (slot: Slot) => boolean): Slot | undefined {
    let best: Slot | undefined;
    let bestScore = Infinity;
    for (const tier of this.tiers) {
      for (const slot of tier) {
        // Scores only grow along a tier: once one cannot beat the best, none after it can.
        const score = cpuFractionAfter(slot, req);
        if (score > bestScore || (best && score === bestScore && slot.index > best.index)) break;
        if (!fits(slot)) continue;
        best = slot;
        bestScore = score;
        break;
      }
    }
    return best;
  }

  /** The slot took a pod: move it past the slots that are now less allocated. */
  placed(slot: Slot): void {
    const tier = this.tierOf.get(slot);
    if (!tier) return;
    let i = tier.indexOf(slot);
    const after = (other: Slot) =>
      requestedCpu(other) < requestedCpu(slot) ||
      (requestedCpu(other) === requestedCpu(slot) && other.index < slot.index);
    while (i + 1 < tier.length && after(tier[i + 1] as Slot)) {
      tier[i] = tier[i + 1] as Slot;
      tier[++i] = slot;
    }
  }
}

function requestedCpu(slot: Slot): number {
  return slot.view.requested.cpu ?? 0;
}

/** What the kube-scheduler holds a pod to wherever it goes: its required topology terms, if it has any. */
const hardLevels = new WeakMap<Pod, PodConstraints | null>();
function hardLevel(pod: Pod): PodConstraints | undefined {
  let level = hardLevels.get(pod);
  if (level === undefined) {
    const levels = constraintLevels(pod, { ignorePreferences: true });
    const loosest = levels[levels.length - 1];
    level = loosest && loosest.terms.length > 0 ? loosest : null;
    hardLevels.set(pod, level);
  }
  return level ?? undefined;
}

/**
 * The counts the kube-scheduler's topology filters start from: the pods on the nodes that stay, in the domains of
 * those nodes only (it knows no NodePool). Undefined when no moved pod has a required term.
 */
function topologyOver(moved: Pod[], destinations: SchedulableNode[]): Topology | undefined {
  const levels = moved.map(hardLevel).filter((l): l is PodConstraints => l !== undefined);
  if (levels.length === 0) return undefined;
  const topology = new Topology(topologyDomains(destinations, []));
  topology.register(levels);
  for (const n of destinations)
    for (const pod of n.pods ?? [])
      topology.record(pod, { kind: 'node', hostname: n.name, labels: n.labels });
  return topology;
}

function placeInOrder(
  pods: Pod[],
  slots: Slot[],
  requestsOf: (pod: Pod) => Resources,
  avoided: ReadonlySet<string> | undefined,
  topology: Topology | undefined,
): { pod: Pod; reason: string } | undefined {
  // Nodes with the consolidation-candidate taint lose every TaintToleration score: only when no other node fits
  // does the kube-scheduler use them.
  const preferred = new LeastAllocated(slots.filter((slot) => !avoided?.has(slot.view.name)));
  const fallback = new LeastAllocated(slots.filter((slot) => avoided?.has(slot.view.name)));
  for (const pod of pods) {
    const req = requestsOf(pod);
    const alternatives = podRequirementAlternatives(pod);
    const level = topology && hardLevel(pod);
    const fits = (slot: Slot) =>
      (slot.planned
        ? slot.planned.has(pod) && fitsWith(slot.view.requested, req, slot.view.allocatable)
        : fitsWith(slot.view.requested, req, slot.view.allocatable) &&
          !podFitsNode(pod, req, slot.view, alternatives)) &&
      !(level && topology && 'reason' in topology.evaluate(level, slot.place));
    let index = preferred;
    let best = preferred.best(req, fits);
    if (!best) best = (index = fallback).best(req, fits);
    if (!best) {
      return { pod, reason: 'no node has room left for it once the pods before it are spread' };
    }
    best.view.requested = add(best.view.requested, req);
    topology?.record(pod, best.place);
    index.placed(best);
  }
  return undefined;
}

/**
 * Place the moved pods the way the kube-scheduler would, in each order that matters; the first pod left without
 * a node, or undefined when the decision holds in every order. `destinations` are the nodes the pods may move to
 * (the candidates excluded); `result` the simulation's plan, whose replacements count as destinations;
 * `avoided` the nodes carrying the consolidation-candidate taint when the pods move.
 */
export function kubeSchedulerPlacementFailure(
  moved: Pod[],
  destinations: SchedulableNode[],
  result: SchedulingResult,
  avoided?: ReadonlySet<string>,
): PlacementFailure | undefined {
  // Parsed once for both orders.
  const requests = new Map(moved.map((pod) => [pod, podRequests(pod)]));
  const requestsOf = (pod: Pod) => requests.get(pod) as Resources;
  const queue = moved
    .map((pod, i) => ({ pod, i }))
    .sort((a, b) => priorityOf(b.pod) - priorityOf(a.pod) || a.i - b.i)
    .map((x) => x.pod);
  const smallest = moved
    .map((pod, i) => ({ pod, i, req: requestsOf(pod) }))
    .sort(
      (a, b) => (a.req.cpu ?? 0) - (b.req.cpu ?? 0) || (a.req.memory ?? 0) - (b.req.memory ?? 0) || a.i - b.i,
    )
    .map((x) => x.pod);
  for (const [order, pods] of [
    ['queue', queue],
    ['smallest first', smallest],
  ] as const) {
    const failure = placeInOrder(
      pods,
      slotsFor(destinations, result),
      requestsOf,
      avoided,
      topologyOver(moved, destinations),
    );
    if (failure) return { ...failure, order };
  }
  return undefined;
}

/** Why a plan holdingUnderKubeScheduler returns was made with every moved pod on new nodes (for explanations). */
const replanReasons = new WeakMap<SchedulingResult, string>();

/** The kube-scheduler problem that made this plan put every moved pod on new nodes, if it was so made. */
export function replannedBecause(result: SchedulingResult): string | undefined {
  return replanReasons.get(result);
}

/**
 * A consolidation simulation that also asks the kube-scheduler's question: a plan whose moved pods would not all
 * find room in the order the kube-scheduler places them comes back with that pod unschedulable, and the reason
 * says so (it reaches the node's explanation and `explain node`).
 *
 * With `repack` (CONSOLIDATION_REPACK), a failing plan with one replacement is first planned again with every
 * moved pod on the new node: the kube-scheduler may still spread small pods over the room on the nodes that stay,
 * but that only frees room on the replacement, which was planned to hold them all. The caller's price test then
 * decides whether that larger replacement still saves (a full r6i.16xlarge becomes an m6g.16xlarge instead of
 * staying for good).
 */
export function holdingUnderKubeScheduler(
  simulate: Simulate,
  nodes: SchedulableNode[],
  avoided?: ReadonlySet<string>,
  { repack = false }: { repack?: boolean } = {},
): Simulate {
  return (removed, opts) => {
    const result = simulate(removed, opts);
    // Plans with several replacements are repack's (held to its 10 % saving) or refused ("can't remove without
    // creating ..."): putting repack's through this check too stopped it on fleets it brings to a fresh plan's cost.
    if (result.unschedulable.size > 0 || result.newNodeClaims.length > 1) return result;
    const gone = new Set(removed.map((c) => c.stateNode.name));
    const moved = removed.flatMap((c) => c.reschedulablePods);
    const staying = nodes.filter((n) => !gone.has(n.name));
    const failure = kubeSchedulerPlacementFailure(moved, staying, result, avoided);
    if (!failure) return result;
    const reason =
      `the kube-scheduler, placing the moved pods ${failure.order === 'queue' ? 'in its queue order' : 'smallest first'} ` +
      `on the least allocated nodes, would leave ${podKey(failure.pod)} without room, undoing the consolidation`;
    // Only a replacement is planned again, into one replacement: wider re-plans did not come to rest (seeds 1, 4).
    if (repack && result.newNodeClaims.length === 1 && !opts?.newNodesOnly) {
      const replanned = simulate(removed, { ...opts, newNodesOnly: true });
      if (
        replanned.unschedulable.size === 0 &&
        replanned.newNodeClaims.length === 1 &&
        !kubeSchedulerPlacementFailure(moved, staying, replanned, avoided)
      ) {
        replanReasons.set(replanned, reason);
        return replanned;
      }
    }
    return {
      ...result,
      unschedulable: new Map([[podKey(failure.pod), { pod: failure.pod, reasons: [reason] }]]),
    };
  };
}
