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
  type LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import type { ConnectionTracking, CpuOptions, EC2NodeClassSpec } from '../../../sdk/api/ec2nodeclass';
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
import type { ResolvedNodeClass } from './nodeclass-status';
import { launchPlacement } from './placement-groups';
import { TtlCache } from './ttl-cache';
import { claimUserData, fixedMaxPods, type ClusterBootstrap } from './user-data';

export const LAUNCH_TEMPLATE_TTL_MS = 60_000;
export const LAUNCH_TEMPLATE_PREFIX = 'karpenter.k8s.aws/';

type MetadataOptions = EC2NodeClassSpec['metadataOptions'];

export interface LaunchTemplateOptions {
  clusterName: string;
  nodePoolName: string;
  nodeClassName: string;
  amiFamily: AmiFamily;
  amiId: string;
  securityGroupIds: string[];
  /** Plain text; base64-encoded into the template. */
  userData?: string;
  instanceProfile: string;
  blockDeviceMappings?: BlockDeviceMappings;
  /** @default IMDSv2 required, hop limit 1, endpoint enabled, IPv6 endpoint disabled */
  metadataOptions?: Partial<MetadataOptions>;
  detailedMonitoring?: boolean;
  associatePublicIPAddress?: boolean;
  /** spec.ipPrefixCount, as IPv4 prefixes in an IPv4 cluster (at most one of these two is set). */
  ipv4PrefixCount?: number;
  /** spec.ipPrefixCount, as IPv6 prefixes in an IPv6 cluster. */
  ipv6PrefixCount?: number;
  connectionTracking?: ConnectionTracking;
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
  const nic = primaryInterface(o);
  // EC2 takes the groups at the top or on an explicit interface, not both. Upstream always writes the interface; for
  // one plain interface the two mean the same to EC2, so the top-level form stays when no interface setting is
  // given: templates are named by their options, and one already made under a name keeps matching this data.
  if (nic) data.NetworkInterfaces = [{ ...nic, Groups: o.securityGroupIds }];
  else data.SecurityGroupIds = o.securityGroupIds;
  return data;
}

/** The primary interface's own settings (public IP, prefixes, connection tracking), or undefined when none is set. */
function primaryInterface(
  o: LaunchTemplateOptions,
): LaunchTemplateInstanceNetworkInterfaceSpecificationRequest | undefined {
  const ct = o.connectionTracking;
  const settings: LaunchTemplateInstanceNetworkInterfaceSpecificationRequest = {
    ...(o.associatePublicIPAddress !== undefined
      ? { AssociatePublicIpAddress: o.associatePublicIPAddress }
      : {}),
    ...(o.ipv4PrefixCount !== undefined ? { Ipv4PrefixCount: o.ipv4PrefixCount } : {}),
    ...(o.ipv6PrefixCount !== undefined ? { Ipv6PrefixCount: o.ipv6PrefixCount } : {}),
    ...(ct
      ? {
          ConnectionTrackingSpecification: {
            ...(ct.tcpEstablishedTimeout !== undefined
              ? { TcpEstablishedTimeout: ct.tcpEstablishedTimeout }
              : {}),
            ...(ct.udpStreamTimeout !== undefined ? { UdpStreamTimeout: ct.udpStreamTimeout } : {}),
            ...(ct.udpTimeout !== undefined ? { UdpTimeout: ct.udpTimeout } : {}),
          },
        }
      : {}),
  };
  return Object.keys(settings).length > 0 ? { DeviceIndex: 0, ...settings } : undefined;
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

/** The template options for one AMI and user data under a node class. */
export function nodeClassTemplateOptions(
  a: Omit<ClaimLaunchTemplateArgs, 'nodeClaim'>,
  amiId: string,
  userData: string | undefined,
): LaunchTemplateOptions {
  const spec = a.nodeClass.spec;
  // The cluster's IP family as upstream tells it: IPv6 if the kube-dns ClusterIP is, else IPv4 (no kube-dns too).
  const ipv6 = a.cluster.clusterDNS !== undefined && isIPv6(a.cluster.clusterDNS);
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
    ...(spec.cpuOptions?.nestedVirtualization
      ? { cpuOptions: { nestedVirtualization: spec.cpuOptions.nestedVirtualization } }
      : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
  };
}

/**
 * The launch template for each instance type a claim may launch as, ensured on first use. Types that share an AMI
 * and max pods share user data, so the template is built and ensured once per (AMI, max pods) per launch.
 */
export function claimLaunchTemplates(
  templates: LaunchTemplateProvider,
  a: ClaimLaunchTemplateArgs,
): (it: InstanceType, ami: ResolvedAmi, reservation?: OfferingReservation) => Promise<string> {
  const byKey = new Map<string, Promise<string>>();
  return (it, ami, reservation) => {
    const maxPods = fixedMaxPods(it);
    const key = `${ami.id}:${maxPods ?? ''}:${reservation?.id ?? ''}`;
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
        }),
      );
      byKey.set(key, name);
    }
    return name;
  };
}
