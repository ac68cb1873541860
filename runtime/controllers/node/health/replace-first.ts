/**
 * How an unhealthy node is repaired (pure), as upstream core v1.15's repair disruption method
 * (pkg/controllers/disruption/repair.go): its replacement is launched first, for every pod on it (those a PDB or
 * do-not-disrupt would hold too: the drain bound frees them), and the node goes once the replacement is up. When no
 * replacement can launch first:
 *
 * - a node in a full capacity reservation whose pods fit only into the slot it frees is deleted first with the
 *   TerminateFirstRepair gate (terminate-first, `no-reserved-capacity`), and waits without it;
 * - a node of a static NodePool at its `limits.nodes` is deleted first with the gate when the pool is Ready and not
 *   being deleted, so the static controller refills it (`static-at-limit`), and waits otherwise; with the gate, a
 *   static pool that launches only into full reservations deletes first a node holding a slot of one still
 *   offered (`no-reserved-capacity`), and any other of its nodes waits;
 * - any other node waits, saying why its pods have nowhere to go.
 */
import type { PlannedNodeClaim } from '../../../scheduling/plan';
import type { Candidate } from '../../disruption/candidates';
import { destinationsOf, type Simulate } from '../../disruption/methods';
import {
  STATIC_AT_LIMIT,
  STATIC_RESERVATIONS_FULL,
  type StaticReservations,
} from '../../disruption/static-drift';
import {
  heldReservation,
  refillable,
  reservedSlotsSuffice,
  type TerminateFirstReason,
} from '../../disruption/terminate-first';

export type RepairPlan =
  | { kind: 'replace'; replacements: PlannedNodeClaim[]; destinations: string[] }
  | { kind: 'terminate-first'; reason: TerminateFirstReason; destinations: string[] }
  | { kind: 'blocked'; message: string };

/** A static pool's side of the decision: the room its node limit leaves, and the replacement its template makes. */
export interface StaticRoom {
  /** More active and pending nodes than replicas: a replacement would only be scaled away. */
  scalingDown: boolean;
  room: number;
  plan: PlannedNodeClaim | string;
  /** The pool's reservations, looked at only with the TerminateFirstRepair gate (static-drift.ts). */
  reservations?: StaticReservations;
}

export interface RepairPlanInput {
  candidate: Candidate;
  /** The cluster without the candidate (dynamic pools only: a static pool never grows for another's pods). */
  simulate: Simulate;
  /** The TerminateFirstRepair gate. */
  terminateFirst: boolean;
  /** The cluster without the candidate, its reservation slot credited back (terminate-first.ts). */
  credited: Simulate;
  /** Set for a node of a static NodePool. */
  static?: StaticRoom;
}

export function repairPlan({
  candidate,
  simulate,
  terminateFirst,
  credited,
  static: fixed,
}: RepairPlanInput): RepairPlan {
  if (fixed) {
    if (fixed.scalingDown) return { kind: 'blocked', message: 'its static NodePool is scaling down first' };
    if (terminateFirst && fixed.reservations?.full) {
      const holds = fixed.reservations.offered.has(heldReservation(candidate) ?? '');
      if (holds && refillable(candidate.nodePool))
        return { kind: 'terminate-first', reason: 'no-reserved-capacity', destinations: [] };
      return { kind: 'blocked', message: STATIC_RESERVATIONS_FULL };
    }
    if (typeof fixed.plan === 'string')
      return { kind: 'blocked', message: `its replacement cannot be planned (${fixed.plan})` };
    if (fixed.room > 0) return { kind: 'replace', replacements: [fixed.plan], destinations: [] };
    if (terminateFirst && refillable(candidate.nodePool)) {
      return { kind: 'terminate-first', reason: 'static-at-limit', destinations: [] };
    }
    return { kind: 'blocked', message: STATIC_AT_LIMIT };
  }
  const first = simulate([candidate]);
  if (first.unschedulable.size === 0) {
    return { kind: 'replace', replacements: first.newNodeClaims, destinations: destinationsOf(first) };
  }
  if (terminateFirst && heldReservation(candidate)) {
    const freed = credited([candidate]);
    if (freed.unschedulable.size === 0 && reservedSlotsSuffice(freed.newNodeClaims)) {
      return { kind: 'terminate-first', reason: 'no-reserved-capacity', destinations: destinationsOf(freed) };
    }
  }
  const why = [...first.unschedulable.values()][0]?.reasons[0] ?? 'no room';
  return {
    kind: 'blocked',
    message: `repair cannot launch a replacement first: ${first.unschedulable.size} pod(s) could not be rescheduled (${why})`,
  };
}
