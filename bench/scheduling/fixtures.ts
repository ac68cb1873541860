/**
 * Benchmark inputs.
 *
 * 1. Karpenter's scheduling benchmark (kubernetes-sigs/karpenter, scheduling_benchmark_test.go), reproduced from
 *    its description so the comparison with its published numbers is like for like: 400 synthetic instance types
 *    and pods in six constraint classes. See ANCHORS.md §6.
 * 2. A realistic workload: deployments of identical replicas against the real EC2 catalog, to measure cost.
 */
import { Labels } from '../../sdk/api/well-known';
import { defaultCatalog, toInstanceType } from '../../runtime/cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from '../../runtime/scheduling/allocatable';
import type { InstanceType, Offering } from '../../runtime/scheduling/instance-types';
import type { NodePool, Pod } from '../../runtime/kube/objects';
import { Requirement, Requirements } from '../../runtime/scheduling/requirements';
import type { Resources } from '../../runtime/scheduling/resources';
import type { SchedulingInput } from '../../runtime/scheduling/scheduler';
import { nodePool } from '../../runtime/scheduling/testing';
import { intBetween, mulberry32, pick, type Random } from '../../runtime/simulator/prng';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const DEFAULT_SEED = 42;

// ---------------------------------------------------------------------------------------------------------------
// Karpenter's benchmark input.

export const FAKE_INSTANCE_TYPE_COUNT = 400;
export const FAKE_ZONES = ['test-zone-1', 'test-zone-2', 'test-zone-3'] as const;
export const FAKE_SPOT_ZONES = ['test-zone-1', 'test-zone-2'] as const;
/**
 * Karpenter's fake provider reserves 100m cpu and 10Mi memory (kubeReserved) on every fake instance type, so
 * allocatable is slightly below capacity; kept here so bin-packing matches its input.
 */
export const FAKE_OVERHEAD: Resources = { cpu: 100, memory: 10 * MiB };

/** The fake provider's price: $0.1 per vCPU plus $0.1 per GB (10^9 bytes) of memory, per hour. */
export function fakePrice(vcpu: number, memoryBytes: number): number {
  return 0.1 * vcpu + (0.1 * memoryBytes) / 1e9;
}

/** Type i has i+1 vCPU, 2(i+1) GiB and room for 10(i+1) pods. */
export function fakeInstanceType(i: number): InstanceType {
  const vcpu = i + 1;
  const memory = 2 * vcpu * GiB;
  const capacity: Resources = { cpu: vcpu * 1000, memory, pods: 10 * vcpu };
  const price = fakePrice(vcpu, memory);
  const offerings: Offering[] = [
    ...FAKE_SPOT_ZONES.map((zone): Offering => ({ capacityType: 'spot', zone, price, available: true })),
    ...FAKE_ZONES.map((zone): Offering => ({ capacityType: 'on-demand', zone, price, available: true })),
  ];
  const requirements = Requirements.fromLabels({
    [Labels.instanceType]: `fake-it-${i}`,
    [Labels.arch]: 'amd64',
    [Labels.os]: 'linux',
  });
  requirements.add(Requirement.in(Labels.zone, FAKE_ZONES));
  requirements.add(Requirement.in(Labels.capacityType, ['spot', 'on-demand']));
  const allocatable: Resources = {
    cpu: capacity.cpu - (FAKE_OVERHEAD.cpu ?? 0),
    memory: memory - (FAKE_OVERHEAD.memory ?? 0),
    pods: capacity.pods,
  };
  return {
    name: `fake-it-${i}`,
    requirements,
    capacity,
    overhead: { ...FAKE_OVERHEAD },
    allocatable,
    offerings,
  };
}

export function fakeInstanceTypes(count = FAKE_INSTANCE_TYPE_COUNT): InstanceType[] {
  return Array.from({ length: count }, (_, i) => fakeInstanceType(i));
}

export type BenchmarkVariant = 'default' | 'minValues';

/** One NodePool with no requirements, or (the minValues variant) instance-type Exists with minValues 50. */
export function benchmarkNodePool(variant: BenchmarkVariant = 'default'): NodePool {
  return nodePool('default', {
    requirements:
      variant === 'minValues' ? [{ key: Labels.instanceType, operator: 'Exists', minValues: 50 }] : [],
  });
}

export const POD_CLASSES = [
  'generic',
  'zone-spread',
  'hostname-spread',
  'hostname-affinity',
  'zone-affinity',
  'hostname-anti-affinity',
] as const;
export type PodClass = (typeof POD_CLASSES)[number];

export const LABEL_VALUES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const;
export const CPU_CHOICES_M = [100, 250, 500, 1000, 1500] as const;
export const MEMORY_CHOICES_MI = [100, 256, 512, 1024, 2048, 4096] as const;
export const SPREAD_LABEL = 'my-label';
/** Upstream's spelling, kept so the input is identical. */
export const AFFINITY_LABEL = 'my-affininity';
export const ANTI_AFFINITY_LABELS: Record<string, string> = { app: 'nginx' };

export interface BenchmarkPods {
  pods: Pod[];
  /** Each pod's constraint class, for the per-class breakdown. */
  classOf: Map<Pod, PodClass>;
}

function basePod(name: string, labels: Record<string, string>, random: Random): Pod {
  // Draw cpu before memory, after the labels, as upstream does.
  const cpu = `${pick(random, CPU_CHOICES_M)}m`;
  const memory = `${pick(random, MEMORY_CHOICES_MI)}Mi`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'app', resources: { requests: { cpu, memory } } }] },
    status: { phase: 'Pending' },
  };
}

function makePod(cls: PodClass, name: string, random: Random): Pod {
  switch (cls) {
    case 'generic':
      // Generic pods carry `my-label` too, so the spread selectors count them.
      return basePod(name, { [SPREAD_LABEL]: pick(random, LABEL_VALUES) }, random);
    case 'zone-spread':
    case 'hostname-spread': {
      // Label and selector are drawn independently upstream: a pod need not match its own selector.
      const label = pick(random, LABEL_VALUES);
      const selector = pick(random, LABEL_VALUES);
      const p = basePod(name, { [SPREAD_LABEL]: label }, random);
      p.spec.topologySpreadConstraints = [
        {
          maxSkew: 1,
          topologyKey: cls === 'zone-spread' ? Labels.zone : Labels.hostname,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { [SPREAD_LABEL]: selector } },
        },
      ];
      return p;
    }
    case 'hostname-affinity':
    case 'zone-affinity': {
      const label = pick(random, LABEL_VALUES);
      const selector = pick(random, LABEL_VALUES);
      const p = basePod(name, { [AFFINITY_LABEL]: label }, random);
      p.spec.affinity = {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { [AFFINITY_LABEL]: selector } },
              topologyKey: cls === 'zone-affinity' ? Labels.zone : Labels.hostname,
            },
          ],
        },
      };
      return p;
    }
    case 'hostname-anti-affinity': {
      const p = basePod(name, { ...ANTI_AFFINITY_LABELS }, random);
      p.spec.affinity = {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { ...ANTI_AFFINITY_LABELS } }, topologyKey: Labels.hostname },
          ],
        },
      };
      return p;
    }
  }
}

/**
 * `count` pods: count/6 of each class in upstream's order (generic, zone spread, hostname spread, hostname
 * affinity, zone affinity, hostname anti-affinity), then the remainder as generic pods.
 */
export function benchmarkPods(count: number, seed = DEFAULT_SEED): BenchmarkPods {
  const random = mulberry32(seed);
  const pods: Pod[] = [];
  const classOf = new Map<Pod, PodClass>();
  const perClass = Math.floor(count / POD_CLASSES.length);
  const plan: [PodClass, number][] = POD_CLASSES.map((cls) => [cls, perClass]);
  plan.push(['generic', count - perClass * POD_CLASSES.length]);
  const seen = new Map<PodClass, number>();
  for (const [cls, n] of plan) {
    for (let i = 0; i < n; i++) {
      const index = seen.get(cls) ?? 0;
      seen.set(cls, index + 1);
      const p = makePod(cls, `${cls}-${index}`, random);
      pods.push(p);
      classOf.set(p, cls);
    }
  }
  return { pods, classOf };
}

/** Only generic pods: the input for the packing-efficiency target, free of constraints that force extra nodes. */
export function genericPods(count: number, seed = DEFAULT_SEED): BenchmarkPods {
  const random = mulberry32(seed);
  const pods: Pod[] = [];
  const classOf = new Map<Pod, PodClass>();
  for (let i = 0; i < count; i++) {
    const p = makePod('generic', `generic-${i}`, random);
    pods.push(p);
    classOf.set(p, 'generic');
  }
  return { pods, classOf };
}

export interface BenchmarkInput extends BenchmarkPods {
  input: SchedulingInput;
}

export function benchmarkInput(
  count: number,
  opts: {
    seed?: number;
    variant?: BenchmarkVariant;
    genericOnly?: boolean;
    instanceTypes?: InstanceType[];
  } = {},
): BenchmarkInput {
  const { pods, classOf } = (opts.genericOnly ? genericPods : benchmarkPods)(
    count,
    opts.seed ?? DEFAULT_SEED,
  );
  return {
    pods,
    classOf,
    input: {
      pods,
      nodes: [],
      nodePools: [
        {
          nodePool: benchmarkNodePool(opts.variant ?? 'default'),
          instanceTypes: opts.instanceTypes ?? fakeInstanceTypes(),
          daemonOverhead: {},
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The realistic workload.

export interface PodShape {
  cpu: string;
  memory: string;
}

export const DEPLOYMENT_SHAPES: readonly PodShape[] = [
  { cpu: '250m', memory: '512Mi' },
  { cpu: '500m', memory: '1Gi' },
  { cpu: '1', memory: '2Gi' },
  { cpu: '2', memory: '8Gi' },
  { cpu: '4', memory: '16Gi' },
];

export interface Deployment {
  name: string;
  replicas: number;
  shape: PodShape;
}

/** `count` deployments of 5–50 identical replicas, each of a shape drawn from DEPLOYMENT_SHAPES. */
export function realisticDeployments(count = 20, seed = DEFAULT_SEED): Deployment[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => ({
    name: `deploy-${i}`,
    replicas: intBetween(random, 5, 50),
    shape: pick(random, DEPLOYMENT_SHAPES),
  }));
}

export function deploymentPods(deployments: Deployment[]): Pod[] {
  return deployments.flatMap((d) =>
    Array.from({ length: d.replicas }, (_, j): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${d.name}-${j}`,
        namespace: 'default',
        labels: { app: d.name },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: d.name, uid: `uid-${d.name}` }],
      },
      spec: {
        containers: [{ name: 'app', resources: { requests: { cpu: d.shape.cpu, memory: d.shape.memory } } }],
      },
      status: { phase: 'Pending' },
    })),
  );
}

/** Every catalog instance type, with allocatable for the default kubelet settings (no EC2NodeClass overrides). */
export function catalogInstanceTypes(): InstanceType[] {
  return defaultCatalog.specs.map((spec) =>
    toInstanceType(spec, defaultCatalog.region, {}, DEFAULT_CAPACITY_SETTINGS),
  );
}

export const REALISTIC_CAPACITY_TYPES = ['on-demand', 'spot'] as const;

export function realisticNodePool(capacityTypes: readonly string[] = REALISTIC_CAPACITY_TYPES): NodePool {
  return nodePool('realistic', {
    requirements: [{ key: Labels.capacityType, operator: 'In', values: [...capacityTypes] }],
  });
}

export interface RealisticInput {
  deployments: Deployment[];
  input: SchedulingInput;
}

/** The realistic workload on one NodePool allowing `capacityTypes` (by default on-demand and spot). */
export function realisticInput(
  seed = DEFAULT_SEED,
  capacityTypes: readonly string[] = REALISTIC_CAPACITY_TYPES,
): RealisticInput {
  const deployments = realisticDeployments(20, seed);
  return {
    deployments,
    input: {
      pods: deploymentPods(deployments),
      nodes: [],
      nodePools: [
        {
          nodePool: realisticNodePool(capacityTypes),
          instanceTypes: catalogInstanceTypes(),
          daemonOverhead: {},
        },
      ],
    },
  };
}
