/**
 * One instance catalog for both controllers: this project's (runtime/cloudprovider/simulated), written in the
 * format upstream's kwok provider reads from INSTANCE_TYPES_FILE_PATH, and the cost of a node as the bench counts
 * it (the offering's hourly price plus its root volume).
 */
import { Labels } from '../../sdk/api/well-known';
import { defaultCatalog, toInstanceType } from '../../runtime/cloudprovider/simulated/catalog';
import type { Node } from '../../runtime/kube/objects';
import { toResourceList } from '../../runtime/scheduling/resources';
import { rootVolumeHourlyPrice } from '../../runtime/cloudprovider/aws/ebs-pricing';

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
 * 100m/10Mi; they are set so that what remains is exactly the allocatable this project computes (EKS kube-reserved
 * by max pods, eviction threshold), max pods included, so both controllers pack against the same numbers.
 */
export function upstreamInstanceTypes(): UpstreamInstanceType[] {
  return defaultCatalog.specs.map((spec) => {
    const it = toInstanceType(spec, defaultCatalog.region, undefined);
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
