/**
 * Disruption budgets: how many of a NodePool's nodes may be disrupted right now for a given reason. The minimum
 * over every active budget that applies to the reason wins; percentages round up over the pool's nodes; a
 * scheduled budget is active for `duration` after each time its cron (UTC) fires; nodes already being disrupted
 * count against the allowance.
 */
import { CronExpressionParser } from 'cron-parser';
import { normalizeCronSchedule, type Budget } from '../../../sdk/api/nodepool';
import { parseDuration } from '../../../sdk/api/common';
import type { NodePool } from '../../kube/objects';

export type BudgetReason = 'Empty' | 'Underutilized' | 'Drifted';

export function isBudgetActive(budget: Budget, now: number): boolean {
  if (!budget.schedule) return true;
  if (!budget.duration) return true;
  const previous = CronExpressionParser.parse(normalizeCronSchedule(budget.schedule), {
    currentDate: new Date(now + 1),
    tz: 'UTC',
  })
    .prev()
    .getTime();
  return now < previous + parseDuration(budget.duration);
}

export function budgetNodes(budget: Budget, totalNodes: number): number {
  const pct = /^([0-9]+)%$/.exec(budget.nodes);
  return pct ? Math.ceil((Number(pct[1]) / 100) * totalNodes) : Number(budget.nodes);
}

/**
 * Nodes of this pool that may still be disrupted for `reason`: min over active, matching budgets of their
 * allowance, minus nodes already disrupting. Never negative.
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
    if (!isBudgetActive(budget, now)) continue;
    allowed = Math.min(allowed, budgetNodes(budget, totalNodes));
  }
  if (allowed === Infinity) allowed = totalNodes;
  return Math.max(0, allowed - disrupting);
}
