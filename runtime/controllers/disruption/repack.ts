/**
 * Repack consolidation, a method upstream does not have. Multi-node consolidation replaces a set of nodes with at
 * most one node, and single-node with one cheaper node, so a fleet of full but ill-matched nodes (each holding a
 * mix of pods no single cheaper type takes, as a scale-up on a narrow NodePool leaves it) stays as it is for good.
 * Here the pods of a set of nodes are planned afresh, and the set is replaced by the new nodes when they save at
 * least REPACK_MIN_SAVINGS of its price: enough that the evictions buy something, and a fleet that repacking
 * cannot improve by that much is left alone. Pure; the controller runs it after the other consolidation methods.
 */
import { cheapestOffering, type InstanceType } from '../../scheduling/instance-types';
import type { PlannedNodeClaim } from '../../scheduling/scheduler';
import type { MoveApproval } from './balanced';
import type { Candidate } from './candidates';
import {
  consolidationOrder,
  destinationsOf,
  isSpot,
  MULTI_NODE_MAX_CANDIDATES,
  MULTI_NODE_TIME_LIMIT_MS,
  note,
  percent,
  type Budgets,
  type Command,
  type ConsolidationOptions,
  type Simulate,
} from './methods';

/** The share of the set's price the new nodes must save. */
export const REPACK_MIN_SAVINGS = 0.1;

/**
 * The largest set, by halving from every candidate the budgets allow (cheapest to disrupt first, on-demand only:
 * spot nodes are replaced one at a time, as spot-to-spot consolidation does), whose pods the scheduler places on
 * the nodes that stay plus new ones costing at most (1 − REPACK_MIN_SAVINGS) of the set. Sets of two or more.
 */
export function repackConsolidation(
  candidates: Candidate[],
  budgets: Budgets,
  simulate: Simulate,
  skipped: Map<string, string>,
  opts: ConsolidationOptions = {},
  approval?: MoveApproval,
): Command | undefined {
  const remaining = new Map(budgets);
  const within: Candidate[] = [];
  for (const c of consolidationOrder(candidates, new Map(skipped))) {
    if (within.length >= MULTI_NODE_MAX_CANDIDATES) break;
    const pool = c.nodePool.metadata.name ?? '';
    const left = remaining.get(pool) ?? 0;
    if (isSpot(c) || left <= 0) continue;
    remaining.set(pool, left - 1);
    within.push(c);
  }
  const now = opts.elapsedMs ?? (() => performance.now());
  const stopAt = now() + (opts.multiNodeTimeLimitMs ?? MULTI_NODE_TIME_LIMIT_MS);
  for (let size = within.length; size >= 2 && now() < stopAt; size = Math.floor(size / 2)) {
    const outcome = repackFor(within.slice(0, size), simulate);
    if (typeof outcome === 'string') {
      if (size === within.length)
        for (const c of within) note(skipped, c.stateNode.name, `repack: ${outcome}`);
      continue;
    }
    if (approval?.reject(outcome) === undefined) return outcome;
  }
  return undefined;
}

/** The set's pods planned afresh: a command when the new nodes save enough, else why not. */
export function repackFor(set: Candidate[], simulate: Simulate): Command | string {
  const result = simulate(set);
  if (result.unschedulable.size > 0) {
    const first = [...result.unschedulable.values()][0];
    return `${result.unschedulable.size} pod(s) could not be rescheduled (${first?.reasons[0] ?? 'no room'})`;
  }
  const total = set.reduce((sum, c) => sum + c.price, 0);
  const priceOf = (it: InstanceType, claim: PlannedNodeClaim) =>
    cheapestOffering(it, claim.requirements)?.price ?? Infinity;
  const prices = result.newNodeClaims.map((claim) =>
    Math.min(...claim.instanceTypeOptions.map((it) => priceOf(it, claim))),
  );
  const cost = prices.reduce((a, b) => a + b, 0);
  const ceiling = total * (1 - REPACK_MIN_SAVINGS);
  if (!(cost <= ceiling))
    return `new nodes would save ${percent((total - cost) / total)} of $${total.toFixed(4)}/hour, less than ${percent(REPACK_MIN_SAVINGS)}`;
  // Each replacement may launch as any of its types that keeps the whole under the ceiling.
  const slack = (ceiling - cost) / Math.max(1, prices.length);
  const replacements = result.newNodeClaims.map((claim, i) => ({
    ...claim,
    instanceTypeOptions: claim.instanceTypeOptions.filter(
      (it) => priceOf(it, claim) <= (prices[i] as number) + slack,
    ),
  }));
  return {
    reason: 'Underutilized',
    candidates: set,
    replacements,
    savings: total - cost,
    destinations: destinationsOf(result),
  };
}
