import { cpuVirtualPods, testCapacityBuffer } from '../controllers/capacity-buffer/testing';
import { schedule } from './scheduler';
import { sortPodsForPacking } from './pod-order';
import { instanceTypes, node, nodePool, pod, schedulingPool } from './testing';

const buffer = testCapacityBuffer({ name: 'headroom', namespace: 'default', uid: 'b' }, { replicas: 1 });
const virtual = (cpu: string, n = 1) => cpuVirtualPods(buffer, cpu, n);

describe('sortPodsForPacking with CapacityBuffer pods', () => {
  it('puts virtual pods after every real pod, whatever their size, and keeps the size order otherwise', () => {
    const sorted = sortPodsForPacking([
      pod('small', { cpu: '100m' }),
      ...virtual('4'),
      pod('big', { cpu: '2' }),
    ]);
    expect(sorted.map((p) => p.metadata.name)).toEqual(['big', 'small', 'capacity-buffer-headroom-1']);
  });

  it('lets a real pod take the room on an existing node before a virtual pod of the same size', () => {
    // The virtual pod's name sorts first; by size alone it would take the node and the real pod would wait.
    const existing = node('n1', { allocatable: { cpu: 1000, memory: 8 * 2 ** 30, pods: 110 } });
    const pool = schedulingPool(nodePool('default'), instanceTypes(['m5.large']));
    const result = schedule({
      pods: [...virtual('800m'), pod('z-real', { cpu: '800m' })],
      nodes: [existing],
      nodePools: [pool],
    });
    expect(result.existing.get('n1')?.map((p) => p.metadata.name)).toEqual(['z-real']);
    expect(result.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name))).toEqual([
      'capacity-buffer-headroom-1',
    ]);
  });
});
