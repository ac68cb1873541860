/** The round summary the provisioner logs at debug level. */
import type { SchedulableNode, SchedulingResult } from '../../scheduling/scheduler';
import { formatTaint } from '../../scheduling/taints';

/** What a round saw and decided, for debugging a launch: the nodes still starting are the usual suspects. */
export function roundSummary(
  pods: number,
  nodes: SchedulableNode[],
  result: SchedulingResult,
): Record<string, unknown> {
  const reasons = new Map<string, number>();
  for (const { reasons: r } of result.unschedulable.values()) {
    const key = r.join('; ');
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  return {
    pods,
    nodes: nodes.length,
    inFlight: nodes
      .filter((n) => n.inFlight)
      .map((n) => `${n.name} taints=[${n.taints.map(formatTaint).join(',')}]`),
    newNodeClaims: result.newNodeClaims.length,
    nominated: [...result.existing.values()].reduce((sum, placed) => sum + placed.length, 0),
    unschedulable: Object.fromEntries(reasons),
  };
}
