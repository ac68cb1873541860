/**
 * Small builders for scheduling tests: pods, nodes, NodePools and instance types from the real catalog. Test
 * support only; nothing in the runtime imports it.
 */
import type { KubeletConfiguration } from '../../sdk/api/ec2nodeclass';
import { nodePoolSchema, type NodePoolInput } from '../../sdk/api/nodepool';
import { defaultCatalog, toInstanceType, type InstanceTypeSpec } from '../cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from './allocatable';
import type { InstanceType, Offering } from './instance-types';
import { Labels } from '../../sdk/api/well-known';
import type {
  Container,
  NodePool,
  NodeSelectorRequirement,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  Taint,
  Toleration,
} from '../kube/objects';
import type { Resources } from './resources';
import type { PlannedNodeClaim, SchedulableNode, SchedulingNodePool } from './scheduler';
import { Requirement, Requirements } from './requirements';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const REGION = 'us-east-1';
export const WORKSHOP_LABEL = { 'workload-type': 'developers-workshop' } as const;
/** The seed lab's EC2NodeClass kubelet settings: a t3a.medium then offers 1780m cpu. */
export const WORKSHOP_KUBELET: KubeletConfiguration = { systemReserved: { cpu: '150m' } };

export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  /** Extra requests, e.g. { 'nvidia.com/gpu': '1' }. */
  requests?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  /** Required node affinity: one array of expressions per OR'ed term. */
  affinityTerms?: NodeSelectorRequirement[][];
  tolerations?: Toleration[];
  containers?: Container[];
  initContainers?: Container[];
  ownerKind?: string;
}

/** A pending pod with one container requesting `cpu` (default 100m) and optionally `memory`. */
export function pod(name: string, opts: PodOptions = {}): Pod {
  const requests: Record<string, string> = { cpu: opts.cpu ?? '100m', ...opts.requests };
  if (opts.memory) requests.memory = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      ...(opts.ownerKind
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: opts.ownerKind, name: 'owner', uid: 'uid-1' }] }
        : {}),
    },
    spec: {
      containers: opts.containers ?? [{ name: 'app', resources: { requests } }],
      ...(opts.initContainers ? { initContainers: opts.initContainers } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      ...(opts.affinityTerms
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: opts.affinityTerms.map((matchExpressions) => ({ matchExpressions })),
                },
              },
            },
          }
        : {}),
    },
    status: { phase: 'Pending' },
  };
}

/** `count` identical pods named `${prefix}-0`, `${prefix}-1`, … */
export function pods(prefix: string, count: number, opts: PodOptions = {}): Pod[] {
  return Array.from({ length: count }, (_, i) => pod(`${prefix}-${i}`, opts));
}

export interface NodePoolOptions {
  requirements?: NodeSelectorRequirement[];
  labels?: Record<string, string>;
  taints?: Taint[];
  weight?: number;
  limits?: Record<string, string>;
  /** A static NodePool's replicas. */
  replicas?: number;
}

/** A NodePool parsed with its schema, so every default applies. */
export function nodePool(name: string, opts: NodePoolOptions = {}): NodePool {
  const input: NodePoolInput = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name },
    spec: {
      template: {
        ...(opts.labels ? { metadata: { labels: opts.labels } } : {}),
        spec: {
          requirements: opts.requirements ?? [],
          ...(opts.taints ? { taints: opts.taints } : {}),
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        },
      },
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.weight !== undefined ? { weight: opts.weight } : {}),
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
    },
  };
  return nodePoolSchema.parse(input);
}

export function catalogSpec(name: string): InstanceTypeSpec {
  const spec = defaultCatalog.specs.find((s) => s.name === name);
  if (!spec) throw new Error(`instance type ${name} is not in the catalog`);
  return spec;
}

/** A real instance type from the catalog, sized for `kubelet`, AL2023's pod rules and the default settings. */
export function instanceType(name: string, kubelet?: KubeletConfiguration): InstanceType {
  return toInstanceType(catalogSpec(name), REGION, { kubelet }, DEFAULT_CAPACITY_SETTINGS);
}

export function instanceTypes(names: string[], kubelet?: KubeletConfiguration): InstanceType[] {
  return names.map((n) => instanceType(n, kubelet));
}

export function schedulingPool(
  pool: NodePool,
  types: InstanceType[],
  opts: { daemonOverhead?: Resources; remaining?: Resources } = {},
): SchedulingNodePool {
  return {
    nodePool: pool,
    instanceTypes: types,
    daemonOverhead: opts.daemonOverhead ?? {},
    ...(opts.remaining ? { remaining: opts.remaining } : {}),
  };
}

export interface NodeOptions {
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Defaults to 2 cpu, 8Gi memory, 110 pods. */
  allocatable?: Resources;
  requested?: Resources;
  inFlight?: boolean;
}

/** A node the scheduler or predicates can place pods on (runtime units: millicores and bytes). */
export function node(name: string, opts: NodeOptions = {}): SchedulableNode {
  return {
    name,
    labels: { 'kubernetes.io/hostname': name, ...opts.labels },
    taints: opts.taints ?? [],
    allocatable: opts.allocatable ?? { cpu: 2000, memory: 8 * GiB, pods: 110 },
    requested: opts.requested ?? {},
    inFlight: opts.inFlight ?? false,
  };
}

/** A PersistentVolumeClaim in `default` with the given spec (a bound volume name, a storage class...). */
export function volumeClaim(name: string, spec: PersistentVolumeClaim['spec']): PersistentVolumeClaim {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec };
}

/** A PersistentVolume its node affinity pins to one zone, as an EBS volume is. */
export function zonalVolume(name: string, zone: string): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: Labels.zone, operator: 'In', values: [zone] }] }],
        },
      },
    },
  };
}

/** A planned NodeClaim of pool "default" with these options, for the consumers of a scheduling result. */
export function plannedClaim(
  instanceTypeOptions: InstanceType[],
  opts: { capacityTypes?: string[]; requests?: Resources } = {},
): PlannedNodeClaim {
  return {
    nodePoolName: 'default',
    requirements: new Requirements([
      Requirement.in(Labels.capacityType, opts.capacityTypes ?? ['on-demand']),
    ]),
    taints: [],
    pods: [],
    requests: opts.requests ?? {},
    instanceTypeOptions,
  };
}

/**
 * m5.large with its on-demand offerings and a reserved one in reservation `id` (us-east-1a) with `capacity`
 * instances of room: available while it has room, unless `extra` says otherwise.
 */
export function reservedInstanceType(
  id: string,
  capacity: number,
  extra: Partial<Offering> = {},
): InstanceType {
  const it = instanceType('m5.large');
  const reserved: Offering = {
    capacityType: 'reserved',
    zone: 'us-east-1a',
    price: 0.00000001,
    available: capacity > 0,
    reservation: { id, type: 'default', interruptible: false, capacity },
    ...extra,
  };
  const requirements = new Requirements(
    it.requirements.values().filter((r) => r.key !== Labels.capacityType),
  ).add(Requirement.in(Labels.capacityType, ['on-demand', 'reserved']));
  return { ...it, requirements, offerings: [...it.offerings, reserved] };
}
