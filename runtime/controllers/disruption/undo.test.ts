import { replicaSetPod } from '../../kube/testing';
import type { NodePool, Pod } from '../../kube/objects';
import type { StateNode } from '../../state/cluster-state';
import type { Candidate } from './candidates';
import {
  UNDO_COOLDOWN_MAX_MS,
  UNDO_COOLDOWN_MS,
  UNDO_WINDOW_MS,
  UndoGuard,
  cooldownFor,
  workloadOf,
} from './undo';

const T0 = Date.parse('2026-01-01T00:00:00Z');

const pod = (name: string, owner: string) => replicaSetPod(name, owner);

function candidate(node: string, type: string, pods: Pod[]): Candidate {
  return {
    stateNode: { name: node, labels: { 'node.kubernetes.io/instance-type': type } } as unknown as StateNode,
    nodePool: { metadata: { name: 'default' } } as NodePool,
    price: 0.1,
    reschedulablePods: pods,
    disruptionCost: 1,
  } as Candidate;
}

describe('UndoGuard', () => {
  it('names a workload by its controller, so a recreated pod is the same workload', () => {
    expect(workloadOf(pod('web-abc', 'web-rs'))).toBe(workloadOf(pod('web-xyz', 'web-rs')));
  });

  it('sees a launch for the evicted workloads as undoing the consolidation, and cools down that pool and type', () => {
    const guard = new UndoGuard();
    guard.consolidated([candidate('node-a', 't3a.xlarge', [pod('web-1', 'web')])], T0);
    // A launch for something else undoes nothing.
    expect(guard.provisioned('other-claim', [pod('db-1', 'db')], T0 + 10_000)).toBeUndefined();
    const undone = guard.provisioned('web-claim', [pod('web-2', 'web')], T0 + 40_000);
    expect(undone).toMatchObject({
      nodes: ['node-a'],
      nodeClaim: 'web-claim',
      until: T0 + 40_000 + UNDO_COOLDOWN_MS,
    });
    expect(guard.blocked(candidate('node-b', 't3a.xlarge', []), T0 + 60_000)).toMatch(
      /consolidating a t3a.xlarge of NodePool "default" was undone: nodeclaim\/web-claim was launched for the pods evicted from node-a 40s later/,
    );
    // Other instance types, and the same one after the cool-down, are free to go.
    expect(guard.blocked(candidate('node-c', 'm5.large', []), T0 + 60_000)).toBeUndefined();
    expect(
      guard.blocked(candidate('node-b', 't3a.xlarge', []), T0 + 40_000 + UNDO_COOLDOWN_MS),
    ).toBeUndefined();
    // Counted once.
    expect(guard.provisioned('web-claim-2', [pod('web-3', 'web')], T0 + 50_000)).toBeUndefined();
  });

  it('blames the latest consolidation that moved the workload, not the first', () => {
    const guard = new UndoGuard();
    guard.consolidated([candidate('node-a', 't3a.xlarge', [pod('web-1', 'web')])], T0);
    guard.consolidated([candidate('node-b', 'c5.4xlarge', [pod('web-2', 'web')])], T0 + 60_000);
    expect(guard.provisioned('web-claim', [pod('web-3', 'web')], T0 + 90_000)).toMatchObject({
      nodes: ['node-b'],
    });
    expect(guard.blocked(candidate('node-c', 'c5.4xlarge', []), T0 + 100_000)).toBeDefined();
    expect(guard.blocked(candidate('node-d', 't3a.xlarge', []), T0 + 100_000)).toBeUndefined();
  });

  it('doubles the cool-down with each undo of the same pool and type, up to an hour, and forgets after quiet', () => {
    expect([1, 2, 3, 4, 5, 6].map(cooldownFor)).toEqual([5, 10, 20, 40, 60, 60].map((m) => m * 60_000));
    const guard = new UndoGuard();
    let t = T0;
    const cycle = (n: number) => {
      guard.consolidated([candidate(`node-${n}`, 'c6i.16xlarge', [pod(`web-${n}`, 'web')])], t);
      return guard.provisioned(`claim-${n}`, [pod(`web-x${n}`, 'web')], t + 10_000);
    };
    const first = cycle(1);
    expect(first?.until).toBe(t + 10_000 + UNDO_COOLDOWN_MS);
    // The first cool-down is short: a node of that type may be consolidated again once it is over.
    expect(
      guard.blocked(candidate('node-z', 'c6i.16xlarge', []), t + 10_000 + UNDO_COOLDOWN_MS - 1),
    ).toBeDefined();
    expect(
      guard.blocked(candidate('node-z', 'c6i.16xlarge', []), t + 10_000 + UNDO_COOLDOWN_MS),
    ).toBeUndefined();
    t += 10_000 + UNDO_COOLDOWN_MS;
    expect(cycle(2)?.until).toBe(t + 10_000 + 2 * UNDO_COOLDOWN_MS);
    t += 10_000 + 2 * UNDO_COOLDOWN_MS;
    expect(cycle(3)?.until).toBe(t + 10_000 + 4 * UNDO_COOLDOWN_MS);
    // Quiet for long enough: the next undo starts over.
    t += 10_000 + 3 * UNDO_COOLDOWN_MAX_MS;
    expect(cycle(4)?.until).toBe(t + 10_000 + UNDO_COOLDOWN_MS);
  });

  it('does not blame a consolidation for launches long after it', () => {
    const guard = new UndoGuard();
    guard.consolidated([candidate('node-a', 't3a.xlarge', [pod('web-1', 'web')])], T0);
    expect(guard.provisioned('late', [pod('web-2', 'web')], T0 + UNDO_WINDOW_MS + 1)).toBeUndefined();
  });
});
