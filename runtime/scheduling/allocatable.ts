/**
 * Node capacity and allocatable for an instance type, computed the way Karpenter's AWS provider (v1.14) does, so the
 * scheduler is promised what the kubelet will report: memory less the VM overhead (VM_MEMORY_OVERHEAD_PERCENT),
 * pods from the kubelet's maxPods, else the ENI limit less RESERVED_ENIS and the node class's efa-only interfaces on
 * card 0 where the AMI family sizes pods by ENIs, else 110, capped by podsPerCore where the family honours it; EFA
 * devices as vpc.amazonaws.com/efa; allocatable = capacity − kubeReserved − systemReserved − evictionHard. One
 * formula for the AWS provider, the simulated cloud and the kwok provider.
 */
import type { KubeletConfiguration, NetworkInterface } from '../../sdk/api/ec2nodeclass';
import { ExtendedResources, type AmiFamily } from '../../sdk/api/well-known';
import { fromResourceList, parseQuantity, subtract, type Resources } from './resources';

const MiB = 2 ** 20;

/** VM_MEMORY_OVERHEAD_PERCENT's default, as upstream. */
export const DEFAULT_VM_MEMORY_OVERHEAD_PERCENT = 0.075;
/** RESERVED_ENIS's default, as upstream. */
export const DEFAULT_RESERVED_ENIS = 0;

/** The controller settings that shape every instance type's capacity. */
export interface CapacitySettings {
  /** VM_MEMORY_OVERHEAD_PERCENT: the share of an instance's memory the hypervisor and kernel keep (0.075 = 7.5%). */
  vmMemoryOverheadPercent: number;
  /** RESERVED_ENIS: ENIs left out of ENI-limited max pods (VPC CNI custom networking). */
  reservedENIs: number;
}

export const DEFAULT_CAPACITY_SETTINGS: Readonly<CapacitySettings> = {
  vmMemoryOverheadPercent: DEFAULT_VM_MEMORY_OVERHEAD_PERCENT,
  reservedENIs: DEFAULT_RESERVED_ENIS,
};

/** What capacity is computed from, as DescribeInstanceTypes reports it. */
export interface InstanceHardware {
  vcpu: number;
  /** MemoryInfo.SizeInMiB: the full instance memory (what the instance-memory label shows). */
  memoryMiB: number;
  /** Kubernetes arch: amd64 or arm64. */
  arch: string;
  /** ENIs of the default network card: the only card the VPC CNI gives pods addresses on. */
  maxENIs: number;
  ipv4PerENI: number;
  /** EfaInfo.MaximumEfaInterfaces: the EFA devices the type takes. @default 0 (no EfaInfo) */
  maxEfaInterfaces?: number;
}

/**
 * What a node class decides about capacity: its kubelet settings, AMI family (undefined: AL2023's rules) and network
 * interfaces (EFA devices, and the ENIs efa-only ones take from pods).
 */
export interface NodeClassShape {
  kubelet?: KubeletConfiguration | undefined;
  amiFamily?: AmiFamily | undefined;
  networkInterfaces?: readonly NetworkInterface[] | undefined;
}

/** How a family's bootstrap sizes pods (upstream's per-family feature flags). */
interface FamilyPodRules {
  /** Without kubelet maxPods, max pods is the ENI limit (else 110). */
  eniLimitedPods: boolean;
  podsPerCore: boolean;
  /** kubeReserved memory is sized for the ENI limit (no RESERVED_ENIS), whatever max pods is. */
  eniLimitedMemoryOverhead: boolean;
}

const DEFAULT_RULES: FamilyPodRules = {
  eniLimitedPods: true,
  podsPerCore: true,
  eniLimitedMemoryOverhead: true,
};

export function familyPodRules(family: AmiFamily | undefined): FamilyPodRules {
  if (family === 'Bottlerocket')
    return { eniLimitedPods: true, podsPerCore: false, eniLimitedMemoryOverhead: false };
  if (family?.startsWith('Windows'))
    return { eniLimitedPods: false, podsPerCore: true, eniLimitedMemoryOverhead: false };
  return DEFAULT_RULES;
}

/**
 * Memory capacity in bytes: the instance memory less 64Mi on arm64 (Graviton's reserved CMA), less the VM overhead
 * share rounded up to whole MiB.
 */
export function memoryCapacityBytes(
  hw: Pick<InstanceHardware, 'memoryMiB' | 'arch'>,
  vmMemoryOverheadPercent: number,
): number {
  const mib = hw.memoryMiB - (hw.arch === 'arm64' ? 64 : 0);
  const overheadMiB = Math.ceil((mib * MiB * vmMemoryOverheadPercent) / MiB);
  return (mib - overheadMiB) * MiB;
}

/**
 * Pods the VPC CNI can address: one per secondary IP of each usable ENI, plus 2 host-network pods; none once the
 * reserved ENIs take them all.
 */
export function eniLimitedPods(maxENIs: number, ipv4PerENI: number, reservedENIs = 0): number {
  const usable = Math.max(maxENIs - reservedENIs, 0);
  return usable === 0 ? 0 : usable * (ipv4PerENI - 1) + 2;
}

/**
 * The node class's efa-only interfaces on network card 0: each takes an ENI of the default card and gives pods no
 * addresses, so ENI-limited pods count them out like reserved ENIs.
 */
export function efaOnlyOnDefaultCard(node: NodeClassShape): number {
  return (node.networkInterfaces ?? []).filter(
    (n) => n.networkCardIndex === 0 && n.interfaceType === 'efa-only',
  ).length;
}

/**
 * vpc.amazonaws.com/efa capacity: the node class's efa-only interfaces when it lists interfaces (even none), else
 * every EFA device the type takes (what a launch for a pod requesting EFA attaches).
 */
export function efaCapacity(hw: Pick<InstanceHardware, 'maxEfaInterfaces'>, node: NodeClassShape): number {
  if (node.networkInterfaces !== undefined)
    return node.networkInterfaces.filter((n) => n.interfaceType === 'efa-only').length;
  return hw.maxEfaInterfaces ?? 0;
}

/** Max pods: kubelet maxPods, else the ENI limit where the family sizes by ENIs, else 110; then the podsPerCore cap. */
export function maxPodsOf(
  hw: InstanceHardware,
  node: NodeClassShape,
  reservedENIs: number = DEFAULT_RESERVED_ENIS,
): number {
  const rules = familyPodRules(node.amiFamily);
  const unusable = reservedENIs + efaOnlyOnDefaultCard(node);
  let pods =
    node.kubelet?.maxPods ??
    (rules.eniLimitedPods ? eniLimitedPods(hw.maxENIs, hw.ipv4PerENI, unusable) : 110);
  const perCore = node.kubelet?.podsPerCore ?? 0;
  if (perCore > 0 && rules.podsPerCore) pods = Math.min(pods, perCore * hw.vcpu);
  return pods;
}

/** kubeReserved cpu: 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the rest (millicores). */
export function kubeReservedCpuMillis(vcpus: number): number {
  const tiers: [number, number][] = [
    [1, 0.06],
    [1, 0.01],
    [2, 0.005],
    [Infinity, 0.0025],
  ];
  let remaining = vcpus * 1000;
  let reserved = 0;
  for (const [cores, fraction] of tiers) {
    const take = Math.min(remaining, cores * 1000);
    reserved += take * fraction;
    remaining -= take;
    if (remaining <= 0) break;
  }
  return Math.round(reserved);
}

/** kubeReserved memory: 11Mi per pod the node is sized for, plus 255Mi (bytes). */
export function kubeReservedMemoryBytes(pods: number): number {
  return (11 * pods + 255) * MiB;
}

const DEFAULT_EVICTION_HARD_MEMORY = 100 * MiB;

/** The memory.available eviction threshold in bytes: absolute, or a percentage of memory capacity (100% = off). */
function evictionThresholdBytes(kubelet: KubeletConfiguration | undefined, memoryBytes: number): number {
  const value = kubelet?.evictionHard?.['memory.available'];
  if (!value) return DEFAULT_EVICTION_HARD_MEMORY;
  const pct = /^([0-9.]+)%$/.exec(value);
  if (!pct) return parseQuantity(value);
  const p = Number(pct[1]);
  return p === 100 ? 0 : Math.ceil((memoryBytes / 100) * p);
}

export interface NodeOverhead {
  kubeReserved: Resources;
  systemReserved: Resources;
  evictionThreshold: Resources;
  total: Resources;
}

/**
 * Everything the kubelet keeps back from pods: `kubeReservedPods` is the pod count kubeReserved memory is sized for
 * (see kubeReservedPodsOf), `capacity.memory` the base of a percentage eviction threshold.
 */
export function nodeOverhead(
  capacity: Resources,
  vcpus: number,
  kubeReservedPods: number,
  kubelet?: KubeletConfiguration,
): NodeOverhead {
  const kubeReserved: Resources = {
    cpu: kubeReservedCpuMillis(vcpus),
    memory: kubeReservedMemoryBytes(kubeReservedPods),
    'ephemeral-storage': 1024 ** 3,
    ...fromResourceList(kubelet?.kubeReserved),
  };
  const systemReserved = fromResourceList(kubelet?.systemReserved);
  const evictionThreshold: Resources = { memory: evictionThresholdBytes(kubelet, capacity.memory ?? 0) };
  const total: Resources = {};
  for (const part of [kubeReserved, systemReserved, evictionThreshold]) {
    for (const [k, v] of Object.entries(part)) total[k] = (total[k] ?? 0) + v;
  }
  return { kubeReserved, systemReserved, evictionThreshold, total };
}

/**
 * The pods kubeReserved memory is sized for: the ENI limit without RESERVED_ENIS (efa-only interfaces still count
 * out) where the family does so, else max pods.
 */
export function kubeReservedPodsOf(hw: InstanceHardware, node: NodeClassShape, maxPods: number): number {
  return familyPodRules(node.amiFamily).eniLimitedMemoryOverhead
    ? eniLimitedPods(hw.maxENIs, hw.ipv4PerENI, efaOnlyOnDefaultCard(node))
    : maxPods;
}

export function allocatableOf(capacity: Resources, overhead: Resources): Resources {
  const out = subtract(capacity, overhead);
  for (const k of Object.keys(out)) if ((out[k] as number) < 0) out[k] = 0;
  return out;
}

export interface NodeResources {
  capacity: Resources;
  overhead: NodeOverhead;
  allocatable: Resources;
}

/**
 * Capacity, overhead and allocatable of an instance type under a node class and the capacity settings, EFA devices
 * included (none: no vpc.amazonaws.com/efa). `other` is capacity the formula does not derive (ephemeral storage,
 * GPUs), passed through.
 */
export function nodeResources(
  hw: InstanceHardware,
  node: NodeClassShape,
  settings: CapacitySettings,
  other: Resources = {},
): NodeResources {
  const pods = maxPodsOf(hw, node, settings.reservedENIs);
  const efa = efaCapacity(hw, node);
  const capacity: Resources = {
    cpu: hw.vcpu * 1000,
    memory: memoryCapacityBytes(hw, settings.vmMemoryOverheadPercent),
    pods,
    ...(efa > 0 ? { [ExtendedResources.efa]: efa } : {}),
    ...other,
  };
  const overhead = nodeOverhead(capacity, hw.vcpu, kubeReservedPodsOf(hw, node, pods), node.kubelet);
  return { capacity, overhead, allocatable: allocatableOf(capacity, overhead.total) };
}
