import type { StateNode } from '../../state/cluster-state';
import { instanceTypes, node, nodePool, pod, schedulingPool } from '../../scheduling/testing';
import { cpuVirtualPods, testCapacityBuffer } from '../capacity-buffer/testing';
import type { Candidate } from './candidates';
import { headroomOn, headroomReason } from './headroom';
import { consolidationFor } from './methods';
import { simulator } from './simulation';

const buffer = testCapacityBuffer({ name: 'headroom', namespace: 'web', uid: 'b' }, { replicas: 2 });
const virtual = cpuVirtualPods(buffer, '700m', 2);
const cpu = (millis: number) => ({ cpu: millis, memory: 8 * 2 ** 30, pods: 110 });

function candidate(name: string, pods = [pod(`${name}-pod`, { cpu: '500m' })]): Candidate {
  const stateNode = { name, labels: {} } as unknown as StateNode;
  return { stateNode, nodePool: nodePool('default'), price: 0.1, reschedulablePods: pods, disruptionCost: 1 };
}

describe('headroom', () => {
  // a: runs a 500m pod; h: empty, 1500m free, room for both 700m virtual pods.
  const nodes = [
    node('a', { allocatable: cpu(1000), requested: { cpu: 500 } }),
    node('h', { allocatable: cpu(1500) }),
  ];
  const pools = [schedulingPool(nodePool('default'), instanceTypes(['t3a.medium', 'm5.large']))];

  it('finds the nodes that hold the buffers’ room now, and only virtual pods that fit', () => {
    const found = headroomOn(virtual, nodes);
    expect([...found.byNode.keys()]).toEqual(['h']);
    expect(found.pods).toHaveLength(2);
    expect(headroomOn(virtual, [nodes[0] as (typeof nodes)[number]]).pods).toEqual([]);
    expect(headroomReason(found.pods)).toBe(
      'it holds the spare capacity of CapacityBuffer web/headroom (2 pods), which removing it would take away',
    );
  });

  it('makes consolidation keep room for the headroom: a node whose pods would fill it is not simply deleted', () => {
    const a = candidate('a');
    // Without headroom a's pod moves onto h and a goes.
    const plain = consolidationFor([a], simulator(pools, nodes, {}, undefined));
    expect(typeof plain === 'object' && plain.replacements).toEqual([]);
    // With it, h holds the virtual pods; a's pod needs a node of its own, which costs no less than a.
    const kept = consolidationFor(
      [a],
      simulator(pools, nodes, {}, undefined, headroomOn(virtual, nodes).pods),
    );
    if (typeof kept === 'string' || typeof plain === 'string') throw new Error(`${kept} / ${plain}`);
    // a may still go, but only with a replacement that keeps the room: h takes a's pod and one virtual pod.
    expect(kept.replacements).toHaveLength(1);
    expect(kept.replacements[0]?.pods.map((p) => p.metadata.name)).toEqual(['capacity-buffer-headroom-2']);
    expect(kept.savings).toBeLessThan(plain.savings);
  });

  it('replaces a headroom node only with one that holds the headroom again', () => {
    const h = candidate('h', []);
    const outcome = simulator(pools, nodes, {}, undefined, headroomOn(virtual, nodes).pods)([h]);
    expect(outcome.unschedulable.size).toBe(0);
    expect(outcome.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name)).sort()).toEqual([
      'capacity-buffer-headroom-1',
      'capacity-buffer-headroom-2',
    ]);
  });
});
