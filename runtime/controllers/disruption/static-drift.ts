/**
 * Drift of static NodePools (pure), as upstream's StaticDrift method (core v1.15 disruption/staticdrift.go): a
 * static pool is never consolidated, and each drifted node is replaced one for one by a NodeClaim from the pool's
 * template, launched before the node goes. Per pool, as many at once as its Drifted budget allows, none while the
 * pool is still scaling down (more active and pending nodes than replicas), and no more than `limits.nodes` leaves
 * room to stage. With no room at all, the TerminateFirstDrift gate deletes them first (as many as the budget allows,
 * in a delete-only `static-at-limit` command) when the pool is Ready and not being deleted, so the static controller
 * refills it; otherwise, and without the gate, they wait and say why. With the gate, a pool that can launch only
 * into capacity reservations that are all full cannot stage a replacement either: its nodes holding a slot of a
 * reservation still offered go first, deleted first (`no-reserved-capacity`), so the refill takes the freed slot;
 * the others wait (upstream checks this before the node limit).
 */
import { nameOf, type NodePool } from '../../kube/objects';
import type { StateNode } from '../../state/cluster-state';
import { nodeLimit, staticClaimPlan, type StaticCounts } from '../nodepool/static/replicas';
import type { Candidate } from './candidates';
import { note, type Budgets, type Command } from './methods';
import { heldReservation, refillable } from './terminate-first';
import { compatibleOfferings, instanceTypeCompatible } from '../../scheduling/instance-types';
import {
  nodePoolRequirements,
  type PlannedNodeClaim,
  type SchedulingNodePool,
} from '../../scheduling/scheduler';

/** Upstream's words for a drifted static node its pool's node limit leaves no room to replace. */
export const STATIC_AT_LIMIT = 'static NodePool is at its node limit and cannot stage a replacement';

/** Upstream's words for a static node whose pool launches only into full capacity reservations. */
export const STATIC_RESERVATIONS_FULL =
  "static NodePool's capacity reservations are full and cannot stage a replacement";

/** Whether a static pool can launch only into full reservations, and which reservations it is still offered. */
export interface StaticReservations {
  full: boolean;
  /** Reservations (ids) with an available offering: a node holding a slot there frees one its refill can use. */
  offered: Set<string>;
}

/**
 * A static pool's reservations, as upstream's staticReservations: full when every offering its template allows is
 * a reserved one with no room left (none launchable); any other offering, or a reservation with room, means not
 * full.
 */
export function staticReservations(pool: SchedulingNodePool): StaticReservations {
  const requirements = nodePoolRequirements(pool.nodePool);
  const offered = new Set<string>();
  for (const it of pool.instanceTypes) {
    if (!instanceTypeCompatible(it, requirements, { unavailable: true })) continue;
    for (const o of compatibleOfferings(it, requirements, { unavailable: true })) {
      const launchable = o.available && (o.reservation?.capacity ?? 0) > 0;
      if (o.capacityType !== 'reserved' || launchable) return { full: false, offered: new Set() };
      // Still offered: unavailable only for being full (an expiring block or a zone under a shift is not).
      if (o.reservation && (o.available || (o.reservation.capacity <= 0 && !o.zonalShift)))
        offered.add(o.reservation.id);
    }
  }
  return { full: true, offered };
}

/** A static pool's claims by state, from the cluster state's nodes. */
export function staticCounts(stateNodes: readonly StateNode[], pool: string): StaticCounts {
  const counts: StaticCounts = { active: 0, pendingDisruption: 0, deleting: 0 };
  for (const n of stateNodes) {
    if (n.nodePoolName !== pool || !n.nodeClaim) continue;
    if (n.deleting) counts.deleting++;
    else if (n.markedForDisruption) counts.pendingDisruption++;
    else counts.active++;
  }
  return counts;
}

/**
 * One command replacing the drifted static candidates the budgets and limits allow, empty then oldest first;
 * every other drifted static candidate gets the reason it waits.
 */
export function staticDrift(
  candidates: readonly Candidate[],
  budgets: Budgets,
  counts: (pool: string) => StaticCounts,
  planFor: (pool: NodePool) => PlannedNodeClaim | string,
  skipped: Map<string, string>,
  terminateFirst = false,
  reservationsOf: (pool: NodePool) => StaticReservations = () => ({ full: false, offered: new Set() }),
): Command | undefined {
  const created = (c: Candidate) => Date.parse(c.stateNode.nodeClaim?.metadata.creationTimestamp ?? '') || 0;
  const byPool = new Map<string, Candidate[]>();
  for (const c of candidates) byPool.set(nameOf(c.nodePool), [...(byPool.get(nameOf(c.nodePool)) ?? []), c]);
  const chosen: Candidate[] = [];
  const replacements: PlannedNodeClaim[] = [];
  const deleteFirst: Candidate[] = [];
  const noReservedCapacity: Candidate[] = [];
  for (const [pool, list] of [...byPool].sort(([a], [b]) => a.localeCompare(b))) {
    const nodePool = (list[0] as Candidate).nodePool;
    const ordered = [...list].sort(
      (a, b) =>
        Number(a.reschedulablePods.length > 0) - Number(b.reschedulablePods.length > 0) ||
        created(a) - created(b) ||
        a.stateNode.name.localeCompare(b.stateNode.name),
    );
    const waits = (from: number, reason: string) => {
      for (const c of ordered.slice(from)) note(skipped, c.stateNode.name, `drifted, but ${reason}`);
    };
    const { active, pendingDisruption, deleting } = counts(pool);
    const replicas = nodePool.spec.replicas ?? 0;
    if (active + pendingDisruption > replicas) {
      waits(0, `static NodePool "${pool}" is scaling down to ${replicas} replicas first`);
      continue;
    }
    const budget = Math.min(budgets.get(pool) ?? 0, ordered.length);
    const reservations = terminateFirst ? reservationsOf(nodePool) : undefined;
    if (reservations?.full) {
      // Only a node in a reservation still offered frees a slot the refill can launch into: those go first.
      const holds = (c: Candidate) => reservations.offered.has(heldReservation(c) ?? '');
      const first = [...ordered.filter(holds), ...ordered.filter((c) => !holds(c))];
      const going = refillable(nodePool) ? first.slice(0, budget).filter(holds) : [];
      noReservedCapacity.push(...going);
      for (const c of first.filter((c) => !going.includes(c)))
        note(skipped, c.stateNode.name, `drifted, but ${STATIC_RESERVATIONS_FULL}`);
      continue;
    }
    const limit = nodeLimit(nodePool);
    const room = limit === undefined ? budget : Math.max(0, limit - active - pendingDisruption - deleting);
    const allowed = Math.min(budget, room);
    if (allowed === 0 && budget > 0 && terminateFirst && refillable(nodePool)) {
      deleteFirst.push(...ordered.slice(0, budget));
      waits(budget, `the disruption budget of NodePool "${pool}" allows no more (Drifted)`);
      continue;
    }
    const plan = allowed > 0 ? planFor(nodePool) : undefined;
    if (typeof plan === 'string') {
      waits(0, `its replacement cannot be planned (${plan})`);
      continue;
    }
    if (plan) {
      chosen.push(...ordered.slice(0, allowed));
      for (let i = 0; i < allowed; i++) replacements.push({ ...plan });
    }
    if (room < budget) waits(allowed, STATIC_AT_LIMIT);
    else waits(allowed, `the disruption budget of NodePool "${pool}" allows no more (Drifted)`);
  }
  if (chosen.length > 0) return { reason: 'Drifted', candidates: chosen, replacements, savings: 0 };
  if (noReservedCapacity.length > 0)
    return {
      reason: 'Drifted',
      candidates: noReservedCapacity,
      replacements: [],
      savings: 0,
      terminateFirst: 'no-reserved-capacity',
    };
  if (deleteFirst.length === 0) return undefined;
  return {
    reason: 'Drifted',
    candidates: deleteFirst,
    replacements: [],
    savings: 0,
    terminateFirst: 'static-at-limit',
  };
}

/** The pools consolidation may add a node to: moved pods may land on a static pool's nodes, never on a new one. */
export function dynamicPools(pools: readonly SchedulingNodePool[]): SchedulingNodePool[] {
  return pools.filter((p) => p.nodePool.spec.replicas === undefined);
}

/** staticDrift over the cluster as the disruption loop sees it: counts from its nodes, plans from its pools. */
export function staticDriftIn(
  candidates: readonly Candidate[],
  stateNodes: readonly StateNode[],
  pools: readonly SchedulingNodePool[],
  budgets: Budgets,
  skipped: Map<string, string>,
  terminateFirst = false,
): Command | undefined {
  if (candidates.length === 0) return undefined;
  return staticDrift(
    candidates,
    budgets,
    (pool) => staticCounts(stateNodes, pool),
    (nodePool) => {
      const pool = pools.find((p) => nameOf(p.nodePool) === nameOf(nodePool));
      return pool ? staticClaimPlan(pool) : 'its instance types are unknown';
    },
    skipped,
    terminateFirst,
    (nodePool) => {
      const pool = pools.find((p) => nameOf(p.nodePool) === nameOf(nodePool));
      return pool ? staticReservations(pool) : { full: false, offered: new Set() };
    },
  );
}
