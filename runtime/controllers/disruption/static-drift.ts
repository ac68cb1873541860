/**
 * Drift of static NodePools (pure), as upstream's StaticDrift method (core v1.15 disruption/staticdrift.go): a
 * static pool is never consolidated, and each drifted node is replaced one for one by a NodeClaim from the pool's
 * template, launched before the node goes. Per pool, as many at once as its Drifted budget allows, none while the
 * pool is still scaling down (more active and pending nodes than replicas), and no more than `limits.nodes` leaves
 * room to stage. With no room at all, the TerminateFirstDrift gate deletes them first (as many as the budget allows,
 * in a delete-only `static-at-limit` command) when the pool is Ready and not being deleted, so the static controller
 * refills it; otherwise, and without the gate, they wait and say why.
 */
import { nameOf, type NodePool } from '../../kube/objects';
import type { PlannedNodeClaim, SchedulingNodePool } from '../../scheduling/scheduler';
import type { StateNode } from '../../state/cluster-state';
import { nodeLimit, staticClaimPlan, type StaticCounts } from '../nodepool/static/replicas';
import type { Candidate } from './candidates';
import { note, type Budgets, type Command } from './methods';
import { refillable } from './terminate-first';

/** Upstream's words for a drifted static node its pool's node limit leaves no room to replace. */
export const STATIC_AT_LIMIT = 'static NodePool is at its node limit and cannot stage a replacement';

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
): Command | undefined {
  const created = (c: Candidate) => Date.parse(c.stateNode.nodeClaim?.metadata.creationTimestamp ?? '') || 0;
  const byPool = new Map<string, Candidate[]>();
  for (const c of candidates) byPool.set(nameOf(c.nodePool), [...(byPool.get(nameOf(c.nodePool)) ?? []), c]);
  const chosen: Candidate[] = [];
  const replacements: PlannedNodeClaim[] = [];
  const deleteFirst: Candidate[] = [];
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
  );
}
