/**
 * Disruption methods as pure decisions over candidates. Emptiness removes nodes with nothing to reschedule;
 * single-node consolidation removes a node whose pods fit elsewhere, or replaces it with one cheaper node. Each
 * returns at most one command and a reason for every candidate it passed over.
 */
import { CapacityType, Labels } from '../../../sdk/api/well-known';
import { cheapestOffering, type InstanceType } from '../../scheduling/instance-types';
import { nameOf } from '../../kube/objects';
import type { PlannedNodeClaim, SchedulingResult } from '../../scheduling/scheduler';
import type { MoveApproval } from './balanced';
import type { BudgetReason } from './budgets';
import type { Candidate } from './candidates';
import type { TerminateFirstReason } from './terminate-first';
import { replannedBecause } from './stability';

export interface Command {
  reason: BudgetReason;
  candidates: Candidate[];
  /** Nodes to launch (and wait for) before the candidates go; empty for a plain delete. */
  replacements: PlannedNodeClaim[];
  /** USD/hour saved. */
  savings: number;
  /**
   * Running nodes the simulation moved the candidates' pods onto: held (nominated) while the candidates drain,
   * so a later decision does not remove the room those pods were counted on (an empty destination looks Empty).
   */
  destinations?: string[];
  /**
   * Set on a delete-only command whose candidates go before their replacements can launch (the TerminateFirstDrift
   * gate): why the replacement could not be staged first. @default undefined (replace first)
   */
  terminateFirst?: TerminateFirstReason;
  /** Node repair's drain bound, ms: stamped as each NodeClaim's termination deadline just before its delete. */
  drainBoundMs?: number;
}

/** The nodes a simulation placed pods on. */
export function destinationsOf(result: SchedulingResult): string[] {
  return [...result.existing].filter(([, pods]) => pods.length > 0).map(([node]) => node);
}

export type Budgets = Map<string, number>;

/** Record why a method passed a node over, keeping what earlier methods said about it. */
export function note(skipped: Map<string, string>, node: string, reason: string): void {
  const prior = skipped.get(node);
  skipped.set(node, prior && !prior.includes(reason) ? `${prior}; ${reason}` : reason);
}

function poolName(c: Candidate): string {
  return nameOf(c.nodePool);
}

/** True when the candidate's pool may still lose a node for `reason`; otherwise notes why it was kept. */
export function budgetLeft(
  budgets: Budgets,
  c: Candidate,
  reason: BudgetReason,
  prefix: string,
  skipped: Map<string, string>,
): boolean {
  if ((budgets.get(poolName(c)) ?? 0) > 0) return true;
  note(
    skipped,
    c.stateNode.name,
    `${prefix}the disruption budget of NodePool "${poolName(c)}" allows no more (${reason})`,
  );
  return false;
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
    if (!budgetLeft(remaining, c, 'Empty', 'empty, but ', skipped)) continue;
    remaining.set(poolName(c), (remaining.get(poolName(c)) as number) - 1);
    chosen.push(c);
  }
  if (chosen.length === 0) return undefined;
  return {
    reason: 'Empty',
    candidates: chosen,
    replacements: [],
    savings: chosen.reduce((s, c) => s + c.price, 0),
  };
}

export interface SimulateOptions {
  /** One new node where one holds them all (see plan.ts). */
  oneNewClaim?: boolean;
  /** The moved pods go only onto new nodes: the nodes that stay take none (they still count for topology). */
  newNodesOnly?: boolean;
}

/** Plan the cluster without `removed`. */
export type Simulate = (removed: Candidate[], opts?: SimulateOptions) => SchedulingResult;

export interface ConsolidationOptions {
  /**
   * The smallest share of the removed nodes' price a replacement must save, 0–1, against churn for pennies.
   * @default 0 (any replacement that is strictly cheaper)
   */
  minSavingsFraction?: number;
  /**
   * Compute time (wall clock) one multi-node / single-node pass may spend before it stops with what it has, so a
   * huge cluster delays a decision instead of stalling the loop.
   * @default 60_000 / 180_000, as upstream
   */
  multiNodeTimeLimitMs?: number;
  singleNodeTimeLimitMs?: number;
  /** Wall-clock source for the limits. @default performance.now */
  elapsedMs?: () => number;
  /**
   * The SpotToSpotConsolidation feature gate: whether a spot node may be replaced by a cheaper spot node. Off, as
   * upstream's default, spot nodes are only deleted or replaced by on-demand.
   * @default false
   */
  spotToSpot?: boolean;
  /**
   * Repack consolidation (see repack.ts): replace several on-demand nodes with fewer or cheaper ones the scheduler
   * plans afresh, when that saves at least REPACK_MIN_SAVINGS of their price.
   * @default false (as upstream: at most one replacement)
   */
  repack?: boolean;
}

export const MULTI_NODE_TIME_LIMIT_MS = 60_000;
export const SINGLE_NODE_TIME_LIMIT_MS = 180_000;

/** A spot node is only replaced by spot when this many cheaper types exist, as upstream (interruption risk). */
export const SPOT_TO_SPOT_MIN_INSTANCE_TYPES = 15;

export const SPOT_TO_SPOT_DISABLED =
  "SpotToSpotConsolidation is disabled, can't replace a spot node with a spot node";

export function isSpot(c: Candidate): boolean {
  return c.stateNode.labels[Labels.capacityType] === CapacityType.spot;
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/**
 * What removing these candidates together would take: a delete, one replacement, or why neither works. A
 * replacement must cost less than everything it removes and less than the priciest node among them, so several
 * nodes are never swapped for one more of the same type (deleting would do) and nothing churns for no saving.
 * Spot nodes are replaced by spot only with the SpotToSpotConsolidation gate on, one at a time, and only with
 * enough cheaper types to choose from.
 */
export function consolidationFor(
  candidates: Candidate[],
  simulate: Simulate,
  opts: ConsolidationOptions = {},
): Command | string {
  let result = simulate(candidates);
  // The cheapest plan may be two small nodes where one replacement would still save much: with repack
  // consolidation on, ask for one (off, as upstream: on the real control plane it moved ten times the pods).
  if (
    opts.repack &&
    result.newNodeClaims.length > 1 &&
    result.unschedulable.size === 0 &&
    oneNodeMightHold(result.newNodeClaims)
  )
    result = simulate(candidates, { oneNewClaim: true });
  const total = candidates.reduce((sum, c) => sum + c.price, 0);
  if (result.unschedulable.size > 0) {
    const first = [...result.unschedulable.values()][0];
    return `${result.unschedulable.size} pod(s) could not be rescheduled (${first?.reasons[0] ?? 'no room'})`;
  }
  if (result.newNodeClaims.length === 0) {
    return {
      reason: 'Underutilized',
      candidates,
      replacements: [],
      savings: total,
      destinations: destinationsOf(result),
    };
  }
  if (result.newNodeClaims.length > 1) {
    return `can't remove without creating ${result.newNodeClaims.length} nodes`;
  }
  const plan = result.newNodeClaims[0] as PlannedNodeClaim;
  const priceOf = (it: InstanceType) => cheapestOffering(it, plan.requirements)?.price ?? Infinity;
  const ceiling = Math.min(total, Math.max(...candidates.map((c) => c.price)));
  let cheaper = plan.instanceTypeOptions.filter((it) => priceOf(it) < ceiling);
  // A plan made again with every moved pod on the replacement (stability.ts) says why it was.
  const because = replannedBecause(result);
  const refuse = (why: string) => (because ? `${because}; with every moved pod on a new node, ${why}` : why);
  if (cheaper.length === 0) {
    return refuse(`replacing it would not be cheaper than its $${ceiling.toFixed(4)}/hour`);
  }
  const minSavings = opts.minSavingsFraction ?? 0;
  const best = cheaper[0] as InstanceType;
  if ((total - priceOf(best)) / total < minSavings) {
    return refuse(
      `replacement ${best.name} saves only ${percent((total - priceOf(best)) / total)}, less than the ${percent(minSavings)} required`,
    );
  }
  cheaper = cheaper.filter((it) => (total - priceOf(it)) / total >= minSavings);
  const spotToSpot =
    candidates.every(isSpot) && (plan.requirements.get(Labels.capacityType)?.has(CapacityType.spot) ?? true);
  if (spotToSpot) {
    if (!opts.spotToSpot) return SPOT_TO_SPOT_DISABLED;
    if (candidates.length > 1) return 'spot nodes are replaced by spot one at a time';
    if (cheaper.length < SPOT_TO_SPOT_MIN_INSTANCE_TYPES) {
      return `spot-to-spot replacement needs ${SPOT_TO_SPOT_MIN_INSTANCE_TYPES} cheaper instance types, only ${cheaper.length} found`;
    }
    // Launching among the cheapest few keeps the new node from landing on a type as pricey as the old one.
    cheaper = cheaper.slice(0, SPOT_TO_SPOT_MIN_INSTANCE_TYPES);
  }
  return {
    reason: 'Underutilized',
    candidates,
    replacements: [{ ...plan, instanceTypeOptions: cheaper }],
    savings: total - priceOf(best),
    destinations: destinationsOf(result),
  };
}

/** Σ requests of the claims fit the largest instance type any of them offers: a merge is worth planning. */
function oneNodeMightHold(claims: PlannedNodeClaim[]): boolean {
  const sum: Record<string, number> = {};
  for (const c of claims) for (const [k, v] of Object.entries(c.requests)) sum[k] = (sum[k] ?? 0) + v;
  return claims.some((c) =>
    c.instanceTypeOptions.some((it) => Object.entries(sum).every(([k, v]) => v <= (it.allocatable[k] ?? 0))),
  );
}

/** Candidates a pool lets consolidation consider, cheapest to disrupt first. */
export function consolidationOrder(candidates: Candidate[], skipped: Map<string, string>): Candidate[] {
  const eligible = candidates.filter((c) => {
    if (c.nodePool.spec.disruption.consolidationPolicy !== 'WhenEmpty') return true;
    note(skipped, c.stateNode.name, `NodePool "${poolName(c)}" only consolidates empty nodes (WhenEmpty)`);
    return false;
  });
  return eligible.sort(
    (a, b) => a.disruptionCost - b.disruptionCost || a.stateNode.name.localeCompare(b.stateNode.name),
  );
}

export const BALANCED_NOT_WORTH_IT =
  "NodePool is Balanced and even deleting this node would save too little of the pool's cost for its disruption";

/** Upper bound of candidates one multi-node pass considers, as upstream. */
export const MULTI_NODE_MAX_CANDIDATES = 100;

/**
 * Multi-node consolidation: the largest prefix (two or more) of the cheapest-to-disrupt candidates, within the
 * Underutilized budgets, whose pods all fit on the remaining nodes plus at most one cheaper replacement. Found by
 * binary search over the prefix length, as Karpenter does. A move `approval` (Balanced) refuses counts as one that
 * does not work.
 */
export function multiNodeConsolidation(
  candidates: Candidate[],
  budgets: Budgets,
  simulate: Simulate,
  skipped: Map<string, string>,
  opts: ConsolidationOptions = {},
  approval?: MoveApproval,
): Command | undefined {
  const ordered = consolidationOrder(candidates, new Map(skipped));
  // The prefix may not take more nodes from a pool than its budget allows.
  const remaining = new Map(budgets);
  const within: Candidate[] = [];
  for (const c of ordered.slice(0, MULTI_NODE_MAX_CANDIDATES)) {
    const left = remaining.get(poolName(c)) ?? 0;
    if (left <= 0) break;
    remaining.set(poolName(c), left - 1);
    within.push(c);
  }
  let lo = 2;
  let hi = within.length;
  let best: Command | undefined;
  const now = opts.elapsedMs ?? (() => performance.now());
  const stopAt = now() + (opts.multiNodeTimeLimitMs ?? MULTI_NODE_TIME_LIMIT_MS);
  while (lo <= hi && now() < stopAt) {
    const mid = Math.floor((lo + hi) / 2);
    const outcome = consolidationFor(within.slice(0, mid), simulate, opts);
    if (typeof outcome === 'string' || approval?.reject(outcome) !== undefined) hi = mid - 1;
    else {
      best = outcome;
      lo = mid + 1;
    }
  }
  return best;
}

/**
 * Single-node consolidation: candidates cheapest-to-disrupt first; the first that can go (within its pool's
 * Underutilized budget, and that `approval`, if given, takes) becomes the command.
 */
export function singleNodeConsolidation(
  candidates: Candidate[],
  budgets: Budgets,
  simulate: Simulate,
  skipped: Map<string, string>,
  opts: ConsolidationOptions = {},
  approval?: MoveApproval,
): Command | undefined {
  const now = opts.elapsedMs ?? (() => performance.now());
  const stopAt = now() + (opts.singleNodeTimeLimitMs ?? SINGLE_NODE_TIME_LIMIT_MS);
  for (const c of consolidationOrder(candidates, skipped)) {
    if (now() >= stopAt) {
      note(skipped, c.stateNode.name, 'the single-node pass ran out of time before reaching it');
      continue;
    }
    if (!budgetLeft(budgets, c, 'Underutilized', '', skipped)) continue;
    if (approval && !approval.canPass(c)) {
      note(skipped, c.stateNode.name, BALANCED_NOT_WORTH_IT);
      continue;
    }
    const outcome = consolidationFor([c], simulate, opts);
    const refused = typeof outcome === 'string' ? outcome : approval?.reject(outcome);
    if (refused !== undefined) {
      note(skipped, c.stateNode.name, refused);
      continue;
    }
    return outcome as Command;
  }
  return undefined;
}

/** The order drift takes candidates in: empty ones first, then the oldest. */
export function driftOrder(candidates: readonly Candidate[]): Candidate[] {
  const created = (c: Candidate) => Date.parse(c.stateNode.nodeClaim?.metadata.creationTimestamp ?? '') || 0;
  return [...candidates].sort(
    (a, b) =>
      Number(a.reschedulablePods.length > 0) - Number(b.reschedulablePods.length > 0) ||
      created(a) - created(b) ||
      a.stateNode.name.localeCompare(b.stateNode.name),
  );
}

/**
 * Drift: replace drifted candidates, as many at once as each pool's Drifted budget allows (not one at a time),
 * empty ones first, then the oldest. A candidate joins the command only if, together with those already chosen,
 * every pod still has a place (on other nodes or on replacements).
 */
export function drift(
  candidates: Candidate[],
  budgets: Budgets,
  simulate: Simulate,
  skipped: Map<string, string>,
): Command | undefined {
  const ordered = driftOrder(candidates);
  const remaining = new Map(budgets);
  let chosen: Candidate[] = [];
  let plan: ReturnType<Simulate> | undefined;
  for (const c of ordered) {
    if (!budgetLeft(remaining, c, 'Drifted', 'drifted, but ', skipped)) continue;
    const trial = simulate([...chosen, c]);
    if (trial.unschedulable.size > 0) {
      const first = [...trial.unschedulable.values()][0];
      note(
        skipped,
        c.stateNode.name,
        `drifted, but its pods could not be rescheduled (${first?.reasons[0] ?? 'no room'})`,
      );
      continue;
    }
    chosen = [...chosen, c];
    plan = trial;
    remaining.set(poolName(c), (remaining.get(poolName(c)) as number) - 1);
  }
  if (chosen.length === 0 || !plan) return undefined;
  return {
    reason: 'Drifted',
    candidates: chosen,
    replacements: plan.newNodeClaims,
    savings: 0,
    destinations: destinationsOf(plan),
  };
}
