/**
 * The instance-type catalog the simulated cloud sells: real EC2 specs and on-demand prices (us-east-1) from the
 * generated data file, turned into InstanceTypes with capacity and allocatable computed by the shared formula
 * (runtime/scheduling/allocatable.ts) for a node class and the capacity settings.
 */
import type { CapacityReservation } from '@aws-sdk/client-ec2';
import { Labels } from '../../../sdk/api/well-known';
import { amiFamilyOfSpec } from '../../../sdk/api/ec2nodeclass';
import type { EC2NodeClass } from '../../kube/objects';
import {
  nodeResources,
  type CapacitySettings,
  type InstanceHardware,
  type NodeClassShape,
} from '../../scheduling/allocatable';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { Resources } from '../../scheduling/resources';
import type { InstanceType, Offering } from '../../scheduling/instance-types';
import { CloudProviderError } from '../types';
import { RESERVED_PRICE_DIVISOR } from '../aws/capacity-reservations';
import data from './data/instance-types.json';

/** One catalog entry. The data file's precomputed maxPods is not read: pods depend on settings and the node class. */
export interface InstanceTypeSpec extends InstanceHardware {
  name: string;
  family: string;
  size: string;
  generation: number;
  category: string;
  vcpu: number;
  memoryMiB: number;
  arch: string;
  cpuManufacturer: string;
  hypervisor: string;
  networkBandwidthMbps?: number;
  gpu?: { count: number; name: string; manufacturer: string; memoryMiB: number };
  zones: string[];
  onDemandPrice: number;
  spotPrice: Record<string, number>;
}

export interface Catalog {
  region: string;
  pricesAsOf: string;
  specs: InstanceTypeSpec[];
  /**
   * Capacity reservations in the simulated account, as DescribeCapacityReservations describes them
   * (TotalInstanceCount is the size; what is available is worked out from the instances running in them).
   * Node classes select them with capacityReservationSelectorTerms. @default none
   */
  reservations?: CapacityReservation[];
}

export const defaultCatalog: Catalog = {
  region: data.region,
  pricesAsOf: data.pricesAsOf,
  specs: data.instanceTypes as InstanceTypeSpec[],
};

/** Hourly price of an instance type and capacity type (the cheapest zone for spot). */
export function priceOf(
  catalog: Catalog,
  instanceType: string,
  capacityType: string,
  zone?: string,
): number | undefined {
  const spec = catalog.specs.find((s) => s.name === instanceType);
  if (!spec) return undefined;
  // A reservation is paid for whether used or not: a node in one costs nothing more (upstream prices it near 0).
  if (capacityType === 'reserved') return spec.onDemandPrice / RESERVED_PRICE_DIVISOR;
  if (capacityType !== 'spot') return spec.onDemandPrice;
  if (zone && spec.spotPrice[zone] !== undefined) return spec.spotPrice[zone];
  return Math.min(...Object.values(spec.spotPrice));
}

export function specLabels(spec: InstanceTypeSpec, region: string): Record<string, string> {
  const labels: Record<string, string> = {
    [Labels.instanceType]: spec.name,
    [Labels.arch]: spec.arch,
    [Labels.os]: 'linux',
    [Labels.region]: region,
    [Labels.instanceCategory]: spec.category,
    [Labels.instanceFamily]: spec.family,
    [Labels.instanceGeneration]: String(spec.generation),
    [Labels.instanceSize]: spec.size,
    [Labels.instanceCpu]: String(spec.vcpu),
    [Labels.instanceCpuManufacturer]: spec.cpuManufacturer,
    [Labels.instanceMemory]: String(spec.memoryMiB),
    [Labels.instanceHypervisor]: spec.hypervisor,
  };
  if (spec.networkBandwidthMbps !== undefined)
    labels[Labels.instanceNetworkBandwidth] = String(spec.networkBandwidthMbps);
  if (spec.gpu) {
    labels[Labels.instanceGpuName] = spec.gpu.name.toLowerCase();
    labels[Labels.instanceGpuManufacturer] = spec.gpu.manufacturer.toLowerCase();
    labels[Labels.instanceGpuCount] = String(spec.gpu.count);
    labels[Labels.instanceGpuMemory] = String(spec.gpu.memoryMiB);
  }
  return labels;
}

/**
 * What capacity depends on in a node class: its kubelet settings, AMI family (none: AL2023's rules) and network
 * interfaces.
 */
export function nodeClassShape(nodeClass: EC2NodeClass | undefined): NodeClassShape {
  if (!nodeClass) return {};
  return {
    kubelet: nodeClass.spec.kubelet,
    amiFamily: amiFamilyOfSpec(nodeClass.spec),
    networkInterfaces: nodeClass.spec.networkInterfaces,
  };
}

/**
 * The catalog's types a node class may use: with connectionTracking only Nitro ones, as on EC2 (its interfaces take
 * a connection-tracking specification on Nitro only; aws/instance-types.ts nodeClassCompatible).
 */
export function specsFor(specs: InstanceTypeSpec[], nodeClass: EC2NodeClass | undefined): InstanceTypeSpec[] {
  return nodeClass?.spec.connectionTracking ? specs.filter((s) => s.hypervisor === 'nitro') : specs;
}

/**
 * Refuses a node class the catalog cannot serve. nestedVirtualization "enabled" narrows the types to those EC2
 * reports the feature on, and the catalog records no processor features: offering all would ignore the field,
 * offering a hand-picked few would invent data. A placementGroupSelector names an EC2 placement group, which this
 * cloud has none of: launching without it would ignore the field. networkInterfaces must be checked against each
 * type's network cards, which the catalog does not record (EFA devices it may: a pod requesting
 * vpc.amazonaws.com/efa gets a type that has them).
 */
export function assertCatalogServes(nodeClass: EC2NodeClass | undefined, provider: string): void {
  if (!nodeClass) return;
  const refuse = (what: string, fix: string) => {
    throw new CloudProviderError(
      'NodeClassNotReady',
      'ec2nodeclass',
      `EC2NodeClass ${nodeClass.metadata.name}: ${what} is not supported by the ${provider} cloud provider ${fix}, or use the aws cloud provider`,
      false,
    );
  };
  if (nodeClass.spec.cpuOptions?.nestedVirtualization === 'enabled')
    refuse(
      'spec.cpuOptions.nestedVirtualization "enabled"',
      '(its instance catalog has no processor features to tell which types support nested virtualization): remove spec.cpuOptions.nestedVirtualization or set it to "disabled"',
    );
  if (nodeClass.spec.placementGroupSelector)
    refuse(
      'spec.placementGroupSelector',
      '(it has no EC2 placement groups to launch into): remove spec.placementGroupSelector',
    );
  if (nodeClass.spec.networkInterfaces)
    refuse(
      'spec.networkInterfaces',
      '(its instance catalog has no network cards to check the interfaces against): remove spec.networkInterfaces',
    );
}

/** Capacity the shared formula does not derive: the root volume's ephemeral storage and the GPUs. */
function otherCapacity(spec: Pick<InstanceTypeSpec, 'gpu'>): Resources {
  const other: Resources = { 'ephemeral-storage': 20 * 2 ** 30 };
  if (spec.gpu) other['nvidia.com/gpu'] = spec.gpu.count;
  return other;
}

/**
 * Build an InstanceType for the scheduler, sized for the node class and the capacity settings. `isUnavailable` lets
 * the cloud hide offerings that recently failed for lack of capacity.
 */
export function toInstanceType(
  spec: InstanceTypeSpec,
  region: string,
  node: NodeClassShape,
  settings: CapacitySettings,
  isUnavailable: (capacityType: string, zone: string) => boolean = () => false,
): InstanceType {
  const { capacity, overhead, allocatable } = nodeResources(spec, node, settings, otherCapacity(spec));
  const offerings: Offering[] = [];
  for (const zone of spec.zones) {
    offerings.push({
      capacityType: 'on-demand',
      zone,
      price: spec.onDemandPrice,
      available: !isUnavailable('on-demand', zone),
    });
    const spot = spec.spotPrice[zone];
    if (spot !== undefined)
      offerings.push({ capacityType: 'spot', zone, price: spot, available: !isUnavailable('spot', zone) });
  }
  const requirements = Requirements.fromLabels(specLabels(spec, region));
  if (!spec.gpu) {
    // A type without GPUs must not satisfy a pod asking for GPU labels: it has none of them.
    for (const key of [
      Labels.instanceGpuName,
      Labels.instanceGpuManufacturer,
      Labels.instanceGpuCount,
      Labels.instanceGpuMemory,
    ]) {
      requirements.add(Requirement.doesNotExist(key));
    }
  }
  requirements.add(Requirement.in(Labels.zone, spec.zones));
  requirements.add(Requirement.in(Labels.capacityType, [...new Set(offerings.map((o) => o.capacityType))]));
  return {
    name: spec.name,
    requirements,
    capacity,
    overhead: overhead.total,
    allocatable,
    offerings,
  };
}
