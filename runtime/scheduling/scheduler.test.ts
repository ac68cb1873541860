import { Labels } from '../../sdk/api/well-known';
import { defaultCatalog, toInstanceType } from '../cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from './allocatable';
import {
  cheapestOffering,
  compatibleOfferings,
  instanceTypeCompatible,
  type InstanceType,
} from './instance-types';
import type { NodeSelectorRequirement, Pod } from '../kube/objects';
import { remainingLimits } from './limits';
import { Requirements } from './requirements';
import { fits } from './resources';
import { nodePoolRequirements, schedule, sortPodsForPacking, type SchedulingResult } from './scheduler';
import {
  GiB,
  MiB,
  REGION,
  WORKSHOP_KUBELET,
  WORKSHOP_LABEL,
  catalogSpec,
  instanceType,
  instanceTypes,
  node,
  nodePool,
  pod,
  pods,
  schedulingPool,
} from './testing';

const onDemand: NodeSelectorRequirement = { key: Labels.capacityType, operator: 'In', values: ['on-demand'] };
const names = (list: { metadata: { name?: string } }[] | undefined): (string | undefined)[] =>
  (list ?? []).map((p) => p.metadata.name);
const typeNames = (types: InstanceType[]): string[] => types.map((t) => t.name);
const reasonsOf = (result: SchedulingResult, key: string): string[] | undefined =>
  result.unschedulable.get(key)?.reasons;

describe('packing order', () => {
  it('sorts by cpu descending, then memory descending, then namespace/name', () => {
    const sorted = sortPodsForPacking([
      pod('d', { cpu: '100m', memory: '1Gi' }),
      pod('zero', { cpu: '0' }),
      pod('b', { cpu: '500m', memory: '128Mi' }),
      pod('a', { cpu: '100m', memory: '1Gi' }),
      pod('c', { cpu: '500m', memory: '256Mi' }),
      pod('a', { cpu: '100m', memory: '1Gi', namespace: 'aaa' }),
    ]);
    expect(sorted.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      'default/c',
      'default/b',
      'aaa/a',
      'default/a',
      'default/d',
      'default/zero',
    ]);
  });

  it('places the larger pod first even when it is listed last', () => {
    const result = schedule({
      pods: [pod('small', { cpu: '300m' }), pod('big', { cpu: '900m' })],
      nodes: [node('n1', { allocatable: { cpu: 1000, memory: 8 * GiB, pods: 110 } })],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), [instanceType('t3a.medium')]),
      ],
    });
    expect(names(result.existing.get('n1'))).toEqual(['big']);
    expect(result.newNodeClaims.map((c) => names(c.pods))).toEqual([['small']]);
  });
});

describe('placement order', () => {
  it('fills existing nodes, then claims planned in the same round, then new claims', () => {
    const result = schedule({
      pods: pods('p', 5, { cpu: '600m' }),
      nodes: [node('n1', { allocatable: { cpu: 1000, memory: 8 * GiB, pods: 110 } })],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), [instanceType('t3a.medium')]),
      ],
    });
    // n1 holds one 600m pod; a t3a.medium (1930m allocatable) holds three.
    expect(names(result.existing.get('n1'))).toEqual(['p-0']);
    expect(result.newNodeClaims.map((c) => names(c.pods))).toEqual([['p-1', 'p-2', 'p-3'], ['p-4']]);
    expect(result.newNodeClaims[0]?.requests).toEqual({ cpu: 1800, pods: 3 });
    expect(result.newNodeClaims[1]?.requests).toEqual({ cpu: 600, pods: 1 });
    expect(result.unschedulable.size).toBe(0);
  });

  it('counts what is already requested on an existing node', () => {
    const result = schedule({
      pods: pods('p', 2, { cpu: '500m' }),
      nodes: [
        node('n1', { allocatable: { cpu: 1000, memory: 8 * GiB, pods: 110 }, requested: { cpu: 400 } }),
      ],
      nodePools: [],
    });
    expect(names(result.existing.get('n1'))).toEqual(['p-0']);
    expect(reasonsOf(result, 'default/p-1')).toEqual([
      '1 existing node(s) lack room or do not match',
      'no NodePool exists',
    ]);
  });

  it('an in-flight node absorbs pending pods before any new claim is made', () => {
    const launching = node('launching', {
      inFlight: true,
      labels: { ...WORKSHOP_LABEL },
      allocatable: { cpu: 1780, memory: 3554 * MiB, pods: 17 },
    });
    const result = schedule({
      pods: pods('p', 3, { cpu: '200m', nodeSelector: { ...WORKSHOP_LABEL } }),
      nodes: [launching],
      nodePools: [
        schedulingPool(nodePool('default', { labels: { ...WORKSHOP_LABEL } }), [
          instanceType('t3a.medium', WORKSHOP_KUBELET),
        ]),
      ],
    });
    expect(names(result.existing.get('launching'))).toEqual(['p-0', 'p-1', 'p-2']);
    expect(result.newNodeClaims).toEqual([]);
  });

  it('a pod whose requirements conflict with a planned claim gets its own claim', () => {
    const result = schedule({
      pods: [
        pod('a', { nodeSelector: { [Labels.zone]: 'us-east-1a' } }),
        pod('b', { nodeSelector: { [Labels.zone]: 'us-east-1b' } }),
        pod('c', { nodeSelector: { [Labels.zone]: 'us-east-1a' } }),
      ],
      nodes: [],
      nodePools: [schedulingPool(nodePool('default'), [instanceType('t3a.medium')])],
    });
    expect(result.newNodeClaims.map((c) => names(c.pods))).toEqual([['a', 'c'], ['b']]);
    expect(result.newNodeClaims.map((c) => c.requirements.get(Labels.zone)?.toString())).toEqual([
      `${Labels.zone} In [us-east-1a]`,
      `${Labels.zone} In [us-east-1b]`,
    ]);
  });

  it('joins the planned claim with the fewest pods first', () => {
    // The two big pods need two claims; each small pod joins the claim holding fewer pods (a tie → the first).
    const result = schedule({
      pods: [
        pod('big-1', { cpu: '1500m' }),
        pod('big-2', { cpu: '1400m' }),
        ...pods('small', 2, { cpu: '100m' }),
      ],
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), [instanceType('t3a.medium')]),
      ],
    });
    expect(result.newNodeClaims.map((c) => names(c.pods))).toEqual([
      ['big-1', 'small-0'],
      ['big-2', 'small-1'],
    ]);
  });
});

describe('instance type options', () => {
  const candidates = ['m5.large', 'c5.large', 't3a.large', 't3a.medium', 't3a.small'];

  it('lists fitting types cheapest first by on-demand price when the pool is on-demand', () => {
    const result = schedule({
      pods: [pod('p', { cpu: '200m', memory: '256Mi' })],
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), instanceTypes(candidates)),
      ],
    });
    const claim = result.newNodeClaims[0];
    expect(typeNames(claim?.instanceTypeOptions ?? [])).toEqual([
      't3a.small', // 0.0188
      't3a.medium', // 0.0376
      't3a.large', // 0.0752
      'c5.large', // 0.085
      'm5.large', // 0.096
    ]);
    const prices = (claim?.instanceTypeOptions ?? []).map(
      (it) => cheapestOffering(it, claim!.requirements)?.price,
    );
    expect(prices).toEqual([0.0188, 0.0376, 0.0752, 0.085, 0.096]);
  });

  it('orders by the cheapest compatible offering, which is spot when the pool allows it', () => {
    const result = schedule({
      pods: [pod('p', { cpu: '200m', memory: '256Mi' })],
      nodes: [],
      nodePools: [schedulingPool(nodePool('default'), instanceTypes(candidates))],
    });
    expect(typeNames(result.newNodeClaims[0]?.instanceTypeOptions ?? [])).toEqual([
      't3a.small', // 0.0062
      't3a.medium', // 0.0113
      'c5.large', // 0.0261
      'm5.large', // 0.0289
      't3a.large', // 0.0297
    ]);
  });

  it('drops types a planned claim outgrows as pods join it', () => {
    // t3a.small allows 8 pods; the ninth pod leaves t3a.medium (17 pods) as the cheapest option.
    const result = schedule({
      pods: pods('p', 9, { cpu: '100m' }),
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), instanceTypes(candidates)),
      ],
    });
    expect(result.newNodeClaims).toHaveLength(1);
    expect(result.newNodeClaims[0]?.requests).toEqual({ cpu: 900, pods: 9 });
    expect(typeNames(result.newNodeClaims[0]?.instanceTypeOptions ?? [])).toEqual([
      't3a.medium',
      't3a.large',
      'c5.large',
      'm5.large',
    ]);
  });
});

describe('pod requirements narrow the claim', () => {
  const pool = () =>
    schedulingPool(
      nodePool('default', { requirements: [onDemand] }),
      instanceTypes(['t3a.medium', 't3a.large', 'c5.large', 'c6g.large']),
    );

  it('a nodeSelector on a well-known label narrows requirements and options', () => {
    const result = schedule({
      pods: [pod('p', { nodeSelector: { [Labels.instanceType]: 'c5.large', [Labels.zone]: 'us-east-1b' } })],
      nodes: [],
      nodePools: [pool()],
    });
    const claim = result.newNodeClaims[0];
    expect(typeNames(claim?.instanceTypeOptions ?? [])).toEqual(['c5.large']);
    expect(claim?.requirements.singleValueLabels()).toEqual({
      [Labels.capacityType]: 'on-demand',
      [Labels.nodePool]: 'default',
      [Labels.instanceType]: 'c5.large',
      [Labels.zone]: 'us-east-1b',
    });
  });

  it('required node affinity narrows with NotIn and Gt', () => {
    const result = schedule({
      pods: [
        pod('p', {
          affinityTerms: [
            [
              { key: Labels.instanceType, operator: 'NotIn', values: ['t3a.medium'] },
              { key: Labels.instanceMemory, operator: 'Gt', values: ['4096'] },
            ],
          ],
        }),
      ],
      nodes: [],
      nodePools: [pool()],
    });
    expect(typeNames(result.newNodeClaims[0]?.instanceTypeOptions ?? [])).toEqual(['t3a.large']);
  });

  it('OR’ed affinity terms: the first term no instance type satisfies is skipped for the next', () => {
    const result = schedule({
      pods: [
        pod('p', {
          affinityTerms: [
            [{ key: Labels.zone, operator: 'In', values: ['us-west-2a'] }],
            [{ key: Labels.arch, operator: 'In', values: ['arm64'] }],
          ],
        }),
      ],
      nodes: [],
      nodePools: [pool()],
    });
    const claim = result.newNodeClaims[0];
    expect(typeNames(claim?.instanceTypeOptions ?? [])).toEqual(['c6g.large']);
    expect(claim?.requirements.get(Labels.arch)?.toString()).toBe('kubernetes.io/arch In [arm64]');
    expect(claim?.requirements.has(Labels.zone)).toBe(false);
  });

  it('the claim carries the NodePool’s requirements, template labels and name', () => {
    const np = nodePool('workshop', {
      requirements: [onDemand, { key: Labels.instanceType, operator: 'In', values: ['t3a.medium'] }],
      labels: { ...WORKSHOP_LABEL },
    });
    expect(nodePoolRequirements(np).toString()).toBe(
      'karpenter.sh/capacity-type In [on-demand], node.kubernetes.io/instance-type In [t3a.medium], ' +
        'karpenter.sh/nodepool In [workshop], workload-type In [developers-workshop]',
    );
  });
});

describe('NodePools', () => {
  it('a tainted NodePool needs a toleration; the reason names the taint', () => {
    const taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule' as const };
    const pools = [schedulingPool(nodePool('batch', { taints: [taint] }), [instanceType('t3a.medium')])];
    const refused = schedule({ pods: [pod('p')], nodes: [], nodePools: pools });
    expect(refused.newNodeClaims).toEqual([]);
    expect(reasonsOf(refused, 'default/p')).toEqual([
      'NodePool "batch": taint dedicated=batch:NoSchedule is not tolerated',
    ]);

    const tolerated = schedule({
      pods: [pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch' }] })],
      nodes: [],
      nodePools: pools,
    });
    expect(tolerated.newNodeClaims[0]?.taints).toEqual([taint]);
  });

  it('a pod that does not tolerate a planned claim’s taints gets a claim from another pool', () => {
    const taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule' as const };
    const result = schedule({
      pods: [
        pod('tolerant', { cpu: '200m', tolerations: [{ operator: 'Exists' }] }),
        pod('plain', { cpu: '100m' }),
      ],
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('a-batch', { taints: [taint] }), [instanceType('t3a.medium')]),
        schedulingPool(nodePool('b-general'), [instanceType('t3a.medium')]),
      ],
    });
    expect(result.newNodeClaims.map((c) => [c.nodePoolName, names(c.pods)])).toEqual([
      ['a-batch', ['tolerant']],
      ['b-general', ['plain']],
    ]);
  });

  it('tries NodePools by weight, heaviest first, then by name', () => {
    const run = (weights: [number | undefined, number | undefined]) =>
      schedule({
        pods: [pod('p')],
        nodes: [],
        nodePools: [
          schedulingPool(nodePool('b-pricey', { weight: weights[0] }), [instanceType('m5.large')]),
          schedulingPool(nodePool('a-cheap', { weight: weights[1] }), [instanceType('t3a.small')]),
        ],
      }).newNodeClaims[0]?.nodePoolName;
    expect(run([50, 10])).toBe('b-pricey');
    expect(run([10, 50])).toBe('a-cheap');
    expect(run([undefined, undefined])).toBe('a-cheap');
    expect(run([1, undefined])).toBe('b-pricey');
  });

  it('falls through to the next NodePool when the heavier one cannot take the pod', () => {
    const result = schedule({
      pods: [pod('p', { nodeSelector: { [Labels.arch]: 'arm64' } })],
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('amd', { weight: 100 }), [instanceType('t3a.medium')]),
        schedulingPool(nodePool('arm', { weight: 1 }), [instanceType('c6g.large')]),
      ],
    });
    expect(result.newNodeClaims.map((c) => c.nodePoolName)).toEqual(['arm']);
  });

  it('a cpu limit stops a second claim; the reason mentions the limit', () => {
    const np = nodePool('default', { requirements: [onDemand], limits: { cpu: '3' } });
    const remaining = remainingLimits(np, {}, 0);
    expect(remaining).toEqual({ cpu: 3000 });
    const result = schedule({
      pods: pods('p', 2, { cpu: '1' }),
      nodes: [],
      nodePools: [schedulingPool(np, [instanceType('t3a.medium')], { remaining })],
    });
    // The first claim reserves a whole t3a.medium (2 cpu); 1 cpu is left, less than another t3a.medium.
    expect(result.newNodeClaims.map((c) => names(c.pods))).toEqual([['p-0']]);
    expect(reasonsOf(result, 'default/p-1')).toEqual([
      'NodePool "default": NodePool limit cpu=3 reached (remaining cpu=1; ' +
        'the smallest fitting instance type needs cpu=2)',
    ]);
  });

  it('names every exhausted limit, including a zero remainder and nodes (once)', () => {
    const run = (remaining: Record<string, number>) =>
      reasonsOf(
        schedule({
          pods: [pod('p')],
          nodes: [],
          nodePools: [schedulingPool(nodePool('default'), [instanceType('t3a.medium')], { remaining })],
        }),
        'default/p',
      );
    expect(run({ cpu: 0 })).toEqual([
      'NodePool "default": NodePool limit cpu reached (remaining cpu=0; ' +
        'the smallest fitting instance type needs cpu=2)',
    ]);
    expect(run({ nodes: 0 })).toEqual([
      'NodePool "default": NodePool limit nodes reached (remaining nodes=0; ' +
        'the smallest fitting instance type needs nodes=1)',
    ]);
    expect(run({ cpu: 1500, memory: 0, nodes: 2 })).toEqual([
      'NodePool "default": NodePool limit cpu reached (remaining cpu=1500m; ' +
        'the smallest fitting instance type needs cpu=2); ' +
        'NodePool limit memory reached (remaining memory=0Mi; the smallest fitting instance type needs memory=3788Mi)',
    ]);
  });

  it('the limit reservation takes the largest option, so a pool never overshoots', () => {
    const np = nodePool('default', { requirements: [onDemand], limits: { cpu: '6' } });
    const result = schedule({
      // Different zones keep the pods on separate claims.
      pods: [
        pod('a', { cpu: '1500m', nodeSelector: { [Labels.zone]: 'us-east-1a' } }),
        pod('b', { cpu: '1500m', nodeSelector: { [Labels.zone]: 'us-east-1b' } }),
      ],
      nodes: [],
      nodePools: [
        schedulingPool(np, instanceTypes(['t3a.medium', 't3a.xlarge']), {
          remaining: remainingLimits(np, {}, 0),
        }),
      ],
    });
    // Claim 1 may still become a t3a.xlarge (4 cpu): 2 cpu left fits only a t3a.medium for the second pod.
    expect(result.newNodeClaims.map((c) => typeNames(c.instanceTypeOptions))).toEqual([
      ['t3a.medium', 't3a.xlarge'],
      ['t3a.medium'],
    ]);
  });

  it('remainingLimits subtracts usage and node count; no limits means unlimited', () => {
    const np = nodePool('default', { limits: { cpu: '100', memory: '64Gi', nodes: '3' } });
    expect(remainingLimits(np, { cpu: 4000, memory: 8 * GiB }, 2)).toEqual({
      cpu: 96000,
      memory: 56 * GiB,
      nodes: 1,
    });
    expect(remainingLimits(nodePool('unlimited'), { cpu: 4000 }, 2)).toBeUndefined();
  });
});

describe('DaemonSet overhead', () => {
  const pool = (daemonOverhead = {}) =>
    schedulingPool(
      nodePool('default', { requirements: [onDemand] }),
      instanceTypes(['t3a.medium', 't3a.xlarge']),
      { daemonOverhead },
    );

  it('is added to each new claim’s requests and can push the pod to a larger type', () => {
    const without = schedule({ pods: [pod('p', { cpu: '1500m' })], nodes: [], nodePools: [pool()] });
    expect(typeNames(without.newNodeClaims[0]?.instanceTypeOptions ?? [])[0]).toBe('t3a.medium');

    const overhead = { cpu: 500, memory: 256 * MiB, pods: 2 };
    const result = schedule({ pods: pods('p', 2, { cpu: '3' }), nodes: [], nodePools: [pool(overhead)] });
    expect(result.newNodeClaims).toHaveLength(2);
    for (const claim of result.newNodeClaims) {
      expect(claim.requests).toEqual({ cpu: 3500, memory: 256 * MiB, pods: 3 });
      expect(typeNames(claim.instanceTypeOptions)).toEqual(['t3a.xlarge']);
    }

    const pushed = schedule({ pods: [pod('p', { cpu: '1500m' })], nodes: [], nodePools: [pool(overhead)] });
    // 1500m + 500m = 2000m exceeds a t3a.medium's 1930m allocatable.
    expect(typeNames(pushed.newNodeClaims[0]?.instanceTypeOptions ?? [])).toEqual(['t3a.xlarge']);
    expect(pushed.newNodeClaims[0]?.requests).toEqual({ cpu: 2000, memory: 256 * MiB, pods: 3 });
  });
});

describe('unschedulable reasons', () => {
  const workshopPool = () =>
    schedulingPool(
      nodePool('default', {
        requirements: [onDemand, { key: Labels.instanceType, operator: 'In', values: ['t3a.medium'] }],
        labels: { ...WORKSHOP_LABEL },
      }),
      instanceTypes(['t3a.medium', 'c6g.large'], WORKSHOP_KUBELET),
    );
  const reasonsFor = (p: Pod, nodePools = [workshopPool()]): string[] | undefined =>
    reasonsOf(schedule({ pods: [p], nodes: [], nodePools }), `default/${p.metadata.name}`);

  it('no NodePool exists', () => {
    expect(reasonsFor(pod('p'), [])).toEqual(['no NodePool exists']);
  });

  it('no instance type satisfies requirements', () => {
    expect(reasonsFor(pod('p', { nodeSelector: { [Labels.arch]: 'arm64' } }))).toEqual([
      'NodePool "default": no instance type satisfies requirements [' +
        'karpenter.sh/capacity-type In [on-demand], node.kubernetes.io/instance-type In [t3a.medium], ' +
        'karpenter.sh/nodepool In [default], workload-type In [developers-workshop], kubernetes.io/arch In [arm64]]',
    ]);
  });

  it('no instance type has enough resources', () => {
    expect(reasonsFor(pod('p', { cpu: '4', memory: '1Gi' }))).toEqual([
      'NodePool "default": no instance type has enough resources for cpu=4, memory=1024Mi ' +
        '(largest compatible: t3a.medium with cpu=1780m, memory=3246Mi, ephemeral-storage=20401094656 allocatable; ' +
        'short of cpu)',
    ]);
  });

  it('incompatible requirements on a label the NodePool sets', () => {
    expect(reasonsFor(pod('p', { nodeSelector: { 'workload-type': 'other' } }))).toEqual([
      'NodePool "default": incompatible requirements: ' +
        'workload-type In [other] conflicts with workload-type In [developers-workshop]',
    ]);
  });

  it('incompatible requirements on a custom label the NodePool does not define', () => {
    expect(reasonsFor(pod('p', { nodeSelector: { team: 'a' } }))).toEqual([
      'NodePool "default": incompatible requirements: label team is not defined (requires team In [a])',
    ]);
  });

  it('one reason per NodePool, in the order they were tried', () => {
    const other = schedulingPool(nodePool('zzz', { weight: 5 }), [instanceType('t3a.small')]);
    expect(reasonsFor(pod('p', { cpu: '4' }), [workshopPool(), other])).toEqual([
      'NodePool "zzz": no instance type has enough resources for cpu=4 ' +
        '(largest compatible: t3a.small with cpu=1930m, memory=1451Mi, ephemeral-storage=20401094656 allocatable; ' +
        'short of cpu)',
      expect.stringContaining('NodePool "default": no instance type has enough resources for cpu=4'),
    ]);
  });
});

describe('seed lab: the workshop NodePool with one node already running', () => {
  it('places 7 of 8 pending 200m pods on the existing 1780m node and plans one t3a.medium', () => {
    const np = nodePool('developers-workshop-pool', {
      requirements: [
        { key: Labels.instanceType, operator: 'In', values: ['t3a.medium'] },
        { key: Labels.capacityType, operator: 'In', values: ['on-demand'] },
      ],
      labels: { ...WORKSHOP_LABEL },
      limits: { cpu: '100' },
    });
    // The cloud offers the whole catalog; the NodePool's requirements narrow it to t3a.medium.
    const catalog = defaultCatalog.specs.map((s) =>
      toInstanceType(s, REGION, { kubelet: WORKSHOP_KUBELET }, DEFAULT_CAPACITY_SETTINGS),
    );
    const existing = node('ip-192-168-10-1', {
      labels: {
        ...WORKSHOP_LABEL,
        [Labels.nodePool]: 'developers-workshop-pool',
        [Labels.instanceType]: 't3a.medium',
        [Labels.capacityType]: 'on-demand',
        [Labels.zone]: 'us-east-1a',
      },
      allocatable: { cpu: 1780, memory: 3554 * MiB, pods: 17, 'ephemeral-storage': 19 * GiB },
      // The ninth replica, already running there.
      requested: { cpu: 200, memory: 256 * MiB, pods: 1 },
    });
    const app = {
      cpu: '200m',
      memory: '256Mi',
      nodeSelector: { ...WORKSHOP_LABEL },
      namespace: 'my-cool-app',
    };

    const result = schedule({
      pods: pods('fastapi', 8, app),
      nodes: [existing],
      nodePools: [
        schedulingPool(np, catalog, { remaining: remainingLimits(np, { cpu: 2000, memory: 4096 * MiB }, 1) }),
      ],
    });

    // 1780m − 200m = 1580m free: seven more 200m pods (1400m) fit, the eighth (1600m) does not.
    expect(names(result.existing.get('ip-192-168-10-1'))).toEqual([
      'fastapi-0',
      'fastapi-1',
      'fastapi-2',
      'fastapi-3',
      'fastapi-4',
      'fastapi-5',
      'fastapi-6',
    ]);
    expect(result.newNodeClaims).toHaveLength(1);
    const claim = result.newNodeClaims[0]!;
    expect(claim.nodePoolName).toBe('developers-workshop-pool');
    expect(names(claim.pods)).toEqual(['fastapi-7']);
    expect(claim.requests).toEqual({ cpu: 200, memory: 256 * MiB, pods: 1 });
    expect(typeNames(claim.instanceTypeOptions)).toEqual(['t3a.medium']);
    expect(claim.instanceTypeOptions[0]?.allocatable.cpu).toBe(1780);
    expect(cheapestOffering(claim.instanceTypeOptions[0]!, claim.requirements)).toEqual({
      capacityType: 'on-demand',
      zone: 'us-east-1a',
      price: 0.0376,
      available: true,
    });
    expect(claim.requirements.singleValueLabels()).toEqual({
      [Labels.instanceType]: 't3a.medium',
      [Labels.capacityType]: 'on-demand',
      [Labels.nodePool]: 'developers-workshop-pool',
      'workload-type': 'developers-workshop',
    });
    expect(result.unschedulable.size).toBe(0);
  });
});

describe('instance type helpers', () => {
  const medium = instanceType('t3a.medium');
  const reqs = (sels: NodeSelectorRequirement[]) => Requirements.fromSelectors(sels);

  it('an instance type offers on-demand and spot in each of its zones', () => {
    expect(compatibleOfferings(medium, new Requirements())).toHaveLength(6);
    expect(medium.requirements.get(Labels.zone)?.toString()).toBe(
      `${Labels.zone} In [us-east-1a, us-east-1b, us-east-1c]`,
    );
    expect(medium.requirements.get(Labels.capacityType)?.toString()).toBe(
      `${Labels.capacityType} In [on-demand, spot]`,
    );
  });

  it('cheapestOffering honours zone and capacity-type requirements', () => {
    expect(cheapestOffering(medium, new Requirements())).toEqual({
      capacityType: 'spot',
      zone: 'us-east-1b',
      price: 0.0113,
      available: true,
    });
    expect(cheapestOffering(medium, reqs([onDemand]))?.price).toBe(0.0376);
    expect(
      cheapestOffering(medium, reqs([{ key: Labels.zone, operator: 'In', values: ['us-east-1a'] }])),
    ).toEqual({ capacityType: 'spot', zone: 'us-east-1a', price: 0.0137, available: true });
    expect(
      compatibleOfferings(
        medium,
        reqs([onDemand, { key: Labels.zone, operator: 'NotIn', values: ['us-east-1a', 'us-east-1b'] }]),
      ),
    ).toEqual([{ capacityType: 'on-demand', zone: 'us-east-1c', price: 0.0376, available: true }]);
  });

  it('skips unavailable offerings; with none left the type is incompatible', () => {
    const noSpotB = toInstanceType(
      catalogSpec('t3a.medium'),
      REGION,
      {},
      DEFAULT_CAPACITY_SETTINGS,
      (ct, zone) => {
        return ct === 'spot' && zone === 'us-east-1b';
      },
    );
    expect(cheapestOffering(noSpotB, new Requirements())).toMatchObject({
      zone: 'us-east-1c',
      price: 0.0127,
    });
    const noneLeft = toInstanceType(
      catalogSpec('t3a.medium'),
      REGION,
      {},
      DEFAULT_CAPACITY_SETTINGS,
      () => true,
    );
    expect(cheapestOffering(noneLeft, new Requirements())).toBeUndefined();
    expect(instanceTypeCompatible(noneLeft, new Requirements())).toBe(false);
  });

  it('instanceTypeCompatible checks labels the type defines and that an offering matches', () => {
    const xlarge = instanceType('t3a.xlarge');
    const moreThanTwoCpus = reqs([{ key: Labels.instanceCpu, operator: 'Gt', values: ['2'] }]);
    expect(instanceTypeCompatible(medium, moreThanTwoCpus)).toBe(false);
    expect(instanceTypeCompatible(xlarge, moreThanTwoCpus)).toBe(true);
    expect(
      instanceTypeCompatible(medium, reqs([{ key: Labels.arch, operator: 'In', values: ['arm64'] }])),
    ).toBe(false);
    expect(
      instanceTypeCompatible(medium, reqs([{ key: Labels.zone, operator: 'In', values: ['us-west-2a'] }])),
    ).toBe(false);
    expect(
      instanceTypeCompatible(
        medium,
        reqs([{ key: Labels.capacityType, operator: 'In', values: ['reserved'] }]),
      ),
    ).toBe(false);
    // Keys the instance type does not define (NodePool labels) are not its concern.
    expect(instanceTypeCompatible(medium, reqs([{ key: 'team', operator: 'In', values: ['a'] }]))).toBe(true);
  });

  it('a type without a GPU does not satisfy a GPU label requirement (known gap)', () => {
    // Non-GPU types carry no instance-gpu-* labels, and keys a type does not define are not checked, so a pod
    // selecting instance-gpu-count Gt 0 is offered m5.large. Karpenter gives such types DoesNotExist instead.
    const wantsGpu = reqs([{ key: Labels.instanceGpuCount, operator: 'Gt', values: ['0'] }]);
    expect(instanceTypeCompatible(instanceType('g5.xlarge'), wantsGpu)).toBe(true);
    expect(instanceTypeCompatible(instanceType('m5.large'), wantsGpu)).toBe(false);
  });
});

describe('cost-aware packing', () => {
  it('starts a second small node rather than growing a claim onto a pricier type than two small ones', () => {
    const pool = schedulingPool(
      nodePool('p', {
        requirements: [
          { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['t3a.medium', 't3a.xlarge'] },
          { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        ],
      }),
      instanceTypes(['t3a.medium', 't3a.xlarge'], WORKSHOP_KUBELET),
    );
    // Three 500m pods fill a t3a.medium (1780m); a fourth would need a t3a.xlarge costing 4× as much.
    const result = schedule({ pods: pods('w', 6, { cpu: '500m' }), nodes: [], nodePools: [pool] });
    expect(result.newNodeClaims.map((c) => [c.instanceTypeOptions[0]?.name, c.pods.length])).toEqual([
      ['t3a.medium', 3],
      ['t3a.medium', 3],
    ]);
  });
});

describe('host ports and minValues', () => {
  const pool = () =>
    schedulingPool(
      nodePool('p', { requirements: [onDemand] }),
      instanceTypes(['m5.large', 'm5.xlarge', 'c5.large']),
    );

  it('never puts two pods binding the same host port on one node', () => {
    const withPort = (name: string) => {
      const p = pod(name, { cpu: '100m' });
      (p.spec.containers[0] as { ports?: { containerPort: number; hostPort?: number }[] }).ports = [
        { containerPort: 8080, hostPort: 8080 },
      ];
      return p;
    };
    const running = withPort('running');
    const busy = { ...node('busy'), pods: [running] };
    const result = schedule({ pods: [withPort('a'), withPort('b')], nodes: [busy], nodePools: [pool()] });
    expect(result.existing.size).toBe(0);
    expect(result.newNodeClaims.map((c) => c.pods.length)).toEqual([1, 1]);
    // A port taken this round counts too, after pods without ports were placed on the node first.
    const round = schedule({
      pods: [pod('plain', { cpu: '200m' }), withPort('c'), withPort('d')],
      nodes: [node('free')],
      nodePools: [pool()],
    });
    expect(round.existing.get('free')?.map((p) => p.metadata.name)).toEqual(['plain', 'c']);
    expect(round.newNodeClaims.map((c) => c.pods.map((p) => p.metadata.name))).toEqual([['d']]);
  });

  it('keeps minValues distinct instance types open, and says why when it cannot', () => {
    const wants = (n: number) =>
      schedulingPool(
        nodePool('p', {
          requirements: [onDemand, { key: Labels.instanceType, operator: 'Exists', minValues: n }],
        }),
        instanceTypes(['m5.large', 'm5.xlarge', 'c5.large']),
      );
    const ok = schedule({ pods: [pod('a', { cpu: '100m' })], nodes: [], nodePools: [wants(3)] });
    expect(ok.newNodeClaims[0]?.instanceTypeOptions).toHaveLength(3);
    // 2 cpu only fits the xlarge (a large keeps 1930m): one type left, fewer than the 2 the pool demands.
    const tooBig = schedule({ pods: [pod('b', { cpu: '2' })], nodes: [], nodePools: [wants(2)] });
    expect([...tooBig.unschedulable.values()][0]?.reasons.join('; ')).toMatch(
      /minValues 2 for node.kubernetes.io\/instance-type cannot be met \(1 value\(s\) left\)/,
    );
  });
});

describe('repacking planned claims by price', () => {
  const m5 = () =>
    schedulingPool(
      nodePool('default', { requirements: [onDemand] }),
      instanceTypes(['m5.large', 'm5.xlarge', 'm5.2xlarge', 'm5.4xlarge', 'm5.8xlarge']),
    );
  const oneSided = () => [
    ...pods('cpu', 10, { cpu: '1', memory: '256Mi' }),
    ...pods('mem', 10, { cpu: '100m', memory: '3Gi' }),
  ];
  const cost = (result: SchedulingResult) =>
    result.newNodeClaims.reduce(
      (sum, c) =>
        sum + (cheapestOffering(c.instanceTypeOptions[0] as InstanceType, c.requirements)?.price ?? 0),
      0,
    );
  const coLocated = (result: SchedulingResult, prefix: string) =>
    Object.fromEntries(
      result.newNodeClaims.flatMap((c) =>
        c.pods
          .filter((p) => p.metadata.name?.startsWith(prefix))
          .map((p) => [p.metadata.name, names(c.pods).sort()]),
      ),
    );

  it('packs cpu-heavy and memory-heavy pods onto cheaper nodes, never more claims than the first pass', () => {
    // The first pass leaves four m5.xlarge ($0.768/h); one m5.2xlarge and one m5.xlarge hold the same pods.
    const input = { pods: oneSided(), nodes: [], nodePools: [m5()] };
    const first = schedule({ ...input, repack: false });
    const repacked = schedule(input);
    expect(repacked.newNodeClaims.length).toBeLessThanOrEqual(first.newNodeClaims.length);
    expect(cost(repacked)).toBeLessThan(cost(first));
    expect(cost(repacked)).toBeCloseTo(0.576, 6);
    for (const claim of repacked.newNodeClaims) {
      expect(claim.pods.some((p) => p.metadata.name?.startsWith('cpu'))).toBe(true);
      expect(claim.pods.some((p) => p.metadata.name?.startsWith('mem'))).toBe(true);
      expect(claim.instanceTypeOptions.every((it) => fits(claim.requests, it.allocatable))).toBe(true);
    }
    expect(repacked.newNodeClaims.flatMap((c) => names(c.pods)).sort()).toEqual(
      input.pods.map((p) => p.metadata.name).sort(),
    );
  });

  it('leaves pods a hostname topology term counts where the first pass put them', () => {
    const web = oneSided().map((p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'web' } } }));
    const spreader = pod('spreader', { cpu: '100m' });
    spreader.spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: Labels.hostname,
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'web' } },
      },
    ];
    const input = { pods: [...web, spreader], nodes: [], nodePools: [m5()] };
    const first = schedule({ ...input, repack: false });
    const repacked = schedule(input);
    expect(coLocated(repacked, 'cpu')).toEqual(coLocated(first, 'cpu'));
    expect(coLocated(repacked, 'mem')).toEqual(coLocated(first, 'mem'));
  });

  it('leaves claims of a NodePool with limits as planned (their reservations are already counted)', () => {
    const limited = schedulingPool(
      nodePool('default', { requirements: [onDemand], limits: { cpu: '1000' } }),
      instanceTypes(['m5.large', 'm5.xlarge', 'm5.2xlarge', 'm5.4xlarge', 'm5.8xlarge']),
      { remaining: { cpu: 1_000_000 } },
    );
    const input = { pods: oneSided(), nodes: [], nodePools: [limited] };
    const first = schedule({ ...input, repack: false });
    const repacked = schedule(input);
    expect(coLocated(repacked, '')).toEqual(coLocated(first, ''));
  });
});
