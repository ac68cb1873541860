import type { Pod } from '../../kube/objects';
import type { SchedulableNode, SchedulingResult } from '../../scheduling/scheduler';
import { kubeSchedulerPlacementFailure } from './stability';

const pod = (name: string, cpu: string, priority?: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'app' },
  spec: {
    containers: [{ name: 'c', resources: { requests: { cpu } } }],
    ...(priority !== undefined ? { priority } : {}),
  },
});

const node = (name: string, usedMillis: number): SchedulableNode => ({
  name,
  labels: {},
  taints: [],
  allocatable: { cpu: 2000, memory: 8 * 2 ** 30, pods: 110 },
  requested: { cpu: usedMillis, pods: 1 },
  inFlight: false,
});

const noNewNodes: SchedulingResult = { existing: new Map(), newNodeClaims: [], unschedulable: new Map() };
const moved = () => [
  pod('big', '600m'),
  pod('s1', '250m'),
  pod('s2', '250m'),
  pod('s3', '250m'),
  pod('s4', '250m'),
];

describe('kubeSchedulerPlacementFailure', () => {
  it('finds the pod left without room when the kube-scheduler spreads what largest-first packing fits', () => {
    // Largest first onto the first node that fits: 600m on a (1950m), four 250m on b (2000m): everything fits.
    // The kube-scheduler puts 600m on the emptier b, spreads the 250m pods, and the last finds no room.
    const failure = kubeSchedulerPlacementFailure(moved(), [node('a', 1350), node('b', 1000)], noNewNodes);
    expect(failure).toMatchObject({ order: 'queue', pod: { metadata: { name: 's4' } } });
  });

  it('holds when there is room in any order', () => {
    expect(
      kubeSchedulerPlacementFailure(moved(), [node('a', 500), node('b', 500)], noNewNodes),
    ).toBeUndefined();
  });

  it('takes the queue by priority first, and also checks smallest first', () => {
    // Room for 600m only on a; the queue places the high-priority 600m pod first, so it holds in queue order, but
    // smallest first spreads the 250m pods onto a first and leaves the 600m pod nowhere.
    const pods = [pod('s1', '250m'), pod('s2', '250m'), pod('big', '600m', 1000)];
    const failure = kubeSchedulerPlacementFailure(pods, [node('a', 1100), node('b', 1600)], noNewNodes);
    expect(failure).toMatchObject({ order: 'smallest first', pod: { metadata: { name: 'big' } } });
  });

  it('counts a planned replacement as room for the pods planned onto it', () => {
    const big = pod('big', '1500m');
    const replacement: SchedulingResult = {
      existing: new Map(),
      unschedulable: new Map(),
      newNodeClaims: [
        {
          nodePoolName: 'default',
          requirements: undefined as never,
          taints: [],
          pods: [big],
          requests: { cpu: 1500 },
          instanceTypeOptions: [
            { name: 'x', allocatable: { cpu: 1900, memory: 2 ** 30, pods: 20 } } as never,
          ],
        },
      ],
    };
    expect(kubeSchedulerPlacementFailure([big], [node('a', 1000)], replacement)).toBeUndefined();
    expect(kubeSchedulerPlacementFailure([big], [node('a', 1000)], noNewNodes)).toMatchObject({
      pod: { metadata: { name: 'big' } },
    });
  });
});
