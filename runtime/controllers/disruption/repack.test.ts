import type { Pod } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { SchedulingResult } from '../../scheduling/scheduler';
import { nodePool, plannedClaim } from '../../scheduling/testing';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import { decisionLabels } from './metrics';
import type { Simulate } from './methods';
import { REPACK_MIN_SAVINGS, repackConsolidation, repackFor } from './repack';

function itype(name: string, price: number): InstanceType {
  return {
    name,
    requirements: new Requirements([Requirement.in('node.kubernetes.io/instance-type', [name])]),
    capacity: { cpu: 16000, memory: 64e9, pods: 110 },
    overhead: {},
    allocatable: { cpu: 15900, memory: 60e9, pods: 110 },
    offerings: [{ capacityType: 'on-demand', zone: 'us-east-1a', price, available: true }],
  };
}

function candidate(name: string, price: number, capacityType = 'on-demand', disruptionCost = 1): Candidate {
  const stateNode = { name, labels: { 'karpenter.sh/capacity-type': capacityType } } as unknown as StateNode;
  return { stateNode, nodePool: nodePool('default'), price, reschedulablePods: [], disruptionCost };
}

/** A simulation that plans one new node per option list given, and records the sets it was asked about. */
function planning(claims: InstanceType[][], asked: string[][] = []): Simulate {
  return (removed): SchedulingResult => {
    asked.push(removed.map((c) => c.stateNode.name));
    return {
      existing: new Map(),
      newNodeClaims: claims.map((o) => plannedClaim(o)),
      unschedulable: new Map(),
    };
  };
}

const budgets = (n: number) => new Map([['default', n]]);

describe('repackFor', () => {
  it('replaces a set with several new nodes when they save at least the minimum, keeping options under the ceiling', () => {
    // Three nodes at $1 = $3; two new nodes at $1.2 + $1.3 = $2.5 (16.7% saved, ceiling $2.7).
    const simulate = planning([
      [itype('a', 1.2), itype('b', 1.35), itype('c', 1.5)],
      [itype('d', 1.3), itype('e', 1.45)],
    ]);
    const outcome = repackFor([candidate('n1', 1), candidate('n2', 1), candidate('n3', 1)], simulate);
    if (typeof outcome === 'string') throw new Error(outcome);
    expect(outcome.savings).toBeCloseTo(0.5);
    // $0.2 of slack, $0.1 per replacement: a (1.2) and d (1.3) only, b at 1.35 would break the ceiling.
    expect(outcome.replacements.map((r) => r.instanceTypeOptions.map((it) => it.name))).toEqual([
      ['a'],
      ['d'],
    ]);
    expect(decisionLabels(outcome).consolidation_type).toBe('repack');
  });

  it('refuses a plan saving less than the minimum, saying how much it would save', () => {
    const outcome = repackFor(
      [candidate('n1', 1), candidate('n2', 1)],
      planning([[itype('a', 0.95)], [itype('b', 0.95)]]),
    );
    expect(outcome).toBe(`new nodes would save 5% of $2.0000/hour, less than ${REPACK_MIN_SAVINGS * 100}%`);
  });

  it('refuses when a pod would be left unschedulable', () => {
    const simulate: Simulate = () => ({
      existing: new Map(),
      newNodeClaims: [],
      unschedulable: new Map([['p', { pod: {} as Pod, reasons: ['too big'] }]]),
    });
    expect(repackFor([candidate('n1', 1), candidate('n2', 1)], simulate)).toBe(
      '1 pod(s) could not be rescheduled (too big)',
    );
  });
});

describe('repackConsolidation', () => {
  it('takes as many nodes as the budget allows, cheapest to disrupt first, never spot', () => {
    const asked: string[][] = [];
    const nodes = [
      candidate('spot', 1, 'spot', 0),
      candidate('c', 1, 'on-demand', 3),
      candidate('a', 1, 'on-demand', 1),
      candidate('b', 1, 'on-demand', 2),
    ];
    const command = repackConsolidation(nodes, budgets(2), planning([[itype('x', 1.5)]], asked), new Map());
    expect(asked).toEqual([['a', 'b']]);
    expect(command?.candidates.map((c) => c.stateNode.name)).toEqual(['a', 'b']);
  });

  it('halves the set until a repack saves enough, and notes why the whole set was refused', () => {
    const asked: string[][] = [];
    // All four ($4) repack into $3.9 (2.5% saved); the first two ($2) into $1.5 (25%).
    const simulate: Simulate = (removed) => {
      asked.push(removed.map((c) => c.stateNode.name));
      const price = removed.length === 4 ? 3.9 : 1.5;
      return {
        existing: new Map(),
        newNodeClaims: [plannedClaim([itype('x', price)])],
        unschedulable: new Map(),
      };
    };
    const skipped = new Map<string, string>();
    const nodes = ['a', 'b', 'c', 'd'].map((n, i) => candidate(n, 1, 'on-demand', i));
    const command = repackConsolidation(nodes, budgets(10), simulate, skipped);
    expect(asked).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'b'],
    ]);
    expect(command?.candidates.map((c) => c.stateNode.name)).toEqual(['a', 'b']);
    expect(skipped.get('d')).toMatch(/^repack: new nodes would save 2.5% of \$4.0000\/hour/);
  });

  it('needs two nodes: with a budget of one it plans nothing', () => {
    const asked: string[][] = [];
    const nodes = [candidate('a', 1), candidate('b', 1)];
    expect(
      repackConsolidation(nodes, budgets(1), planning([[itype('x', 0.5)]], asked), new Map()),
    ).toBeUndefined();
    expect(asked).toEqual([]);
  });
});
