/**
 * Constraints through the whole scheduler: volume topology, minValues BestEffort,
 * PreferNoSchedule taints relaxed last, topology spread nodeTaintsPolicy Honor, and per-NodePool reasons.
 */
import { Labels } from '../../sdk/api/well-known';
import type { NodeSelectorRequirement, Pod, StorageClass, Taint } from '../kube/objects';
import { podKey } from './pod-requirements';
import { schedule, type MinValuesPolicy, type SchedulingInput, type SchedulingResult } from './scheduler';
import {
  GiB,
  instanceTypes,
  node,
  nodePool,
  pod,
  pods,
  schedulingPool,
  volumeClaim,
  zonalVolume,
} from './testing';
import { volumeLookup, volumeTopologyResolver } from './volume-topology';

const onDemand: NodeSelectorRequirement = { key: Labels.capacityType, operator: 'In', values: ['on-demand'] };
const zoneOf = (result: SchedulingResult, i = 0): string | undefined =>
  result.newNodeClaims[i]?.requirements.get(Labels.zone)?.single;
const reasonsOf = (result: SchedulingResult, p: Pod): string[] | undefined =>
  result.unschedulable.get(podKey(p))?.reasons;

describe('volume topology', () => {
  const lookup = volumeLookup({
    claims: [
      { name: 'bound-b', spec: { volumeName: 'pv-b' } },
      { name: 'wait-c', spec: { storageClassName: 'gp3-c' } },
      { name: 'immediate', spec: { storageClassName: 'gp3-now' } },
      { name: 'dangling', spec: { volumeName: 'pv-gone' } },
    ].map(({ name, spec }) => volumeClaim(name, spec)),
    volumes: [zonalVolume('pv-b', 'us-east-1b')],
    storageClasses: [
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'gp3-c' },
        provisioner: 'ebs.csi.aws.com',
        volumeBindingMode: 'WaitForFirstConsumer',
        allowedTopologies: [{ matchLabelExpressions: [{ key: Labels.zone, values: ['us-east-1c'] }] }],
      } satisfies StorageClass,
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'gp3-now' },
        provisioner: 'ebs.csi.aws.com',
        volumeBindingMode: 'Immediate',
        allowedTopologies: [{ matchLabelExpressions: [{ key: Labels.zone, values: ['us-east-1a'] }] }],
      } satisfies StorageClass,
    ],
  });
  const withClaim = (name: string, claimName: string, opts: Parameters<typeof pod>[1] = {}): Pod => {
    const p = pod(name, opts);
    p.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName } }];
    return p;
  };
  const run = (podList: Pod[], input: Partial<SchedulingInput> = {}): SchedulingResult =>
    schedule({
      pods: podList,
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), instanceTypes(['t3a.medium'])),
      ],
      volumeTopology: volumeTopologyResolver(lookup),
      ...input,
    });

  it.each([
    { claim: 'bound-b', zone: 'us-east-1b', why: 'a bound PersistentVolume pins the zone' },
    { claim: 'wait-c', zone: 'us-east-1c', why: 'WaitForFirstConsumer allowedTopologies pin the zone' },
    { claim: 'immediate', zone: undefined, why: 'an Immediate StorageClass leaves the zone open' },
  ])('$why', ({ claim, zone }) => {
    const result = run([withClaim('p', claim)]);
    expect(result.unschedulable.size).toBe(0);
    expect(zoneOf(result)).toBe(zone);
  });

  it('pods whose volumes live in different zones get separate claims', () => {
    const result = run([withClaim('b', 'bound-b'), withClaim('c', 'wait-c'), pod('free')]);
    expect(result.newNodeClaims.map((c) => [c.requirements.get(Labels.zone)?.single, c.pods.length])).toEqual(
      [
        ['us-east-1b', 2],
        ['us-east-1c', 1],
      ],
    );
  });

  it('a volume in another zone than the pod’s node selector makes it unschedulable, saying so', () => {
    const p = withClaim('p', 'bound-b', { nodeSelector: { [Labels.zone]: 'us-east-1a' } });
    expect(reasonsOf(run([p]), p)).toEqual([
      'its volumes need topology.kubernetes.io/zone In [us-east-1b], which its node selector or affinity excludes',
    ]);
  });

  it('an existing node in the wrong zone is passed over for a claim in the volume’s zone', () => {
    const existing = node('node-a', { labels: { [Labels.zone]: 'us-east-1a' } });
    const result = run([withClaim('p', 'bound-b')], { nodes: [existing] });
    expect(result.existing.size).toBe(0);
    expect(zoneOf(result)).toBe('us-east-1b');
  });

  it('a pod whose volume is missing is unschedulable with the volume’s reason, and others still place', () => {
    const waiting = withClaim('waiting', 'dangling');
    const missing = withClaim('missing', 'nope');
    const result = run([waiting, missing, pod('free')]);
    expect(reasonsOf(result, waiting)).toEqual([
      'PersistentVolumeClaim default/dangling is bound to PersistentVolume pv-gone, which does not exist',
    ]);
    expect(reasonsOf(result, missing)).toEqual(['PersistentVolumeClaim default/nope does not exist']);
    expect(result.newNodeClaims.flatMap((c) => c.pods.map((p) => p.metadata.name))).toEqual(['free']);
  });

  it('without a resolver volumes impose nothing', () => {
    const result = run([withClaim('p', 'bound-b')], { volumeTopology: undefined });
    expect(zoneOf(result)).toBeUndefined();
  });
});

describe('minValues policy', () => {
  const pool = (minValues: number) =>
    schedulingPool(
      nodePool('default', {
        requirements: [onDemand, { key: Labels.instanceType, operator: 'Exists', minValues }],
      }),
      instanceTypes(['t3a.medium', 't3a.large']),
    );
  const run = (podList: Pod[], minValues: number, policy?: MinValuesPolicy) =>
    schedule({
      pods: podList,
      nodes: [],
      nodePools: [pool(minValues)],
      ...(policy ? { minValuesPolicy: policy } : {}),
    });
  const minValuesOf = (result: SchedulingResult, i = 0) =>
    result.newNodeClaims[i]?.requirements.get(Labels.instanceType)?.minValues;

  it.each([
    { policy: undefined, claims: 0, relaxed: undefined, minValues: undefined },
    { policy: 'Strict' as const, claims: 0, relaxed: undefined, minValues: undefined },
    { policy: 'BestEffort' as const, claims: 1, relaxed: true, minValues: 2 },
  ])('a new claim short of minValues: $policy', ({ policy, claims, relaxed, minValues }) => {
    const p = pod('p');
    const result = run([p], 3, policy);
    expect(result.newNodeClaims).toHaveLength(claims);
    expect(result.newNodeClaims[0]?.minValuesRelaxed).toBe(relaxed);
    expect(minValuesOf(result)).toBe(minValues);
    if (claims === 0) {
      expect(reasonsOf(result, p)).toEqual([
        'NodePool "default": minValues 3 for node.kubernetes.io/instance-type cannot be met (2 value(s) left)',
      ]);
    }
  });

  // Two 2Gi pods only fit a t3a.large together: joining would leave one instance type.
  it.each([
    { policy: 'Strict' as const, claims: [1, 1], relaxed: undefined, minValues: 2 },
    { policy: 'BestEffort' as const, claims: [2], relaxed: true, minValues: 1 },
  ])('a pod that would narrow a claim below minValues: $policy', ({ policy, claims, relaxed, minValues }) => {
    const result = run(pods('p', 2, { memory: '2Gi' }), 2, policy);
    expect(result.newNodeClaims.map((c) => c.pods.length)).toEqual(claims);
    expect(result.newNodeClaims[0]?.minValuesRelaxed).toBe(relaxed);
    expect(minValuesOf(result)).toBe(minValues);
    expect(result.newNodeClaims[0]?.instanceTypeOptions.map((t) => t.name)).toEqual(
      policy === 'Strict' ? ['t3a.medium', 't3a.large'] : ['t3a.large'],
    );
  });
});

describe('PreferNoSchedule taints are avoided, then relaxed last', () => {
  const prefer: Taint = { key: 'spot-only', value: 'true', effect: 'PreferNoSchedule' };
  const pool = (name: string, weight: number, taints: Taint[] = []) =>
    schedulingPool(
      nodePool(name, { weight, taints, requirements: [onDemand] }),
      instanceTypes(['t3a.medium']),
    );

  it.each([
    {
      why: 'a lighter untainted NodePool wins over a heavier tainted one',
      pools: [pool('tainted', 100, [prefer]), pool('plain', 1)],
      tolerations: undefined,
      expected: 'plain',
    },
    {
      why: 'a pod tolerating the taint takes the heavier NodePool',
      pools: [pool('tainted', 100, [prefer]), pool('plain', 1)],
      tolerations: [{ key: 'spot-only', operator: 'Exists' as const }],
      expected: 'tainted',
    },
    {
      why: 'with only a tainted NodePool, the taint is relaxed',
      pools: [pool('tainted', 100, [prefer])],
      tolerations: undefined,
      expected: 'tainted',
    },
  ])('$why', ({ pools, tolerations, expected }) => {
    const result = schedule({
      pods: [pod('p', tolerations ? { tolerations } : {})],
      nodes: [],
      nodePools: pools,
    });
    expect(result.newNodeClaims.map((c) => c.nodePoolName)).toEqual([expected]);
  });

  it('an existing node with the taint is used only when nothing else can take the pod', () => {
    const tainted = node('tainted-node', { taints: [prefer] });
    const withPool = schedule({ pods: [pod('p')], nodes: [tainted], nodePools: [pool('plain', 1)] });
    expect(withPool.existing.size).toBe(0);
    expect(withPool.newNodeClaims).toHaveLength(1);
    const alone = schedule({ pods: [pod('p')], nodes: [tainted], nodePools: [] });
    expect([...alone.existing.keys()]).toEqual(['tainted-node']);
  });

  it('the reason of an unschedulable pod names the last relaxation', () => {
    const p = pod('p', { cpu: '64' });
    const result = schedule({ pods: [p], nodes: [], nodePools: [pool('tainted', 1, [prefer])] });
    expect(reasonsOf(result, p)?.at(-1)).toBe('even after relaxing PreferNoSchedule taints');
  });
});

describe('topology spread nodeTaintsPolicy', () => {
  // Zones a and b come from an untainted NodePool; zone c only from one whose taint the pods do not tolerate.
  const nodePools = [
    schedulingPool(
      nodePool('open', {
        requirements: [onDemand, { key: Labels.zone, operator: 'In', values: ['us-east-1a', 'us-east-1b'] }],
      }),
      instanceTypes(['t3a.medium']),
    ),
    schedulingPool(
      nodePool('reserved', {
        requirements: [onDemand, { key: Labels.zone, operator: 'In', values: ['us-east-1c'] }],
        taints: [{ key: 'team', value: 'x', effect: 'NoSchedule' }],
      }),
      instanceTypes(['t3a.medium']),
    ),
  ];
  const spreadPods = (policy?: 'Honor' | 'Ignore'): Pod[] =>
    // 1.5 cpu each: one pod per claim, so each pod shows its zone.
    pods('web', 3, { cpu: '1500m' }).map((p) => {
      p.metadata.labels = { app: 'web' };
      p.spec.topologySpreadConstraints = [
        {
          maxSkew: 1,
          topologyKey: Labels.zone,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          ...(policy ? { nodeTaintsPolicy: policy } : {}),
        },
      ];
      return p;
    });

  it.each([
    { policy: undefined, placed: 2, why: 'Ignore (the default) counts the tainted zone, which stays empty' },
    { policy: 'Ignore' as const, placed: 2, why: 'Ignore counts the tainted zone' },
    { policy: 'Honor' as const, placed: 3, why: 'Honor leaves the tainted zone out of the skew' },
  ])('$why', ({ policy, placed }) => {
    const result = schedule({ pods: spreadPods(policy), nodes: [], nodePools });
    expect(result.newNodeClaims).toHaveLength(placed);
    expect(result.newNodeClaims.every((c) => c.nodePoolName === 'open')).toBe(true);
    const zones = result.newNodeClaims.map((c) => c.requirements.get(Labels.zone)?.single).sort();
    expect(new Set(zones)).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    for (const { reasons } of result.unschedulable.values()) {
      expect(reasons).toContain(
        'NodePool "open": topology spread on topology.kubernetes.io/zone would exceed maxSkew 1',
      );
    }
  });
});

describe('pods that name their node', () => {
  it('never get a new claim (its name is unknown before launch); a NotIn on the hostname does', () => {
    const named = pod('named', { nodeSelector: { [Labels.hostname]: 'node-x' } });
    const avoiding = pod('avoiding', {
      affinityTerms: [[{ key: Labels.hostname, operator: 'NotIn', values: ['node-x'] }]],
    });
    const result = schedule({
      pods: [named, avoiding],
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), instanceTypes(['t3a.medium'])),
      ],
    });
    expect(reasonsOf(result, named)?.[0]).toBe(
      `NodePool "default": requires ${Labels.hostname} In [node-x]: a new node's name is not known before it launches`,
    );
    expect(result.newNodeClaims.flatMap((c) => c.pods)).toEqual([avoiding]);
    // The claim carries no hostname requirement for the NodeClaim to write.
    expect(result.newNodeClaims[0]?.requirements.get(Labels.hostname)?.complement ?? true).toBe(true);
  });
});

describe('per-NodePool reasons', () => {
  it('names the zone a pod is pinned to when no instance type there is large enough', () => {
    const p = pod('p', { cpu: '64', nodeSelector: { [Labels.zone]: 'us-east-1a' } });
    const result = schedule({
      pods: [p],
      nodes: [],
      nodePools: [
        schedulingPool(nodePool('default', { requirements: [onDemand] }), instanceTypes(['t3a.medium'])),
      ],
    });
    expect(reasonsOf(result, p)?.[0]).toMatch(
      /^NodePool "default": no instance type in zone us-east-1a has enough resources for cpu=64 /,
    );
  });

  it('names the limit that stops every fitting instance type, with its configured value', () => {
    const np = nodePool('default', { requirements: [onDemand], limits: { cpu: '100', memory: '1000Gi' } });
    const p = pod('p');
    const result = schedule({
      pods: [p],
      nodes: [],
      nodePools: [
        schedulingPool(np, instanceTypes(['t3a.medium']), { remaining: { cpu: 1000, memory: 100 * GiB } }),
      ],
    });
    expect(reasonsOf(result, p)).toEqual([
      'NodePool "default": NodePool limit cpu=100 reached (remaining cpu=1; ' +
        'the smallest fitting instance type needs cpu=2)',
    ]);
  });
});
