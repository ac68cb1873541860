/**
 * Instance types from EC2: DescribeInstanceTypes (hvm; x86_64 and arm64) and DescribeInstanceTypeOfferings per
 * availability zone, each cached for 5 minutes, turned into scheduler InstanceTypes with the simulated catalog's
 * label code and the shared capacity formula (runtime/scheduling/allocatable.ts: VM memory overhead, ENI-limited
 * pods less RESERVED_ENIS, kubelet reservations) and priced offerings.
 */
import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import type { EC2NodeClassSpec } from '../../../sdk/api/ec2nodeclass';
import type { Clock } from '../../clock/clock';
import type { NodeClaim } from '../../kube/objects';
import type { Requirements } from '../../scheduling/requirements';
import {
  DEFAULT_CAPACITY_SETTINGS,
  type CapacitySettings,
  type NodeClassShape,
} from '../../scheduling/allocatable';
import { fits, fromResourceList } from '../../scheduling/resources';
import { toInstanceType, type InstanceTypeSpec } from '../simulated/catalog';
import { instanceTypeCompatible, type InstanceType } from '../../scheduling/instance-types';
import { awsCall } from './errors';
import { networkInterfacesCompatible, type NetworkHardware } from './network-interfaces';
import type { PricingProvider } from './pricing';
import { TtlCache } from './ttl-cache';
import type { UnavailableOfferings } from './unavailable-offerings';

export const INSTANCE_TYPES_TTL_MS = 5 * 60_000;

/** The filters for DescribeInstanceTypes: hardware-virtualized, 64-bit x86 or Arm. */
export const INSTANCE_TYPE_FILTERS = [
  { Name: 'supported-virtualization-type', Values: ['hvm'] },
  { Name: 'processor-info.supported-architecture', Values: ['x86_64', 'arm64'] },
];

const KUBE_ARCH: Record<string, string> = { x86_64: 'amd64', arm64: 'arm64' };

export type Ec2InstanceTypeSpec = Omit<InstanceTypeSpec, 'onDemandPrice' | 'spotPrice' | 'zones'> &
  NetworkHardware & {
    supportsSpot: boolean;
    /** ProcessorInfo.SupportedFeatures, e.g. "nested-virtualization". */
    processorFeatures: string[];
    /** PlacementGroupInfo.SupportedStrategies: "cluster", "partition", "spread". */
    placementStrategies: string[];
  };

/** The node class fields that rule instance types out (upstream's compatibility checks). */
export type NodeClassCompatibility = Pick<
  EC2NodeClassSpec,
  'cpuOptions' | 'connectionTracking' | 'networkInterfaces'
>;

/**
 * Whether a node class may use the type: with cpuOptions.nestedVirtualization "enabled", only types whose
 * ProcessorInfo.SupportedFeatures lists "nested-virtualization"; with connectionTracking, only Nitro types (EC2
 * takes a connection-tracking specification on Nitro interfaces only); with networkInterfaces, only types that
 * have their cards, device indexes and EFA devices (network-interfaces.ts).
 */
export function nodeClassCompatible(
  spec: Pick<Ec2InstanceTypeSpec, 'processorFeatures' | 'hypervisor'> & NetworkHardware,
  nodeClass: NodeClassCompatibility | undefined,
): boolean {
  if (
    nodeClass?.cpuOptions?.nestedVirtualization === 'enabled' &&
    !spec.processorFeatures.includes('nested-virtualization')
  )
    return false;
  if (nodeClass?.connectionTracking && spec.hypervisor !== 'nitro') return false;
  return networkInterfacesCompatible(spec, nodeClass?.networkInterfaces);
}

/** DescribeInstanceTypes output → the spec the label/allocatable code takes; undefined for unusable entries. */
export function specFromEc2(info: InstanceTypeInfo): Ec2InstanceTypeSpec | undefined {
  const name = info.InstanceType;
  const vcpu = info.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info.MemoryInfo?.SizeInMiB;
  const arch = (info.ProcessorInfo?.SupportedArchitectures ?? []).map((a) => KUBE_ARCH[a]).find(Boolean);
  if (!name || !vcpu || !memoryMiB || !arch) return undefined;
  const [family = name, size = ''] = name.split('.');
  const m = /^([a-z]+)(\d+)/.exec(family);
  // The VPC CNI only uses the default network card, so multi-card types (p4d: 4 × 15) count that card's ENIs.
  const defaultCard = info.NetworkInfo?.NetworkCards?.[info.NetworkInfo.DefaultNetworkCardIndex ?? 0];
  const maxENIs = defaultCard?.MaximumNetworkInterfaces ?? info.NetworkInfo?.MaximumNetworkInterfaces ?? 1;
  const ipv4PerENI = info.NetworkInfo?.Ipv4AddressesPerInterface ?? 1;
  const gpu = info.GpuInfo?.Gpus?.[0];
  const bandwidthGbps = info.NetworkInfo?.NetworkCards?.[0]?.BaselineBandwidthInGbps;
  const maxEfaInterfaces = info.NetworkInfo?.EfaInfo?.MaximumEfaInterfaces;
  return {
    name,
    family,
    size,
    generation: m ? Number(m[2]) : 0,
    category: m ? (m[1] as string) : family,
    vcpu,
    memoryMiB,
    arch,
    cpuManufacturer: (info.ProcessorInfo?.Manufacturer ?? 'unknown').toLowerCase().replace(/\s+/g, '-'),
    hypervisor: info.Hypervisor ?? '',
    maxENIs,
    ipv4PerENI,
    ...(maxEfaInterfaces !== undefined ? { maxEfaInterfaces } : {}),
    enaSupport: info.NetworkInfo?.EnaSupport,
    networkCards: (info.NetworkInfo?.NetworkCards ?? []).map((c, i) => ({
      index: c.NetworkCardIndex ?? i,
      maxInterfaces: c.MaximumNetworkInterfaces ?? 0,
    })),
    ...(bandwidthGbps !== undefined ? { networkBandwidthMbps: Math.round(bandwidthGbps * 1000) } : {}),
    ...(gpu
      ? {
          gpu: {
            count: gpu.Count ?? 0,
            name: gpu.Name ?? '',
            manufacturer: gpu.Manufacturer ?? '',
            memoryMiB: gpu.MemoryInfo?.SizeInMiB ?? 0,
          },
        }
      : {}),
    supportsSpot: (info.SupportedUsageClasses ?? []).includes('spot'),
    processorFeatures: info.ProcessorInfo?.SupportedFeatures ?? [],
    placementStrategies: info.PlacementGroupInfo?.SupportedStrategies ?? [],
  };
}

/** The types a claim can launch as: compatible with its requirements, with room for its requests. */
export function typesForClaim(
  types: InstanceType[],
  nodeClaim: NodeClaim,
  reqs: Requirements,
): InstanceType[] {
  const requests = fromResourceList(nodeClaim.spec.resources?.requests);
  return types.filter((it) => instanceTypeCompatible(it, reqs) && fits(requests, it.allocatable));
}

export interface InstanceTypeProviderOptions {
  ec2: EC2Client;
  pricing: PricingProvider;
  unavailable: UnavailableOfferings;
  clock: Clock;
  region: string;
  /** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS. @default upstream's (DEFAULT_CAPACITY_SETTINGS) */
  capacity?: CapacitySettings;
}

export class InstanceTypeProvider {
  private readonly raw: TtlCache<Ec2InstanceTypeSpec[]>;
  private readonly offerings: TtlCache<Map<string, string[]>>;
  private readonly built: TtlCache<InstanceType[]>;
  private readonly capacity: CapacitySettings;

  constructor(private readonly opts: InstanceTypeProviderOptions) {
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY_SETTINGS;
    this.raw = new TtlCache(opts.clock, INSTANCE_TYPES_TTL_MS);
    this.offerings = new TtlCache(opts.clock, INSTANCE_TYPES_TTL_MS);
    this.built = new TtlCache(opts.clock, INSTANCE_TYPES_TTL_MS);
  }

  /**
   * Priced instance types offered in `zones` (the node class's subnet zones), capacity and allocatable computed for
   * its kubelet settings, AMI family and network interfaces (catalog.ts nodeClassShape), less the types its
   * cpuOptions, connectionTracking or networkInterfaces rule out (nodeClassCompatible). Types without a known
   * on-demand price are left out (nothing to compare them by).
   */
  async list(
    zones: string[],
    node: NodeClassShape,
    compat?: NodeClassCompatibility,
  ): Promise<InstanceType[]> {
    await this.opts.pricing.refreshIfStale();
    const specs = await this.raw.getOrLoad('all', () => this.describeInstanceTypes());
    const offered = await this.offerings.getOrLoad('all', () => this.describeOfferings());
    const nested = compat?.cpuOptions?.nestedVirtualization === 'enabled';
    const nitroOnly = compat?.connectionTracking !== undefined;
    const key = JSON.stringify([
      [...zones].sort(),
      node.kubelet ?? null,
      node.amiFamily ?? null,
      nested,
      nitroOnly,
      node.networkInterfaces ?? null,
      compat?.networkInterfaces ?? null,
      this.opts.unavailable.stateKey(),
    ]);
    return this.built.getOrLoad(key, async () => {
      const out: InstanceType[] = [];
      for (const spec of specs) {
        if (!nodeClassCompatible(spec, compat)) continue;
        const onDemandPrice = this.opts.pricing.onDemandPrice(spec.name);
        const typeZones = (offered.get(spec.name) ?? []).filter((z) => zones.includes(z)).sort();
        if (onDemandPrice === undefined || typeZones.length === 0) continue;
        const spotPrice: Record<string, number> = {};
        if (spec.supportsSpot) {
          for (const z of typeZones)
            spotPrice[z] = this.opts.pricing.spotPrice(spec.name, z) ?? onDemandPrice;
        }
        const full: InstanceTypeSpec = { ...spec, zones: typeZones, onDemandPrice, spotPrice };
        out.push(
          toInstanceType(full, this.opts.region, node, this.capacity, (ct, zone) =>
            this.opts.unavailable.isUnavailable(ct, spec.name, zone),
          ),
        );
      }
      return out;
    });
  }

  /** The raw spec of one type (for labelling launched instances), if EC2 knows it. */
  async spec(name: string): Promise<Ec2InstanceTypeSpec | undefined> {
    const specs = await this.raw.getOrLoad('all', () => this.describeInstanceTypes());
    return specs.find((s) => s.name === name);
  }

  /** Each type's supported placement group strategies (placement-groups.ts withPlacementGroup). */
  async placementStrategies(): Promise<(typeName: string) => readonly string[]> {
    const specs = await this.raw.getOrLoad('all', () => this.describeInstanceTypes());
    const byName = new Map(specs.map((s) => [s.name, s.placementStrategies]));
    return (name) => byName.get(name) ?? [];
  }

  private async describeInstanceTypes(): Promise<Ec2InstanceTypeSpec[]> {
    const out: Ec2InstanceTypeSpec[] = [];
    let NextToken: string | undefined;
    do {
      const page = await awsCall('ec2:DescribeInstanceTypes', () =>
        this.opts.ec2.send(
          new DescribeInstanceTypesCommand({ Filters: INSTANCE_TYPE_FILTERS, MaxResults: 100, NextToken }),
        ),
      );
      for (const info of page.InstanceTypes ?? []) {
        const spec = specFromEc2(info);
        if (spec) out.push(spec);
      }
      NextToken = page.NextToken || undefined;
    } while (NextToken);
    return out;
  }

  /** Instance type → zones it is offered in. */
  private async describeOfferings(): Promise<Map<string, string[]>> {
    const zones = new Map<string, string[]>();
    let NextToken: string | undefined;
    do {
      const page = await awsCall('ec2:DescribeInstanceTypeOfferings', () =>
        this.opts.ec2.send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone',
            MaxResults: 1000,
            NextToken,
          }),
        ),
      );
      for (const o of page.InstanceTypeOfferings ?? []) {
        if (!o.InstanceType || !o.Location) continue;
        const list = zones.get(o.InstanceType) ?? [];
        list.push(o.Location);
        zones.set(o.InstanceType, list);
      }
      NextToken = page.NextToken || undefined;
    } while (NextToken);
    return zones;
  }
}
