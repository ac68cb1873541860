/**
 * Node repair decisions, pure (upstream core v1.15: pkg/controllers/node/health/policy.go for matching and the
 * repair score, pkg/controllers/disruption/repair.go for the safety limit, the veto and the one-per-pass rule). A
 * node whose condition matches one of the cloud's repair policies is repaired once the condition has held for the
 * policy's toleration, highest score first, one node per pass, within its NodePool's Unhealthy budget, unless more
 * than 20% of the pool (rounded up) is unhealthy: a correlated failure that replacing nodes will not fix.
 */
import type { RepairPolicy } from '../../../cloudprovider/types';

/** Upstream's repairUnhealthyThreshold: no repair in a pool with more than this share of its nodes unhealthy. */
export const REPAIR_UNHEALTHY_THRESHOLD = 0.2;
/** Time past toleration that earns a node one rank of priority, so no node starves (upstream's agingConstant). */
export const AGING_MS = 30 * 60_000;

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  lastTransitionTime?: string;
}

export interface RepairNode {
  name: string;
  nodePool?: string;
  /** Node creation, epoch ms: a condition cannot predate its node. */
  createdAt: number;
  conditions: readonly NodeCondition[];
  initialized: boolean;
  deleting: boolean;
  /** Annotated karpenter.sh/do-not-repair=true (node or NodeClaim). */
  doNotRepair: boolean;
  /** A pod whose eviction a PDB or do-not-disrupt would block, described; undefined when none. */
  blockingPod?: string;
  /** The NodeClaim's spec.terminationGracePeriod, ms. */
  claimTerminationGracePeriodMs?: number;
}

export interface RepairVerdict {
  node: RepairNode;
  /** The condition that decided the repair. */
  condition: NodeCondition;
  /** The drain bound: min(policy, NodeClaim) when the policy sets one; undefined inherits the NodeClaim's. */
  drainBoundMs?: number;
  score: number;
}

export interface Held {
  node: string;
  /** NodeRepairBlocked for the safety limit, DisruptionBlocked otherwise, as upstream's events. */
  event: 'NodeRepairBlocked' | 'DisruptionBlocked';
  message: string;
}

export interface RepairDecision {
  /** At most one node per pass. */
  repair?: RepairVerdict;
  /** Unhealthy nodes still within toleration, and when the first of their policies becomes due. */
  waiting: { node: string; until: number }[];
  held: Held[];
}

function matches(policy: RepairPolicy, c: NodeCondition): boolean {
  if (policy.conditionType !== c.type || policy.conditionStatus !== c.status) return false;
  return policy.reasonRegex === undefined || new RegExp(policy.reasonRegex).test(c.reason ?? '');
}

/** Unhealthy, whatever the toleration: some condition matches a policy. What the safety limit counts. */
export function isUnhealthy(
  node: Pick<RepairNode, 'conditions'>,
  policies: readonly RepairPolicy[],
): boolean {
  return node.conditions.some((c) => policies.some((p) => matches(p, c)));
}

/** Policy priorities compressed to dense ranks (0, 1, ...): only their order matters. */
function denseRanks(policies: readonly RepairPolicy[]): Map<number, number> {
  const priorities = [...new Set(policies.map((p) => p.priority ?? 0))].sort((a, b) => a - b);
  return new Map(priorities.map((p, i) => [p, i]));
}

interface Resolved {
  eligible: { policy: RepairPolicy; condition: NodeCondition; eligibleAt: number }[];
  /** The earliest time a matched, not yet eligible policy becomes due. */
  nextAt?: number;
}

function resolve(node: RepairNode, policies: readonly RepairPolicy[], now: number): Resolved {
  const out: Resolved = { eligible: [] };
  for (const condition of node.conditions) {
    const since = Math.max(Date.parse(condition.lastTransitionTime ?? '') || 0, node.createdAt);
    for (const policy of policies) {
      if (!matches(policy, condition)) continue;
      const eligibleAt = since + policy.tolerationMs;
      if (eligibleAt <= now) out.eligible.push({ policy, condition, eligibleAt });
      else out.nextAt = Math.min(out.nextAt ?? Infinity, eligibleAt);
    }
  }
  return out;
}

/** The verdict for a node with eligible policies: the deciding condition, the drain bound and the score. */
function verdictFor(
  node: RepairNode,
  eligible: Resolved['eligible'],
  ranks: Map<number, number>,
  now: number,
): RepairVerdict {
  // Highest priority decides, then the longest overdue, then the condition type's name, so the choice is stable.
  const [chosen] = [...eligible].sort(
    (a, b) =>
      (b.policy.priority ?? 0) - (a.policy.priority ?? 0) ||
      a.eligibleAt - b.eligibleAt ||
      a.condition.type.localeCompare(b.condition.type),
  );
  const bounds = eligible.flatMap((e) =>
    e.policy.terminationGracePeriodMs === undefined ? [] : [e.policy.terminationGracePeriodMs],
  );
  const policyBound = bounds.length > 0 ? Math.min(...bounds) : undefined;
  const claim = node.claimTerminationGracePeriodMs;
  const drainBoundMs =
    policyBound === undefined ? undefined : claim === undefined ? policyBound : Math.min(policyBound, claim);
  const score = Math.max(
    ...eligible.map((e) => (ranks.get(e.policy.priority ?? 0) ?? 0) + (now - e.eligibleAt) / AGING_MS),
  );
  return {
    node,
    condition: (chosen as Resolved['eligible'][number]).condition,
    ...(drainBoundMs !== undefined ? { drainBoundMs } : {}),
    score,
  };
}

/** NodePools whose unhealthy nodes exceed the threshold (20% of the pool's nodes, rounded up). */
export function trippedPools(nodes: readonly RepairNode[], policies: readonly RepairPolicy[]): Set<string> {
  const total = new Map<string, number>();
  const unhealthy = new Map<string, number>();
  for (const n of nodes) {
    if (n.nodePool === undefined) continue;
    total.set(n.nodePool, (total.get(n.nodePool) ?? 0) + 1);
    if (isUnhealthy(n, policies)) unhealthy.set(n.nodePool, (unhealthy.get(n.nodePool) ?? 0) + 1);
  }
  const tripped = new Set<string>();
  for (const [pool, count] of total) {
    if ((unhealthy.get(pool) ?? 0) > Math.ceil(REPAIR_UNHEALTHY_THRESHOLD * count)) tripped.add(pool);
  }
  return tripped;
}

/**
 * One repair pass over a cluster's managed nodes. `budgets` are the Unhealthy allowances per NodePool; an
 * uninitialized node runs nothing to protect and takes none.
 */
export function decideRepair(
  nodes: readonly RepairNode[],
  policies: readonly RepairPolicy[],
  budgets: ReadonlyMap<string, number>,
  now: number,
): RepairDecision {
  const decision: RepairDecision = { waiting: [], held: [] };
  const ranks = denseRanks(policies);
  const due: RepairVerdict[] = [];
  for (const node of nodes) {
    if (node.deleting) continue;
    const { eligible, nextAt } = resolve(node, policies, now);
    if (eligible.length === 0) {
      if (nextAt !== undefined) decision.waiting.push({ node: node.name, until: nextAt });
      continue;
    }
    due.push(verdictFor(node, eligible, ranks, now));
  }
  due.sort((a, b) => b.score - a.score || a.node.name.localeCompare(b.node.name));
  const tripped = trippedPools(nodes, policies);
  for (const v of due) {
    const { node } = v;
    const pool = node.nodePool ?? '';
    if (node.doNotRepair) {
      decision.held.push({
        node: node.name,
        event: 'DisruptionBlocked',
        message: 'repair is blocked through the "karpenter.sh/do-not-repair" annotation',
      });
    } else if (
      node.blockingPod !== undefined &&
      v.drainBoundMs === undefined &&
      node.claimTerminationGracePeriodMs === undefined
    ) {
      decision.held.push({
        node: node.name,
        event: 'DisruptionBlocked',
        message: `repair requires a termination grace period to bypass blocking pods (${node.blockingPod})`,
      });
    } else if (tripped.has(pool)) {
      decision.held.push({
        node: node.name,
        event: 'NodeRepairBlocked',
        message: `more than ${REPAIR_UNHEALTHY_THRESHOLD * 100}% of nodes in nodepool "${pool}" are unhealthy`,
      });
    } else if (node.initialized && (budgets.get(pool) ?? 0) <= 0) {
      decision.held.push({
        node: node.name,
        event: 'DisruptionBlocked',
        message: `the disruption budget of NodePool "${pool}" allows no more (Unhealthy)`,
      });
    } else if (!decision.repair) {
      decision.repair = v;
    }
  }
  return decision;
}
