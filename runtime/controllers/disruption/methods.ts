/**
 * Disruption methods as pure decisions over candidates. Emptiness removes nodes with nothing to reschedule;
 * single-node consolidation removes a node whose pods fit elsewhere, or replaces it with one cheaper node. Each
 * returns at most one command and a reason for every candidate it passed over.
 */
import { cheapestOffering } from '../../cloudprovider/types';
import type { PlannedNodeClaim, SchedulingResult } from '../../scheduling/scheduler';
import type { BudgetReason } from './budgets';
import type { Candidate } from './candidates';

export interface Command {
  reason: BudgetReason;
  candidates: Candidate[];
  /** A cheaper node to launch before the candidates go; absent for a plain delete. */
  replacement?: PlannedNodeClaim;
  /** USD/hour saved. */
  savings: number;
}

export type Budgets = Map<string, number>;

function poolName(c: Candidate): string {
  return c.nodePool.metadata.name as string;
}

/** Delete every empty candidate the budgets allow, in one command. */
export function emptiness(
  candidates: Candidate[],
  budgets: Budgets,
  skipped: Map<string, string>,
): Command | undefined {
  const remaining = new Map(budgets);
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    if (c.reschedulablePods.length > 0) continue;
    const left = remaining.get(poolName(c)) ?? 0;
    if (left <= 0) {
      skipped.set(
        c.stateNode.name,
        `empty, but the disruption budget of NodePool "${poolName(c)}" allows no more (Empty)`,
      );
      continue;
    }
    remaining.set(poolName(c), left - 1);
    chosen.push(c);
  }
  if (chosen.length === 0) return undefined;
  return { reason: 'Empty', candidates: chosen, savings: chosen.reduce((s, c) => s + c.price, 0) };
}

export type Simulate = (removed: Candidate[]) => SchedulingResult;

/** What consolidating one candidate would take: a delete, a cheaper replacement, or why neither works. */
export function consolidationFor(candidate: Candidate, simulate: Simulate): Command | string {
  const result = simulate([candidate]);
  if (result.unschedulable.size > 0) {
    const first = [...result.unschedulable.values()][0];
    return `${result.unschedulable.size} pod(s) could not be rescheduled (${first?.reasons[0] ?? 'no room'})`;
  }
  if (result.newNodeClaims.length === 0) {
    return { reason: 'Underutilized', candidates: [candidate], savings: candidate.price };
  }
  if (result.newNodeClaims.length > 1) {
    return `can't remove without creating ${result.newNodeClaims.length} nodes`;
  }
  const plan = result.newNodeClaims[0] as PlannedNodeClaim;
  const cheaper = plan.instanceTypeOptions.filter(
    (it) => (cheapestOffering(it, plan.requirements)?.price ?? Infinity) < candidate.price,
  );
  if (cheaper.length === 0) {
    return `replacing it would not be cheaper than its $${candidate.price.toFixed(4)}/hour`;
  }
  const price =
    cheapestOffering(cheaper[0] as (typeof cheaper)[number], plan.requirements)?.price ?? candidate.price;
  return {
    reason: 'Underutilized',
    candidates: [candidate],
    replacement: { ...plan, instanceTypeOptions: cheaper },
    savings: candidate.price - price,
  };
}

/**
 * Single-node consolidation: candidates cheapest-to-disrupt first; the first that can go (within its pool's
 * Underutilized budget) becomes the command.
 */
export function singleNodeConsolidation(
  candidates: Candidate[],
  budgets: Budgets,
  simulate: Simulate,
  skipped: Map<string, string>,
): Command | undefined {
  const ordered = [...candidates].sort(
    (a, b) => a.disruptionCost - b.disruptionCost || a.stateNode.name.localeCompare(b.stateNode.name),
  );
  for (const c of ordered) {
    if (c.nodePool.spec.disruption.consolidationPolicy !== 'WhenEmptyOrUnderutilized') {
      skipped.set(c.stateNode.name, `NodePool "${poolName(c)}" only consolidates empty nodes (WhenEmpty)`);
      continue;
    }
    if ((budgets.get(poolName(c)) ?? 0) <= 0) {
      skipped.set(
        c.stateNode.name,
        `the disruption budget of NodePool "${poolName(c)}" allows no more (Underutilized)`,
      );
      continue;
    }
    const outcome = consolidationFor(c, simulate);
    if (typeof outcome === 'string') {
      skipped.set(c.stateNode.name, outcome);
      continue;
    }
    return outcome;
  }
  return undefined;
}
