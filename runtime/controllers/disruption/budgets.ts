/**
 * Disruption budgets: how many of a NodePool's nodes may be disrupted right now for a given reason. The minimum
 * over every active budget that applies to the reason wins; percentages round up over the pool's nodes; a
 * scheduled budget is active for `duration` of elapsed time after each time its cron fires, in UTC or in the zone
 * of its CRON_TZ=/TZ= prefix (sdk/api/budget-schedule.ts); nodes already being disrupted count against the
 * allowance.
 */
import { parseBudgetSchedule, scheduleActive } from '../../../sdk/api/budget-schedule';
import type { Budget } from '../../../sdk/api/nodepool';
import { parseDuration } from '../../../sdk/api/common';
import type { NodePool } from '../../kube/objects';
import type { StateNode } from '../../state/cluster-state';

export type BudgetReason = 'Empty' | 'Underutilized' | 'Drifted' | 'Unhealthy';

export type BudgetState = 'active' | 'inactive' | 'invalid';

/**
 * Whether the budget applies at `now`. A schedule the API would reject (one that got past the looser CRD, such as
 * an unknown time zone) is 'invalid': the budget fails closed, allowing no disruption, as upstream's does, and the
 * NodePool's ValidationSucceeded condition says what is wrong.
 */
export function budgetState(budget: Budget, now: number): BudgetState {
  if (!budget.schedule || !budget.duration) return 'active';
  const parsed = parseBudgetSchedule(budget.schedule);
  if (!parsed.ok) return 'invalid';
  try {
    return scheduleActive(parsed.schedule, parseDuration(budget.duration), now) ? 'active' : 'inactive';
  } catch {
    return 'invalid';
  }
}

export function isBudgetActive(budget: Budget, now: number): boolean {
  return budgetState(budget, now) !== 'inactive';
}

export function budgetNodes(budget: Budget, totalNodes: number): number {
  const pct = /^([0-9]+)%$/.exec(budget.nodes);
  return pct ? Math.ceil((Number(pct[1]) / 100) * totalNodes) : Number(budget.nodes);
}

/**
 * Nodes of this pool that may still be disrupted for `reason`: min over active, matching budgets of their
 * allowance (none for a budget whose schedule cannot be read), minus nodes already disrupting. Never negative.
 */
export function allowedDisruptions(
  nodePool: NodePool,
  reason: BudgetReason,
  now: number,
  totalNodes: number,
  disrupting: number,
): number {
  let allowed = Infinity;
  for (const budget of nodePool.spec.disruption.budgets) {
    if (budget.reasons && !budget.reasons.includes(reason)) continue;
    const state = budgetState(budget, now);
    if (state === 'inactive') continue;
    allowed = Math.min(allowed, state === 'invalid' ? 0 : budgetNodes(budget, totalNodes));
  }
  if (allowed === Infinity) allowed = totalNodes;
  return Math.max(0, allowed - disrupting);
}

/** Per NodePool: the nodes that may still be disrupted for `reason`, and how many of its nodes are disrupting. */
export function poolBudgets(
  stateNodes: StateNode[],
  nodePools: ReadonlyMap<string, NodePool>,
  reason: BudgetReason,
  now: number,
): Map<string, { allowed: number; disrupting: number }> {
  const members = new Map<string, StateNode[]>();
  for (const n of stateNodes) {
    if (!n.managed || n.nodePoolName === undefined) continue;
    const list = members.get(n.nodePoolName);
    if (list) list.push(n);
    else members.set(n.nodePoolName, [n]);
  }
  const out = new Map<string, { allowed: number; disrupting: number }>();
  for (const [name, np] of nodePools) {
    const mine = members.get(name) ?? [];
    const disrupting = mine.filter((n) => n.deleting || n.markedForDisruption).length;
    out.set(name, { allowed: allowedDisruptions(np, reason, now, mine.length, disrupting), disrupting });
  }
  return out;
}
