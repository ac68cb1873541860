import type { Pod } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import { nodePool, plannedClaim } from '../../scheduling/testing';
import type { StateNode } from '../../state/cluster-state';
import {
  balancedApproval,
  canPassThreshold,
  evaluateBalanced,
  poolTotals,
  rescheduleDisruptionCost,
  scoreMove,
} from './balanced';
import type { Candidate } from './candidates';
import {
  BALANCED_NOT_WORTH_IT,
  multiNodeConsolidation,
  singleNodeConsolidation,
  type Command,
  type Simulate,
} from './methods';

function pod(name: string, opts: { deletionCost?: number; priority?: number } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      ...(opts.deletionCost !== undefined
        ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(opts.deletionCost) } }
        : {}),
    },
    spec: { containers: [], ...(opts.priority !== undefined ? { priority: opts.priority } : {}) },
  } as unknown as Pod;
}

const pods = (n: number) => Array.from({ length: n }, (_, i) => pod(`p${i}`));

function balancedPool(name = 'default', policy: 'Balanced' | 'WhenEmptyOrUnderutilized' = 'Balanced') {
  const np = nodePool(name);
  np.spec.disruption.consolidationPolicy = policy;
  return np;
}

function candidate(name: string, price: number, podCount: number, np = balancedPool()): Candidate {
  const stateNode = { name, labels: {} } as unknown as StateNode;
  return { stateNode, nodePool: np, price, reschedulablePods: pods(podCount), disruptionCost: podCount };
}

const deleteOf = (cs: Candidate[], savings = cs.reduce((s, c) => s + c.price, 0)): Command => ({
  reason: 'Underutilized',
  candidates: cs,
  replacements: [],
  savings,
});

describe('rescheduleDisruptionCost', () => {
  it('is 1 for an empty node and adds each pod, a negative eviction cost counting as 0', () => {
    expect(rescheduleDisruptionCost([])).toBe(1);
    expect(rescheduleDisruptionCost(pods(3))).toBe(4);
    // priority -2^25 · 20 would take the pod's cost to the −10 clamp: it adds nothing, never subtracts.
    expect(rescheduleDisruptionCost([pod('low', { priority: -20 * 2 ** 25 })])).toBe(1);
    expect(rescheduleDisruptionCost([pod('high', { priority: 2 ** 25 })])).toBe(3);
  });
});

describe('poolTotals', () => {
  it('sums price and disruption cost over every managed node of each pool, candidate or not', () => {
    const node = (name: string, pool: string | undefined, podCount: number, managed = true) =>
      ({ name, managed, nodePoolName: pool, pods: pods(podCount) }) as unknown as StateNode;
    const prices: Record<string, number> = { a: 0.1, b: 0.3, c: 0.2, d: 5 };
    const totals = poolTotals(
      [node('a', 'x', 2), node('b', 'x', 0), node('c', 'y', 1), node('d', undefined, 9, false)],
      (n) => prices[n.name],
    );
    expect(totals.get('x')?.totalCost).toBeCloseTo(0.4);
    expect(totals.get('x')?.totalDisruptionCost).toBe(3 + 1);
    expect(totals.get('y')).toEqual({ totalCost: 0.2, totalDisruptionCost: 2 });
    expect(totals.has('undefined')).toBe(false);
  });
});

describe('scoreMove', () => {
  const totals = { totalCost: 1, totalDisruptionCost: 10 };

  it('approves exactly when savings share / disruption share reaches 1/K (K = 2)', () => {
    // 10% of the cost for 20% of the disruption: 0.5, the threshold itself.
    expect(scoreMove(0.1, 2, totals)).toMatchObject({ score: 0.5, threshold: 0.5, approved: true });
    // A little less saving flips it.
    expect(scoreMove(0.09, 2, totals).approved).toBe(false);
    // As does a little more disruption.
    expect(scoreMove(0.1, 2.5, totals).approved).toBe(false);
    // A larger K lowers the bar.
    expect(scoreMove(0.09, 2, totals, 4).approved).toBe(true);
  });

  it('scores no saving 0 and no disruption as infinite; a pool with no totals never passes', () => {
    expect(scoreMove(0, 1, totals)).toMatchObject({ score: 0, approved: false });
    expect(scoreMove(-0.1, 1, totals).approved).toBe(false);
    expect(scoreMove(0.01, 0, totals)).toMatchObject({ score: Infinity, approved: true });
    expect(scoreMove(1, 1, { totalCost: 0, totalDisruptionCost: 10 }).approved).toBe(false);
  });
});

describe('evaluateBalanced', () => {
  it('scores only Balanced pools and approves only when every one does', () => {
    const other = balancedPool('other', 'WhenEmptyOrUnderutilized');
    const busy = candidate('busy', 0.1, 9); // cost 10 of 20
    const idle = candidate('idle', 0.1, 0, other);
    const totals = new Map([
      ['default', { totalCost: 1, totalDisruptionCost: 20 }],
      ['other', { totalCost: 0.2, totalDisruptionCost: 2 }],
    ]);
    const { approved, perPool } = evaluateBalanced(deleteOf([busy, idle]), totals);
    expect([...perPool.keys()]).toEqual(['default']);
    // Cross-pool: default is credited half of the 0.2 saved (its share of the price): 10% vs 50% → 0.2.
    expect(perPool.get('default')?.savingsFraction).toBeCloseTo(0.1);
    expect(perPool.get('default')?.score).toBeCloseTo(0.2);
    expect(approved).toBe(false);
    // Alone, the same node saves its whole price: 10% for 50% is still too little; a cheap, quiet node passes.
    expect(evaluateBalanced(deleteOf([busy]), totals).approved).toBe(false);
    expect(evaluateBalanced(deleteOf([candidate('quiet', 0.1, 1)]), totals).approved).toBe(true);
    // Other policies are not scored at all.
    expect(evaluateBalanced(deleteOf([idle]), totals)).toEqual({ approved: true, perPool: new Map() });
  });

  it('pre-filters a candidate whose outright deletion would not pass', () => {
    const totals = new Map([['default', { totalCost: 1, totalDisruptionCost: 10 }]]);
    expect(canPassThreshold(candidate('cheap-busy', 0.1, 4), totals)).toBe(false); // 10% vs 50%
    expect(canPassThreshold(candidate('dear-busy', 0.3, 4), totals)).toBe(true); // 30% vs 50%
    expect(
      canPassThreshold(candidate('x', 0.1, 4, balancedPool('d', 'WhenEmptyOrUnderutilized')), totals),
    ).toBe(true);
  });
});

describe('consolidation under Balanced', () => {
  const fits: Simulate = () => ({ existing: new Map(), newNodeClaims: [], unschedulable: new Map() });
  const budgets = new Map([['default', 10]]);

  it('single-node: skips a move not worth its disruption and takes one that is', () => {
    // Three nodes, $0.1 each; a busy one (9 pods) and a quiet one (1 pod). Totals: 0.3, 10 + 2 + 1.
    const busy = candidate('busy', 0.1, 9);
    const quiet = candidate('quiet', 0.1, 1);
    const totals = new Map([['default', { totalCost: 0.3, totalDisruptionCost: 13 }]]);
    const skipped = new Map<string, string>();
    const chosen = singleNodeConsolidation([busy], budgets, fits, skipped, {}, balancedApproval(totals));
    expect(chosen).toBeUndefined();
    expect(skipped.get('busy')).toBe(BALANCED_NOT_WORTH_IT);
    // Under WhenEmptyOrUnderutilized the same node would go.
    expect(singleNodeConsolidation([busy], budgets, fits, new Map())?.candidates).toEqual([busy]);
    const taken = singleNodeConsolidation(
      [busy, quiet],
      budgets,
      fits,
      new Map(),
      {},
      balancedApproval(totals),
    );
    expect(taken?.candidates).toEqual([quiet]);
  });

  it('single-node: a replacement that saves too little is refused with the score in the explanation', () => {
    const node = candidate('n', 0.3, 3);
    const totals = new Map([['default', { totalCost: 0.3, totalDisruptionCost: 4 }]]);
    // Deleting would pass (100% vs 100%), but the simulation needs a replacement saving only a third.
    const small: InstanceType = {
      name: 'small',
      requirements: new Requirements([Requirement.in('node.kubernetes.io/instance-type', ['small'])]),
      capacity: { cpu: 2000, memory: 4e9, pods: 29 },
      overhead: {},
      allocatable: { cpu: 1900, memory: 3.5e9, pods: 29 },
      offerings: [{ capacityType: 'on-demand', zone: 'us-east-1a', price: 0.2, available: true }],
    };
    const replaced: Simulate = () => ({
      existing: new Map(),
      newNodeClaims: [plannedClaim([small])],
      unschedulable: new Map(),
    });
    const skipped = new Map<string, string>();
    expect(
      singleNodeConsolidation([node], budgets, replaced, skipped, {}, balancedApproval(totals)),
    ).toBeUndefined();
    expect(skipped.get('n')).toMatch(
      /Balanced: the move saves 33\.3% of the pool's cost for 100% .*needs 0\.50/,
    );
  });

  it('multi-node: a prefix Balanced refuses counts as one that does not fit', () => {
    // Two quiet nodes and a busy one, in a pool costing $1 with disruption cost 20. Two quiet: 20% saved for 20%
    // of the disruption (score 1); with the busy one: 30% for 70% (0.43), under the 0.5 needed.
    const cs = [candidate('q1', 0.1, 1), candidate('q2', 0.1, 1), candidate('busy', 0.1, 9)];
    const totals = new Map([['default', { totalCost: 1, totalDisruptionCost: 20 }]]);
    const withBalanced = multiNodeConsolidation(cs, budgets, fits, new Map(), {}, balancedApproval(totals));
    expect(withBalanced?.candidates.map((c) => c.stateNode.name)).toEqual(['q1', 'q2']);
    expect(multiNodeConsolidation(cs, budgets, fits, new Map())?.candidates).toHaveLength(3);
  });
});
