/**
 * Steering evicted pods past the nodes that go next. With a budget of one or two nodes at a time, consolidation
 * removes nodes in turn; the kube-scheduler puts each one's evicted pods on the least allocated nodes, which are
 * the next to go, so the same pods move again and again. Before a command runs, the nodes consolidation expects
 * to remove after it get a PreferNoSchedule taint (Taints.consolidationCandidate): the kube-scheduler then places
 * the pods on the nodes that stay. Pure: which nodes, not how the taint is written (Orchestrator.steer).
 */
import { nameOf } from '../../kube/objects';
import type { Candidate } from './candidates';
import {
  consolidationFor,
  multiNodeConsolidation,
  type Budgets,
  type Command,
  type ConsolidationOptions,
  type Simulate,
} from './methods';

/**
 * The nodes, besides the command's own, whose pods could all move to the rest of the cluster together: the
 * largest set multi-node consolidation would remove if no budget held it back. Empty when the command is not a
 * consolidation, or nothing else would go.
 */
export function expectedRemovals(
  candidates: Candidate[],
  command: Command,
  simulate: Simulate,
  opts: ConsolidationOptions = {},
): Set<string> {
  if (command.reason !== 'Underutilized') return new Set();
  const inCommand = new Set(command.candidates.map((c) => c.stateNode.name));
  const rest = candidates.filter((c) => !inCommand.has(c.stateNode.name));
  if (rest.length === 0) return new Set();
  const unlimited: Budgets = new Map(candidates.map((c) => [nameOf(c.nodePool), Number.MAX_SAFE_INTEGER]));
  // The command's nodes are gone by the time the others are: simulate them removed together with each prefix.
  const afterCommand: Simulate = (removed, opts) => simulate([...command.candidates, ...removed], opts);
  const together = multiNodeConsolidation(rest, unlimited, afterCommand, new Map(), opts);
  if (together) return new Set(together.candidates.map((c) => c.stateNode.name));
  // No two go together: perhaps the cheapest one to disrupt goes on its own.
  const first = [...rest].sort((a, b) => a.disruptionCost - b.disruptionCost)[0] as Candidate;
  return typeof consolidationFor([first], afterCommand, opts) === 'string'
    ? new Set()
    : new Set([first.stateNode.name]);
}
