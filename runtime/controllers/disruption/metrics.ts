/** The disruption controller's metric labels and observations, kept apart from its decisions. */
import {
  consolidationMovesTotal,
  consolidationSavingsPerHourTotal,
  nodePoolsAllowedDisruptions,
  nodePoolsNodesConsumingBudgets,
  consolidationScore,
  voluntaryDisruptionDecisionEvaluationDurationSeconds,
  voluntaryDisruptionDecisionsByNodePoolTotal,
  voluntaryDisruptionDecisionsTotal,
  voluntaryDisruptionEligibleNodes,
  voluntaryDisruptionTerminateFirstDecisionsTotal,
} from '../../metrics';
import { nameOf } from '../../kube/objects';
import type { MoveScore } from './balanced';
import type { Candidate } from './candidates';
import type { Command } from './methods';

/** Export each pool's budget for a reason (allowed and in use) and return what may go: pool → allowed. */
export function publishBudgets(
  budgets: Map<string, { allowed: number; disrupting: number }>,
  reason: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, { allowed, disrupting }] of budgets) {
    out.set(name, allowed);
    const labels = { nodepool: name, reason: reason.toLowerCase() };
    nodePoolsAllowedDisruptions.set(labels, allowed);
    nodePoolsNodesConsumingBudgets.set(labels, disrupting);
  }
  return out;
}

/** Time one disruption method's evaluation. */
export function timed<T>(reason: string, consolidationType: string, fn: () => T): T {
  const end = voluntaryDisruptionDecisionEvaluationDurationSeconds.startTimer({
    reason,
    consolidation_type: consolidationType,
  });
  try {
    return fn();
  } finally {
    end();
  }
}

/**
 * Nodes each method could act on this pass, before budgets: empty ones and (under WhenEmptyOrUnderutilized or Balanced) all
 * consolidatable ones whose consolidateAfter has passed, and drifted ones.
 */
export function setEligibleNodes(candidates: Candidate[], drifted: Candidate[]): void {
  const underutilized = candidates.filter(
    (c) => c.nodePool.spec.disruption.consolidationPolicy !== 'WhenEmpty',
  );
  voluntaryDisruptionEligibleNodes.set(
    { reason: 'empty' },
    candidates.filter((c) => c.reschedulablePods.length === 0).length,
  );
  voluntaryDisruptionEligibleNodes.set({ reason: 'underutilized' }, underutilized.length);
  voluntaryDisruptionEligibleNodes.set({ reason: 'drifted' }, drifted.length);
}

/**
 * Karpenter's decision labels: "replace", "delete" or "terminate-first" (a delete before the replacement can
 * launch), the reason in lower case, and the consolidation type ("empty", "single" or "multi"; none for drift,
 * which is not a consolidation).
 */
export function decisionLabels(command: Command): {
  decision: string;
  reason: string;
  consolidation_type: string;
} {
  return {
    decision:
      command.replacements.length > 0 ? 'replace' : command.terminateFirst ? 'terminate-first' : 'delete',
    reason: command.reason.toLowerCase(),
    consolidation_type: consolidationType(command),
  };
}

/** Count a decision carried out: in total, per NodePool and, for terminate-first, why it could not replace first. */
export function recordDecision(command: Command, perNodeCost = 0): void {
  const labels = decisionLabels(command);
  voluntaryDisruptionDecisionsTotal.inc(labels);
  recordSavings(command, labels.reason, perNodeCost);
  for (const nodepool of new Set(command.candidates.map((c) => nameOf(c.nodePool)))) {
    voluntaryDisruptionDecisionsByNodePoolTotal.inc({ ...labels, nodepool });
    if (command.terminateFirst) {
      voluntaryDisruptionTerminateFirstDecisionsTotal.inc({
        nodepool,
        reason: labels.reason,
        terminate_first_reason: command.terminateFirst,
      });
    }
  }
}

function consolidationType(command: Command): string {
  if (command.reason === 'Empty') return 'empty';
  if (command.reason !== 'Underutilized') return '';
  // Several new nodes for several old ones: repack consolidation (repack.ts), which upstream does not have.
  if (command.replacements.length > 1) return 'repack';
  return command.candidates.length > 1 ? 'multi' : 'single';
}

/**
 * A consolidation move scored under Balanced, as upstream counts it: one move per pool of the command (any policy),
 * and the score of each Balanced pool.
 */
export function recordConsolidationMove(
  command: Command,
  perPool: ReadonlyMap<string, MoveScore>,
  approved: boolean,
): void {
  const policies = new Map(command.candidates.map((c) => [c.nodePool.metadata.name ?? '', c.nodePool]));
  for (const [nodepool, np] of policies) {
    // The policy as the NodePool spells it ("Balanced"), as upstream labels these two metrics.
    const policy = np.spec.disruption.consolidationPolicy;
    consolidationMovesTotal.inc({ decision: approved ? 'approved' : 'rejected', nodepool, policy });
    const score = perPool.get(nodepool);
    if (!score) continue;
    consolidationScore.observe(
      { decision: score.approved ? 'approved' : 'rejected', nodepool, policy },
      Number.isFinite(score.score) ? score.score : Number.MAX_VALUE,
    );
  }
}

/**
 * A consolidation's savings in real prices (the decision's own include PER_NODE_COST per node, `perNodeCost`),
 * shared among the pools of its candidates by their price (a multi-node command may span pools).
 */
function recordSavings(command: Command, reason: string, perNodeCost: number): void {
  if (command.reason !== 'Empty' && command.reason !== 'Underutilized') return;
  const savings = command.savings - perNodeCost * (command.candidates.length - command.replacements.length);
  if (!(savings > 0)) return;
  const byPool = new Map<string, number>();
  for (const c of command.candidates) {
    const pool = nameOf(c.nodePool);
    byPool.set(pool, (byPool.get(pool) ?? 0) + c.price);
  }
  const total = [...byPool.values()].reduce((a, b) => a + b, 0);
  for (const [nodepool, price] of byPool) {
    const share = total > 0 ? price / total : 1 / byPool.size;
    consolidationSavingsPerHourTotal.inc({ nodepool, reason }, savings * share);
  }
}
