/**
 * The Balanced consolidation policy (core v1.15, designs/balanced-consolidation.md), pure. A move is taken only when
 * the share of its NodePool's cost it saves, over the share of the pool's disruption cost it causes, is at least
 * 1/BALANCED_K. A node's disruption cost is a base of 1 plus each reschedulable pod's eviction cost (negative ones
 * count as 0), so an empty node still costs something; both denominators run over every node of the pool, not
 * only the candidates. Pools with another policy are not scored.
 */
import { BALANCED_K } from '../../../sdk/api/nodepool';
import { nameOf, type Pod } from '../../kube/objects';
import type { StateNode } from '../../state/cluster-state';
import { evictionCost, reschedulable, type Candidate } from './candidates';
import type { Command } from './methods';

/** What disrupting a node costs at least, whatever runs on it (upstream's PerNodeBaseDisruptionCost). */
export const PER_NODE_BASE_DISRUPTION_COST = 1;

/** 1 + Σ max(0, eviction cost) over the pods that must move. */
export function rescheduleDisruptionCost(pods: readonly Pod[]): number {
  return pods.reduce((sum, p) => sum + Math.max(0, evictionCost(p)), PER_NODE_BASE_DISRUPTION_COST);
}

export interface PoolTotals {
  /** USD/hour of every priced node in the pool. */
  totalCost: number;
  /** Σ reschedule disruption cost of every node in the pool. */
  totalDisruptionCost: number;
}

/** Per NodePool, the denominators of the score, over all its managed nodes (a node without a price adds no cost). */
export function poolTotals(
  stateNodes: readonly StateNode[],
  priceOf: (n: StateNode) => number | undefined,
): Map<string, PoolTotals> {
  const out = new Map<string, PoolTotals>();
  for (const n of stateNodes) {
    if (!n.managed || n.nodePoolName === undefined) continue;
    const totals = out.get(n.nodePoolName) ?? { totalCost: 0, totalDisruptionCost: 0 };
    totals.totalCost += priceOf(n) ?? 0;
    totals.totalDisruptionCost += rescheduleDisruptionCost(reschedulable(n.pods));
    out.set(n.nodePoolName, totals);
  }
  return out;
}

export interface MoveScore {
  savingsFraction: number;
  disruptionFraction: number;
  /** savingsFraction / disruptionFraction; 0 for no saving, Infinity for no disruption. */
  score: number;
  /** 1 / BALANCED_K. */
  threshold: number;
  approved: boolean;
}

/** Score a move that saves `savings` USD/hour and disrupts `disruptionCost` of a pool with these totals. */
export function scoreMove(
  savings: number,
  disruptionCost: number,
  totals: PoolTotals,
  k = BALANCED_K,
): MoveScore {
  const threshold = 1 / k;
  // Nothing to normalize against: upstream scores such a move 0, which never passes.
  const savingsFraction =
    totals.totalCost > 0 && totals.totalDisruptionCost > 0 ? savings / totals.totalCost : 0;
  const disruptionFraction =
    totals.totalCost > 0 && totals.totalDisruptionCost > 0 ? disruptionCost / totals.totalDisruptionCost : 0;
  let score: number;
  if (savingsFraction <= 0) score = 0;
  else if (disruptionFraction === 0) score = Infinity;
  else score = savingsFraction / disruptionFraction;
  return { savingsFraction, disruptionFraction, score, threshold, approved: score >= threshold };
}

const isBalanced = (c: Candidate) => c.nodePool.spec.disruption.consolidationPolicy === 'Balanced';

function candidateCost(c: Candidate): number {
  return rescheduleDisruptionCost(c.reschedulablePods);
}

/**
 * Score a command for each Balanced pool among its candidates; approved only if every one approves. A move across
 * pools credits each pool with the command's saving in proportion to its share of the removed nodes' price.
 */
export function evaluateBalanced(
  command: Command,
  totals: ReadonlyMap<string, PoolTotals>,
): { approved: boolean; perPool: Map<string, MoveScore> } {
  const byPool = new Map<string, Candidate[]>();
  for (const c of command.candidates) {
    const name = nameOf(c.nodePool);
    byPool.set(name, [...(byPool.get(name) ?? []), c]);
  }
  const sourceCost = command.candidates.reduce((s, c) => s + c.price, 0);
  const perPool = new Map<string, MoveScore>();
  for (const [name, members] of byPool) {
    if (!isBalanced(members[0] as Candidate)) continue;
    const poolCost = members.reduce((s, c) => s + c.price, 0);
    const savings =
      byPool.size > 1 && sourceCost > 0 ? command.savings * (poolCost / sourceCost) : command.savings;
    const disruption = members.reduce((s, c) => s + candidateCost(c), 0);
    perPool.set(
      name,
      scoreMove(savings, disruption, totals.get(name) ?? { totalCost: 0, totalDisruptionCost: 0 }),
    );
  }
  return { approved: [...perPool.values()].every((s) => s.approved), perPool };
}

/**
 * Whether even deleting the candidate outright (the best any move can do: all its price saved) would pass; if not,
 * no replacement will, and the simulation can be skipped. Candidates of other policies always pass.
 */
export function canPassThreshold(c: Candidate, totals: ReadonlyMap<string, PoolTotals>): boolean {
  if (!isBalanced(c)) return true;
  const t = totals.get(nameOf(c.nodePool));
  if (!t || t.totalCost <= 0) return true;
  return scoreMove(c.price, candidateCost(c), t).approved;
}

/** Why Balanced refused a move, for the node's explanation. */
export function rejection(pool: string, s: MoveScore): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return (
    `NodePool "${pool}" is Balanced: the move saves ${pct(s.savingsFraction)} of the pool's cost for ` +
    `${pct(s.disruptionFraction)} of its disruption cost (score ${s.score.toFixed(2)}, needs ${s.threshold.toFixed(2)})`
  );
}

/** What consolidation asks of Balanced: a pre-filter per candidate, and a verdict per move (undefined: take it). */
export interface MoveApproval {
  canPass(c: Candidate): boolean;
  reject(command: Command): string | undefined;
}

/** The approval for one decision over these pool totals; `observe` sees every move scored (for metrics). */
export function balancedApproval(
  totals: ReadonlyMap<string, PoolTotals>,
  observe?: (command: Command, perPool: Map<string, MoveScore>, approved: boolean) => void,
): MoveApproval {
  return {
    canPass: (c) => canPassThreshold(c, totals),
    reject: (command) => {
      const { approved, perPool } = evaluateBalanced(command, totals);
      observe?.(command, perPool, approved);
      if (approved) return undefined;
      const [pool, score] = [...perPool].find(([, s]) => !s.approved) as [string, MoveScore];
      return rejection(pool, score);
    },
  };
}
