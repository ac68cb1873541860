import type { SchedulingResult } from '../../scheduling/scheduler';
import { nodePool } from '../../scheduling/testing';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import type { Command, Simulate } from './methods';
import { expectedRemovals } from './steering';

const pool = nodePool('default');
const candidate = (name: string, disruptionCost: number): Candidate => ({
  stateNode: { name, labels: {} } as unknown as StateNode,
  nodePool: pool,
  price: 1,
  reschedulablePods: [],
  disruptionCost,
});
const command = (c: Candidate, reason: Command['reason'] = 'Underutilized'): Command => ({
  reason,
  candidates: [c],
  replacements: [],
  savings: 1,
});

/** Removing nodes fits while their total disruption cost stays within `room`; records what was asked. */
function roomFor(room: number, asked: string[][] = []): Simulate {
  return (removed): SchedulingResult => {
    asked.push(removed.map((c) => c.stateNode.name));
    const cost = removed.reduce((sum, c) => sum + c.disruptionCost, 0);
    const unschedulable: SchedulingResult['unschedulable'] =
      cost <= room ? new Map() : new Map([['p', { pod: {} as never, reasons: ['no room'] }]]);
    return { existing: new Map(), newNodeClaims: [], unschedulable };
  };
}

describe('expectedRemovals (the nodes to steer evicted pods past)', () => {
  const [a, b, c, d] = [candidate('a', 1), candidate('b', 2), candidate('c', 3), candidate('d', 10)] as [
    Candidate,
    Candidate,
    Candidate,
    Candidate,
  ];

  it('is the largest set that goes together after the command, cheapest to disrupt first', () => {
    const asked: string[][] = [];
    // a (the command) + b + c = 6 fits; adding d does not.
    expect([...expectedRemovals([a, b, c, d], command(a), roomFor(6, asked))].sort()).toEqual(['b', 'c']);
    // Every simulation removes the command's node too: its pods are gone first.
    expect(asked.every((names) => names[0] === 'a')).toBe(true);
  });

  it('falls back to the cheapest single node, or nothing when none could go', () => {
    expect([...expectedRemovals([a, b, d], command(a), roomFor(3))]).toEqual(['b']);
    expect(expectedRemovals([a, b, d], command(a), roomFor(1)).size).toBe(0);
  });

  it('steers nothing for commands that are not consolidation', () => {
    expect(expectedRemovals([a, b, c], command(a, 'Drifted'), roomFor(100)).size).toBe(0);
    expect(expectedRemovals([a], command(a), roomFor(100)).size).toBe(0);
  });
});
