/**
 * Node allocatable for an instance type, the way the EKS-optimized AMIs configure the kubelet:
 * allocatable = capacity − kubeReserved − systemReserved − evictionHard. The formula is shared by the simulated
 * cloud and the AWS provider so both promise the scheduler exactly what the kubelet will report.
 */
import type { KubeletConfiguration } from '../../sdk/api/ec2nodeclass';
import { fromResourceList, parseQuantity, subtract, type Resources } from './resources';

const MiB = 2 ** 20;

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

/** kubeReserved memory: 11Mi per pod the node can run, plus 255Mi (bytes). */
export function kubeReservedMemoryBytes(maxPods: number): number {
  return (11 * maxPods + 255) * MiB;
}

/** Pods per node: the kubelet's maxPods, capped by podsPerCore × vCPUs when set, else the ENI limit. */
export function effectiveMaxPods(eniMaxPods: number, vcpus: number, kubelet?: KubeletConfiguration): number {
  let maxPods = kubelet?.maxPods ?? eniMaxPods;
  if (kubelet?.podsPerCore) maxPods = Math.min(maxPods, kubelet.podsPerCore * vcpus);
  return maxPods;
}

const DEFAULT_EVICTION_HARD_MEMORY = 100 * MiB;

/** The memory.available eviction threshold in bytes (absolute or a percentage of capacity). */
function evictionThresholdBytes(kubelet: KubeletConfiguration | undefined, memoryBytes: number): number {
  const value = kubelet?.evictionHard?.['memory.available'];
  if (!value) return DEFAULT_EVICTION_HARD_MEMORY;
  const pct = /^([0-9.]+)%$/.exec(value);
  return pct ? Math.ceil((Number(pct[1]) / 100) * memoryBytes) : parseQuantity(value);
}

export interface NodeOverhead {
  kubeReserved: Resources;
  systemReserved: Resources;
  evictionThreshold: Resources;
  total: Resources;
}

/** Everything the kubelet keeps back from pods on this instance type. */
export function nodeOverhead(
  capacity: Resources,
  vcpus: number,
  kubelet?: KubeletConfiguration,
): NodeOverhead {
  const maxPods = capacity.pods ?? 110;
  const kubeReserved: Resources = {
    cpu: kubeReservedCpuMillis(vcpus),
    memory: kubeReservedMemoryBytes(maxPods),
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

export function allocatableOf(capacity: Resources, overhead: Resources): Resources {
  const out = subtract(capacity, overhead);
  for (const k of Object.keys(out)) if ((out[k] as number) < 0) out[k] = 0;
  return out;
}
