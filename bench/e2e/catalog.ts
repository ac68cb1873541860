/**
 * One instance catalog for both controllers: this project's (runtime/cloudprovider/simulated), written in the
 * format upstream's kwok provider reads from INSTANCE_TYPES_FILE_PATH, and the cost of a node as the bench counts
 * it (the offering's hourly price plus its root volume).
 */
import { Labels } from '../../sdk/api/well-known';
import {
  defaultCatalog,
  nodeClassShape,
  toInstanceType,
} from '../../runtime/cloudprovider/simulated/catalog';
import type { Node } from '../../runtime/kube/objects';
import { DEFAULT_CAPACITY_SETTINGS, type CapacitySettings } from '../../runtime/scheduling/allocatable';
import { toResourceList } from '../../runtime/scheduling/resources';
import { rootVolumeHourlyPrice } from '../../runtime/cloudprovider/aws/ebs-pricing';
import { ec2NodeClass } from './workload';

/**
 * VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS the bench runs karpenter-ts with (controllers.ts passes them): the
 * exported catalog is sized with the same values, so both controllers see one allocatable.
 */
export const BENCH_CAPACITY: Readonly<CapacitySettings> = DEFAULT_CAPACITY_SETTINGS;

/** What upstream's kwok provider reserves on every type (kwok/cloudprovider/helpers.go: kubeReserved). */
const UPSTREAM_KWOK_RESERVED = { cpu: 100, memory: 10 * 2 ** 20 };

interface UpstreamOffering {
  Price: number;
  Available: boolean;
  Requirements: { key: string; operator: 'In'; values: string[] }[];
}

export interface UpstreamInstanceType {
  name: string;
  offerings: UpstreamOffering[];
  architecture: string;
  operatingSystems: string[];
  resources: Record<string, string>;
}

/**
 * The catalog as upstream's kwok provider reads it. Its resources are capacity, from which it subtracts a fixed
 * 100m/10Mi and nothing else (no VM overhead, no ENI limit: pods are taken as given); they are set so that what
 * remains is exactly the allocatable this project computes for the bench's EC2NodeClass (memory less the VM
 * overhead, EKS kube-reserved, eviction threshold), max pods included, so both controllers pack against the same
 * numbers.
 */
export function upstreamInstanceTypes(
  capacitySettings: CapacitySettings = BENCH_CAPACITY,
): UpstreamInstanceType[] {
  const shape = nodeClassShape(ec2NodeClass());
  return defaultCatalog.specs.map((spec) => {
    const it = toInstanceType(spec, defaultCatalog.region, shape, capacitySettings);
    const capacity = { ...it.allocatable };
    capacity.cpu = (capacity.cpu ?? 0) + UPSTREAM_KWOK_RESERVED.cpu;
    capacity.memory = (capacity.memory ?? 0) + UPSTREAM_KWOK_RESERVED.memory;
    return {
      name: spec.name,
      architecture: spec.arch,
      operatingSystems: ['linux'],
      resources: toResourceList(capacity),
      offerings: it.offerings.map((o) => ({
        Price: o.price,
        Available: true,
        Requirements: [
          { key: Labels.capacityType, operator: 'In', values: [o.capacityType] },
          { key: Labels.zone, operator: 'In', values: [o.zone] },
        ],
      })),
    };
  });
}

/** Hourly cost of a running node: its offering (type, capacity type, zone) plus the root volume. */
export function nodeHourlyCost(node: Node, rootVolumeGiB: number): number {
  const labels = node.metadata.labels ?? {};
  const spec = defaultCatalog.specs.find((s) => s.name === labels[Labels.instanceType]);
  if (!spec) return 0;
  const zone = labels[Labels.zone] ?? '';
  const price =
    labels[Labels.capacityType] === 'spot'
      ? (spec.spotPrice[zone] ?? spec.onDemandPrice)
      : spec.onDemandPrice;
  return price + rootVolumeHourlyPrice({ volumeType: 'gp3', sizeGiB: rootVolumeGiB });
}
