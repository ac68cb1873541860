import type { RepairPolicy } from '../../../cloudprovider/types';
import { AWS_REPAIR_POLICIES } from '../../../cloudprovider/types';
import { decideRepair, isUnhealthy, trippedPools, type RepairNode } from './repair';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

function node(name: string, opts: Partial<RepairNode> & { ready?: string; since?: number } = {}): RepairNode {
  const { ready = 'True', since = 0, ...rest } = opts;
  return {
    name,
    nodePool: 'pool',
    createdAt: T0 - 60 * MIN,
    conditions: [{ type: 'Ready', status: ready, reason: '', lastTransitionTime: at(since) }],
    initialized: true,
    deleting: false,
    doNotRepair: false,
    ...rest,
  };
}

const healthy = (n: number) => Array.from({ length: n }, (_, i) => node(`ok${i}`));
const budgets = new Map([['pool', 10]]);

describe('decideRepair with the AWS policies', () => {
  it('waits out the toleration (30 min for Ready=False), then repairs', () => {
    const nodes = [node('sick', { ready: 'False' }), ...healthy(9)];
    const early = decideRepair(nodes, AWS_REPAIR_POLICIES, budgets, T0 + 29 * MIN);
    expect(early.repair).toBeUndefined();
    expect(early.waiting).toEqual([{ node: 'sick', until: T0 + 30 * MIN }]);
    const due = decideRepair(nodes, AWS_REPAIR_POLICIES, budgets, T0 + 30 * MIN);
    expect(due.repair?.node.name).toBe('sick');
    expect(due.repair?.condition.status).toBe('False');
    // The AWS policies set no drain bound: the NodeClaim's own terminationGracePeriod applies.
    expect(due.repair?.drainBoundMs).toBeUndefined();
  });

  it('uses each condition’s own toleration: AcceleratedHardwareReady=False after 10 min', () => {
    const gpu = node('gpu', {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'AcceleratedHardwareReady', status: 'False', reason: 'NvidiaXID', lastTransitionTime: at(0) },
      ],
    });
    expect(
      decideRepair([gpu, ...healthy(9)], AWS_REPAIR_POLICIES, budgets, T0 + 10 * MIN).repair?.node.name,
    ).toBe('gpu');
    // A condition the policies do not list (or a healthy status) is never repaired.
    const other = node('x', {
      conditions: [{ type: 'MemoryPressure', status: 'True', lastTransitionTime: at(0) }],
    });
    expect(isUnhealthy(other, AWS_REPAIR_POLICIES)).toBe(false);
  });

  it('holds every repair in a pool with more than 20% (rounded up) of its nodes unhealthy', () => {
    // 10 nodes: 2 unhealthy is at the limit (ceil(2)), 3 is over it.
    const two = [node('a', { ready: 'False' }), node('b', { ready: 'Unknown' }), ...healthy(8)];
    expect(trippedPools(two, AWS_REPAIR_POLICIES).size).toBe(0);
    expect(decideRepair(two, AWS_REPAIR_POLICIES, budgets, T0 + 31 * MIN).repair).toBeDefined();
    // Still within toleration counts: the limit is about how many are unhealthy, not how many are due.
    const three = [...two.slice(0, 2), node('c', { ready: 'False', since: 30 * MIN }), ...healthy(7)];
    const held = decideRepair(three, AWS_REPAIR_POLICIES, budgets, T0 + 31 * MIN);
    expect(held.repair).toBeUndefined();
    expect(held.held.map((h) => [h.node, h.event, h.message])).toEqual([
      ['a', 'NodeRepairBlocked', 'more than 20% of nodes in nodepool "pool" are unhealthy'],
      ['b', 'NodeRepairBlocked', 'more than 20% of nodes in nodepool "pool" are unhealthy'],
    ]);
    // Rounding up: in a pool of 3, one unhealthy node (33%) is still repaired.
    expect(
      decideRepair(
        [node('a', { ready: 'False' }), ...healthy(2)],
        AWS_REPAIR_POLICIES,
        budgets,
        T0 + 31 * MIN,
      ).repair,
    ).toBeDefined();
  });

  it('repairs one node per pass, the longest overdue first', () => {
    const nodes = [
      node('late', { ready: 'False', since: 5 * MIN }),
      node('early', { ready: 'False' }),
      ...healthy(8),
    ];
    const d = decideRepair(nodes, AWS_REPAIR_POLICIES, budgets, T0 + 40 * MIN);
    expect(d.repair?.node.name).toBe('early');
    expect(d.held).toEqual([]);
  });

  it('is vetoed by do-not-repair, the Unhealthy budget, and blocking pods without a drain bound', () => {
    const now = T0 + 31 * MIN;
    const sick = (o: Partial<RepairNode>) => [node('s', { ready: 'False', ...o }), ...healthy(9)];
    expect(
      decideRepair(sick({ doNotRepair: true }), AWS_REPAIR_POLICIES, budgets, now).held[0]?.message,
    ).toBe('repair is blocked through the "karpenter.sh/do-not-repair" annotation');
    expect(decideRepair(sick({}), AWS_REPAIR_POLICIES, new Map([['pool', 0]]), now).held[0]?.message).toBe(
      'the disruption budget of NodePool "pool" allows no more (Unhealthy)',
    );
    // An uninitialized node protects nothing and takes no budget.
    expect(
      decideRepair(sick({ initialized: false }), AWS_REPAIR_POLICIES, new Map([['pool', 0]]), now).repair,
    ).toBeDefined();
    expect(
      decideRepair(sick({ blockingPod: 'ns/db-0' }), AWS_REPAIR_POLICIES, budgets, now).held[0]?.message,
    ).toMatch(/requires a termination grace period to bypass blocking pods \(ns\/db-0\)/);
    // With the NodeClaim's own terminationGracePeriod, the drain is bounded: repair goes ahead.
    expect(
      decideRepair(
        sick({ blockingPod: 'ns/db-0', claimTerminationGracePeriodMs: MIN }),
        AWS_REPAIR_POLICIES,
        budgets,
        now,
      ).repair,
    ).toBeDefined();
  });
});

describe('decideRepair: policy priorities, reasons and drain bounds', () => {
  const policies: RepairPolicy[] = [
    {
      conditionType: 'Ready',
      conditionStatus: 'False',
      tolerationMs: 10 * MIN,
      terminationGracePeriodMs: 5 * MIN,
    },
    {
      conditionType: 'Disk',
      conditionStatus: 'True',
      reasonRegex: '^Corrupt',
      tolerationMs: MIN,
      priority: 50,
    },
  ];

  it('matches a reason only through the regex, and bounds the drain by the shorter of policy and NodeClaim', () => {
    const disk = (reason: string) =>
      node('d', { conditions: [{ type: 'Disk', status: 'True', reason, lastTransitionTime: at(0) }] });
    expect(isUnhealthy(disk('CorruptFS'), policies)).toBe(true);
    expect(isUnhealthy(disk('Full'), policies)).toBe(false);
    const ready = node('r', { ready: 'False', claimTerminationGracePeriodMs: 2 * MIN });
    expect(decideRepair([ready, ...healthy(9)], policies, budgets, T0 + 10 * MIN).repair?.drainBoundMs).toBe(
      2 * MIN,
    );
    const unbounded = node('r', { ready: 'False' });
    expect(
      decideRepair([unbounded, ...healthy(9)], policies, budgets, T0 + 10 * MIN).repair?.drainBoundMs,
    ).toBe(5 * MIN);
  });

  it('repairs a higher-priority condition first, until age outweighs the rank (one rank per 30 min)', () => {
    const ready = node('ready', { ready: 'False' }); // due at 10 min, rank 0
    const disk = node('disk', {
      conditions: [{ type: 'Disk', status: 'True', reason: 'Corrupt', lastTransitionTime: at(9 * MIN) }],
    }); // due at 10 min, rank 1
    const nodes = [ready, disk, ...healthy(8)];
    expect(decideRepair(nodes, policies, budgets, T0 + 10 * MIN).repair?.node.name).toBe('disk');
    const laterDisk = node('disk', {
      conditions: [{ type: 'Disk', status: 'True', reason: 'Corrupt', lastTransitionTime: at(40 * MIN) }],
    });
    // At 41 min: ready is 31 min overdue (score 1.03), disk 0 min (score 1).
    expect(
      decideRepair([ready, laterDisk, ...healthy(8)], policies, budgets, T0 + 41 * MIN).repair?.node.name,
    ).toBe('ready');
  });
});
