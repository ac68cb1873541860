/**
 * Launch templates named by a hash of everything in them, so equal options share one template and any change makes a
 * new one (nothing is ever updated in place). Existence is cached for a minute. IMDSv2 is required by default.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import {
  CreateLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  type EC2Client,
  type LaunchTemplateBlockDeviceMappingRequest,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import type { CpuOptions, EC2NodeClassSpec } from '../../../sdk/api/ec2nodeclass';
import { Labels, type AmiFamily, OwnershipTags } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import { nameOf, type EC2NodeClass, type NodeClaim } from '../../kube/objects';
import type { InstanceType, OfferingReservation } from '../../scheduling/instance-types';
import type { ResolvedAmi } from './amis';
import {
  amiFamilyOf,
  defaultBlockDeviceMappings,
  volumeSizeGiB,
  type BlockDeviceMappings,
} from './block-devices';
import { awsErrorCode, classifyAwsError } from './errors';
import { launchEfaCount, templateNetworkInterfaces, type InterfaceOptions } from './network-interfaces';
import type { ResolvedNodeClass } from './nodeclass-status';
import { launchPlacement } from './placement-groups';
import { TtlCache } from './ttl-cache';
import { claimUserData, fixedMaxPods, type ClusterBootstrap } from './user-data';

export const LAUNCH_TEMPLATE_TTL_MS = 60_000;
export const LAUNCH_TEMPLATE_PREFIX = 'karpenter.k8s.aws/';

type MetadataOptions = EC2NodeClassSpec['metadataOptions'];

/** Everything a launch template holds; the interface settings are network-interfaces.ts's. */
export interface LaunchTemplateOptions extends InterfaceOptions {
  clusterName: string;
  nodePoolName: string;
  nodeClassName: string;
  amiFamily: AmiFamily;
  amiId: string;
  /** Plain text; base64-encoded into the template. */
  userData?: string;
  instanceProfile: string;
  blockDeviceMappings?: BlockDeviceMappings;
  /** @default IMDSv2 required, hop limit 1, endpoint enabled, IPv6 endpoint disabled */
  metadataOptions?: Partial<MetadataOptions>;
  detailedMonitoring?: boolean;
  /** Set only with nestedVirtualization: an empty cpuOptions must name the same template as none. */
  cpuOptions?: CpuOptions;
  /** The node class's tags, on the template (instances get them through CreateFleet). */
  tags?: Record<string, string>;
  /**
   * Set with the ReservedCapacity gate on (upstream's "targeted" launch mode): a template for a reservation targets
   * it alone; any other opts out of open reservations, so only reserved launches use reserved capacity.
   */
  capacityReservation?: { target?: Omit<OfferingReservation, 'capacity'> };
  /** The node class's placement group, and the partition when the claim narrows it (placement-groups.ts). */
  placement?: { groupId: string; partitionNumber?: number };
}

export function blockDeviceMappingsRequest(
  mappings: BlockDeviceMappings,
): LaunchTemplateBlockDeviceMappingRequest[] {
  return mappings.map((m) => ({
    ...(m.deviceName ? { DeviceName: m.deviceName } : {}),
    ...(m.ebs
      ? {
          Ebs: {
            ...(m.ebs.volumeSize ? { VolumeSize: volumeSizeGiB(m.ebs.volumeSize) } : {}),
            ...(m.ebs.volumeType ? { VolumeType: m.ebs.volumeType } : {}),
            ...(m.ebs.iops !== undefined ? { Iops: m.ebs.iops } : {}),
            ...(m.ebs.throughput !== undefined ? { Throughput: m.ebs.throughput } : {}),
            ...(m.ebs.encrypted !== undefined ? { Encrypted: m.ebs.encrypted } : {}),
            ...(m.ebs.kmsKeyID ? { KmsKeyId: m.ebs.kmsKeyID } : {}),
            ...(m.ebs.snapshotID ? { SnapshotId: m.ebs.snapshotID } : {}),
            ...(m.ebs.deleteOnTermination !== undefined
              ? { DeleteOnTermination: m.ebs.deleteOnTermination }
              : {}),
          },
        }
      : {}),
  }));
}

export function launchTemplateData(o: LaunchTemplateOptions): RequestLaunchTemplateData {
  const md = o.metadataOptions ?? {};
  const data: RequestLaunchTemplateData = {
    ImageId: o.amiId,
    IamInstanceProfile: { Name: o.instanceProfile },
    BlockDeviceMappings: blockDeviceMappingsRequest(
      o.blockDeviceMappings ?? defaultBlockDeviceMappings(o.amiFamily),
    ),
    MetadataOptions: {
      HttpEndpoint: md.httpEndpoint ?? 'enabled',
      HttpProtocolIpv6: md.httpProtocolIPv6 ?? 'disabled',
      HttpPutResponseHopLimit: md.httpPutResponseHopLimit ?? 1,
      HttpTokens: md.httpTokens ?? 'required',
    },
    Monitoring: { Enabled: o.detailedMonitoring ?? false },
  };
  // Either value is sent, as upstream does; unset leaves the choice to EC2.
  if (o.cpuOptions?.nestedVirtualization)
    data.CpuOptions = { NestedVirtualization: o.cpuOptions.nestedVirtualization };
  if (o.userData !== undefined) data.UserData = Buffer.from(o.userData, 'utf8').toString('base64');
  const target = o.capacityReservation?.target;
  if (o.capacityReservation)
    data.CapacityReservationSpecification = target
      ? {
          CapacityReservationPreference: 'capacity-reservations-only',
          CapacityReservationTarget: { CapacityReservationId: target.id },
        }
      : { CapacityReservationPreference: 'none' };
  if (o.placement)
    data.Placement = {
      GroupId: o.placement.groupId,
      ...(o.placement.partitionNumber !== undefined ? { PartitionNumber: o.placement.partitionNumber } : {}),
    };
  if (target?.type === 'capacity-block') data.InstanceMarketOptions = { MarketType: 'capacity-block' };
  else if (target?.interruptible)
    data.InstanceMarketOptions = { MarketType: 'interruptible-capacity-reservation' };
  const interfaces = templateNetworkInterfaces(o);
  // EC2 takes the groups at the top or on explicit interfaces, not both. Upstream always writes the interfaces; for
  // one plain interface the two mean the same to EC2, so the top-level form stays when no interface setting is
  // given: templates are named by their options, and one already made under a name keeps matching this data.
  if (interfaces) data.NetworkInterfaces = interfaces;
  else data.SecurityGroupIds = o.securityGroupIds;
  return data;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `karpenter.k8s.aws/<hash of the options>`. */
export function launchTemplateName(o: LaunchTemplateOptions): string {
  return `${LAUNCH_TEMPLATE_PREFIX}${createHash('sha256').update(canonical(o)).digest('hex').slice(0, 20)}`;
}

export function launchTemplateTags(o: LaunchTemplateOptions) {
  return [
    ...Object.entries(o.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    { Key: OwnershipTags.cluster(o.clusterName), Value: 'owned' },
    { Key: OwnershipTags.eksClusterName, Value: o.clusterName },
    { Key: Labels.nodePool, Value: o.nodePoolName },
    { Key: Labels.ec2NodeClass, Value: o.nodeClassName },
  ];
}

export class LaunchTemplateProvider {
  private readonly known: TtlCache<string>;

  constructor(
    private readonly ec2: EC2Client,
    clock: Clock,
  ) {
    this.known = new TtlCache(clock, LAUNCH_TEMPLATE_TTL_MS);
  }

  /** Ensures the template for these options exists; returns its name. */
  async ensure(o: LaunchTemplateOptions): Promise<string> {
    const name = launchTemplateName(o);
    await this.known.getOrLoad(name, async () => {
      if (await this.exists(name)) return name;
      try {
        await this.ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: name,
            LaunchTemplateData: launchTemplateData(o),
            TagSpecifications: [{ ResourceType: 'launch-template', Tags: launchTemplateTags(o) }],
          }),
        );
      } catch (err) {
        // Another launch created it meanwhile: the name is the content, so theirs is ours.
        if (awsErrorCode(err) !== 'InvalidLaunchTemplateName.AlreadyExistsException')
          throw classifyAwsError(err, 'ec2:CreateLaunchTemplate');
      }
      return name;
    });
    return name;
  }

  /** Forget a template (e.g. after CreateFleet said it does not exist). */
  invalidate(name: string): void {
    this.known.delete(name);
  }

  private async exists(name: string): Promise<boolean> {
    try {
      const out = await this.ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }));
      return (out.LaunchTemplates ?? []).length > 0;
    } catch (err) {
      if (awsErrorCode(err) === 'InvalidLaunchTemplateName.NotFoundException') return false;
      throw classifyAwsError(err, 'ec2:DescribeLaunchTemplates');
    }
  }
}

/** What a claim's launch templates are made of besides the AMI: its cluster, pool, node class and claim. */
export interface ClaimLaunchTemplateArgs {
  cluster: ClusterBootstrap;
  nodePoolName: string;
  nodeClass: EC2NodeClass;
  /** The node class's resolved security groups and instance profile. */
  resolved: ResolvedNodeClass;
  nodeClaim: NodeClaim;
  /** The ReservedCapacity gate: templates say which reservation, if any, they launch into. @default false */
  reservedCapacity?: boolean;
}

/** The cluster's IP family as upstream tells it: IPv6 if the kube-dns ClusterIP is, else IPv4 (no kube-dns too). */
function ipv6Cluster(cluster: ClusterBootstrap): boolean {
  return cluster.clusterDNS !== undefined && isIPv6(cluster.clusterDNS);
}

/** The template options for one AMI and user data under a node class. */
export function nodeClassTemplateOptions(
  a: Omit<ClaimLaunchTemplateArgs, 'nodeClaim'>,
  amiId: string,
  userData: string | undefined,
): LaunchTemplateOptions {
  const spec = a.nodeClass.spec;
  const ipv6 = ipv6Cluster(a.cluster);
  return {
    clusterName: a.cluster.clusterName,
    nodePoolName: a.nodePoolName,
    nodeClassName: nameOf(a.nodeClass),
    amiFamily: amiFamilyOf(a.nodeClass),
    amiId,
    securityGroupIds: a.resolved.securityGroups.map((g) => g.id),
    ...(userData !== undefined ? { userData } : {}),
    instanceProfile: a.resolved.instanceProfile as string,
    ...(spec.blockDeviceMappings ? { blockDeviceMappings: spec.blockDeviceMappings } : {}),
    metadataOptions: spec.metadataOptions,
    ...(spec.detailedMonitoring !== undefined ? { detailedMonitoring: spec.detailedMonitoring } : {}),
    ...(spec.associatePublicIPAddress !== undefined
      ? { associatePublicIPAddress: spec.associatePublicIPAddress }
      : {}),
    ...(spec.ipPrefixCount === undefined
      ? {}
      : ipv6
        ? { ipv6PrefixCount: spec.ipPrefixCount }
        : { ipv4PrefixCount: spec.ipPrefixCount }),
    ...(spec.connectionTracking ? { connectionTracking: spec.connectionTracking } : {}),
    ...(spec.networkInterfaces?.length ? { networkInterfaces: spec.networkInterfaces } : {}),
    ...(ipv6 ? { ipv6: true } : {}),
    ...(spec.cpuOptions?.nestedVirtualization
      ? { cpuOptions: { nestedVirtualization: spec.cpuOptions.nestedVirtualization } }
      : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
  };
}

/**
 * The launch template for each instance type a claim may launch as, ensured on first use. Types that share an AMI,
 * max pods and EFA devices share a template, built and ensured once per launch.
 */
export function claimLaunchTemplates(
  templates: LaunchTemplateProvider,
  a: ClaimLaunchTemplateArgs,
): (it: InstanceType, ami: ResolvedAmi, reservation?: OfferingReservation) => Promise<string> {
  const byKey = new Map<string, Promise<string>>();
  return (it, ami, reservation) => {
    const maxPods = fixedMaxPods(it);
    // The node class's own interfaces say which EFA devices to attach; else a claim requesting EFA gets the type's.
    const efaCount = a.nodeClass.spec.networkInterfaces?.length
      ? 0
      : launchEfaCount(a.nodeClaim, undefined, it.capacity);
    const key = `${ami.id}:${maxPods ?? ''}:${reservation?.id ?? ''}:${efaCount}`;
    let name = byKey.get(key);
    if (!name) {
      const capacityReservation = a.reservedCapacity
        ? {
            capacityReservation: reservation
              ? {
                  target: {
                    id: reservation.id,
                    type: reservation.type,
                    interruptible: reservation.interruptible,
                  },
                }
              : {},
          }
        : {};
      const pg = a.resolved.placementGroup;
      const placement = pg ? { placement: launchPlacement(pg, a.nodeClaim) } : {};
      name = claimUserData(a.cluster, a.nodeClass, a.nodeClaim, maxPods).then((userData) =>
        templates.ensure({
          ...nodeClassTemplateOptions(a, ami.id, userData),
          ...capacityReservation,
          ...placement,
          ...(efaCount > 0 ? { efaCount } : {}),
        }),
      );
      byKey.set(key, name);
    }
    return name;
  };
}
