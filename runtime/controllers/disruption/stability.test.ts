import fc from 'fast-check';
import type { Pod } from '../../kube/objects';
import { podFitsNode } from '../../scheduling/predicates';
import { add, podRequests, type Resources } from '../../scheduling/resources';
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
  it('uses nodes with the consolidation-candidate taint only when nothing else fits, as TaintToleration scores them', () => {
    const avoided = new Set(['steered']);
    // Room only on the steered node: the kube-scheduler still places there.
    expect(
      kubeSchedulerPlacementFailure(moved(), [node('full', 2000), node('steered', 0)], noNewNodes, avoided),
    ).toBeUndefined();
    // Steered away, the small pods fill the keeper and the large one, last in the queue, fits the steered node;
    // spread by LeastAllocated alone, the small pods split the room and the large one fits nowhere.
    const pods = [...moved().slice(1), pod('big', '600m')];
    const nodes = [node('keeper', 1000), node('steered', 1300)];
    expect(kubeSchedulerPlacementFailure(pods, nodes, noNewNodes, avoided)).toBeUndefined();
    expect(kubeSchedulerPlacementFailure(pods, nodes, noNewNodes)?.pod.metadata.name).toBe('big');
  });

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

  it('holds pods to their DoNotSchedule zone spread: free pods can take the only room in the zone they need', () => {
    const ZONE = 'topology.kubernetes.io/zone';
    const api = (name: string, spread: boolean): Pod => {
      const p = pod(name, '500m');
      return {
        ...p,
        metadata: { ...p.metadata, labels: { app: 'api' } },
        spec: {
          ...p.spec,
          ...(spread
            ? {
                topologySpreadConstraints: [
                  {
                    maxSkew: 1,
                    topologyKey: ZONE,
                    whenUnsatisfiable: 'DoNotSchedule' as const,
                    labelSelector: { matchLabels: { app: 'api' } },
                  },
                ],
              }
            : {}),
        },
      };
    };
    // Zone b already runs two api pods, zone a none: the next two must both go to a. Node a1 is the least
    // allocated, so the two free pods go there first and leave room for one api pod only.
    const zonal = (name: string, zone: string, used: number, pods: Pod[]): SchedulableNode => ({
      ...node(name, used),
      labels: { [ZONE]: zone },
      pods,
    });
    const nodes = (spread: boolean) => [
      zonal('a1', 'us-east-1a', 1000, []),
      zonal('b1', 'us-east-1b', 1500, [api('running-1', spread), api('running-2', spread)]),
    ];
    const moved = (spread: boolean) => [
      pod('web-1', '250m'),
      pod('web-2', '250m'),
      api('api-1', spread),
      api('api-2', spread),
    ];
    expect(kubeSchedulerPlacementFailure(moved(true), nodes(true), noNewNodes)).toMatchObject({
      pod: { metadata: { name: 'api-2' } },
    });
    // Without the spread the second api pod takes zone b's room, and the decision holds.
    expect(kubeSchedulerPlacementFailure(moved(false), nodes(false), noNewNodes)).toBeUndefined();
  });

  it('picks the same node for every pod as scoring every node would (the plain kube-scheduler scan)', () => {
    // The reference: every pod scores every node that fits, lowest CPU fraction after placing wins, first on ties.
    const plainScan = (pods: Pod[], nodes: SchedulableNode[]): string | undefined => {
      const requested = nodes.map((n) => ({ ...n.requested }));
      for (const p of pods) {
        const req = podRequests(p);
        let best = -1;
        let bestScore = Infinity;
        nodes.forEach((n, i) => {
          if (podFitsNode(p, req, { ...n, requested: requested[i] as Resources })) return;
          const cpu = n.allocatable.cpu ?? 0;
          const score = cpu <= 0 ? Infinity : ((requested[i]?.cpu ?? 0) + (req.cpu ?? 0)) / cpu;
          if (score < bestScore) [best, bestScore] = [i, score];
        });
        if (best < 0) return p.metadata.name;
        requested[best] = add(requested[best] as Resources, req);
      }
      return undefined;
    };
    const nodeArb = fc.record({
      cpu: fc.constantFrom(0, 1000, 2000, 4000),
      // Few distinct values, so equal scores (and the tie-break) come up often.
      used: fc.constantFrom(0, 250, 500, 1000, 2000),
      memGi: fc.integer({ min: 1, max: 8 }),
      tainted: fc.boolean(),
      zone: fc.constantFrom('a', 'b'),
    });
    const podArb = fc.record({
      cpu: fc.constantFrom(0, 250, 500, 750, 1500),
      memMi: fc.integer({ min: 0, max: 3000 }),
      tolerates: fc.boolean(),
      zone: fc.constantFrom(undefined, 'a', 'b'),
    });
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 8 }),
        fc.array(podArb, { minLength: 1, maxLength: 15 }),
        (nodeSpecs, podSpecs) => {
          const nodes: SchedulableNode[] = nodeSpecs.map((n, i) => ({
            name: `n${i}`,
            labels: { zone: n.zone },
            taints: n.tainted ? [{ key: 'dedicated', effect: 'NoSchedule' }] : [],
            allocatable: { cpu: n.cpu, memory: n.memGi * 2 ** 30, pods: 110 },
            requested: { cpu: Math.min(n.used, n.cpu), pods: 1 },
            inFlight: false,
          }));
          const pods: Pod[] = podSpecs.map((p, i) => ({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `p${i}`, namespace: 'app' },
            spec: {
              containers: [
                { name: 'c', resources: { requests: { cpu: `${p.cpu}m`, memory: `${p.memMi}Mi` } } },
              ],
              ...(p.tolerates ? { tolerations: [{ key: 'dedicated', operator: 'Exists' as const }] } : {}),
              ...(p.zone ? { nodeSelector: { zone: p.zone } } : {}),
            },
          }));
          // Equal priorities keep the queue in the given order, so the queue pass is the reference's order.
          const failure = kubeSchedulerPlacementFailure(pods, nodes, noNewNodes);
          const queueFailure = plainScan(pods, nodes);
          if (queueFailure)
            expect(failure).toMatchObject({ order: 'queue', pod: { metadata: { name: queueFailure } } });
          else expect(failure?.order).not.toBe('queue');
        },
      ),
      { numRuns: 500 },
    );
  });
});
