/**
 * Terminate-first disruption (pure), as upstream core v1.15 (RFC kubernetes-sigs/karpenter#3203, gates
 * TerminateFirstDrift and TerminateFirstRepair): a node on reserved capacity holds a slot of a finite reservation, so
 * when the reservation is full, and nothing else can take its pods, a replacement cannot launch until the node frees
 * its slot. With the gate on, such a node is deleted first (a delete-only command) and the provisioner refills the
 * freed slot as its pods go pending. Only when:
 *
 * - replacing it first does not work (drift tried that and every pod could not be placed);
 * - the node runs on `reserved` capacity in a known reservation;
 * - with the slots the chosen nodes hold credited back to their reservations, every pod places, and every new node
 *   the pods need gets a reservation slot of its own (strict: no falling back to on-demand or spot, as upstream's
 *   second pass), so a node is never removed for pods that still could not run.
 *
 * Within the Drifted budget, as many at once as it allows, as drift does. Without the gate the node waits, saying why.
 */
import { Labels } from '../../../sdk/api/well-known';
import { nameOf, type NodePool, type Pod } from '../../kube/objects';
import { compatibleOfferings, type InstanceType } from '../../scheduling/instance-types';
import type { PlannedNodeClaim } from '../../scheduling/plan';
import { assignReservations } from '../../scheduling/reservations';
import type { SchedulableNode, SchedulingNodePool } from '../../scheduling/scheduler';
import type { VolumeContext } from '../volume-loader';
import type { Candidate } from './candidates';
import {
  budgetLeft,
  destinationsOf,
  driftOrder,
  note,
  type Budgets,
  type Command,
  type Simulate,
} from './methods';
import { simulator } from './simulation';

/** Why a terminate-first command could not stage its replacement first: upstream's terminate_first_reason values. */
export type TerminateFirstReason = 'no-reserved-capacity' | 'static-at-limit';

export const NO_SLOT_FREED =
  'drifted, but its pods could not be rescheduled even into the reservation slot it would free';

/** The NodePool is Ready and not being deleted, so a static pool refills a node deleted first. */
export function refillable(nodePool: NodePool): boolean {
  const ready = nodePool.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return ready && !nodePool.metadata.deletionTimestamp;
}

/** The capacity reservation whose slot the candidate's node holds, when it runs on reserved capacity. */
export function heldReservation(c: Candidate): string | undefined {
  const labels = c.stateNode.labels;
  if (labels[Labels.capacityType] !== 'reserved') return undefined;
  return labels[Labels.capacityReservationId] || undefined;
}

/**
 * The pools with `freed` slots given back to their reservations: each offering of such a reservation has that much
 * more room, and is available again when a full reservation was all that kept it unavailable (one with room left
 * but unavailable, an expiring block say, or one in a zone under a zonal shift, stays unavailable).
 */
export function creditReservations(
  pools: readonly SchedulingNodePool[],
  freed: ReadonlyMap<string, number>,
): SchedulingNodePool[] {
  if (freed.size === 0) return [...pools];
  const credit = (it: InstanceType): InstanceType => {
    if (!it.offerings.some((o) => o.reservation && freed.has(o.reservation.id))) return it;
    const offerings = it.offerings.map((o) => {
      const n = o.reservation ? (freed.get(o.reservation.id) ?? 0) : 0;
      if (!o.reservation || n === 0) return o;
      const full = o.reservation.capacity <= 0;
      return {
        ...o,
        available: o.available || (full && !o.zonalShift),
        reservation: { ...o.reservation, capacity: Math.max(0, o.reservation.capacity) + n },
      };
    });
    return { ...it, offerings };
  };
  return pools.map((p) => ({ ...p, instanceTypes: p.instanceTypes.map(credit) }));
}

/** How many slots the candidates hold per reservation. */
export function slotsHeld(candidates: readonly Candidate[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of candidates) {
    const id = heldReservation(c);
    if (id) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** Strict: every planned node that could use a reservation gets a slot of one (none falls back to another type). */
export function reservedSlotsSuffice(plans: readonly PlannedNodeClaim[]): boolean {
  const assigned = assignReservations(plans);
  return plans.every((plan, i) => {
    const touches = plan.instanceTypeOptions.some((it) =>
      compatibleOfferings(it, plan.requirements).some((o) => o.reservation),
    );
    return !touches || assigned[i]?.requirements.get(Labels.capacityReservationId) !== undefined;
  });
}

/** A simulation of the cluster without the candidates, their reservation slots credited back (upstream's pass 2). */
export function creditedSimulator(
  pools: SchedulingNodePool[],
  nodes: SchedulableNode[],
  policies: Parameters<typeof simulator>[2],
  volumes: VolumeContext | undefined,
  headroom: Pod[] = [],
): Simulate {
  return (removed, opts) =>
    simulator(
      creditReservations(pools, slotsHeld(removed)),
      nodes,
      policies,
      volumes,
      headroom,
    )(removed, opts);
}

/**
 * Terminate-first drift: when drift could replace none of the drifted candidates first, the reserved ones whose pods
 * all fit once their slots are freed (see the module comment), as many as the Drifted budgets allow, in drift's
 * order, in one delete-only command. `simulate` is a creditedSimulator.
 */
export function terminateFirstDrift(
  candidates: readonly Candidate[],
  budgets: Budgets,
  simulate: Simulate,
  skipped: Map<string, string>,
): Command | undefined {
  const remaining = new Map(budgets);
  let chosen: Candidate[] = [];
  let plan: ReturnType<Simulate> | undefined;
  for (const c of driftOrder(candidates)) {
    if (!heldReservation(c)) continue;
    if (!budgetLeft(remaining, c, 'Drifted', 'drifted, but ', skipped)) continue;
    const trial = simulate([...chosen, c]);
    if (trial.unschedulable.size > 0 || !reservedSlotsSuffice(trial.newNodeClaims)) {
      note(skipped, c.stateNode.name, NO_SLOT_FREED);
      continue;
    }
    chosen = [...chosen, c];
    plan = trial;
    remaining.set(nameOf(c.nodePool), (remaining.get(nameOf(c.nodePool)) ?? 0) - 1);
  }
  if (chosen.length === 0 || !plan) return undefined;
  // Going now: drift's reason for passing them over no longer holds.
  for (const c of chosen) skipped.delete(c.stateNode.name);
  return {
    reason: 'Drifted',
    candidates: chosen,
    replacements: [],
    savings: 0,
    destinations: destinationsOf(plan),
    terminateFirst: 'no-reserved-capacity',
  };
}
