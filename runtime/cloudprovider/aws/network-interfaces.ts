/**
 * Network interfaces and EFA devices, as upstream's AWS provider (v1.14.1) handles them: which instance types can
 * take a node class's `networkInterfaces`, how many EFA devices a launch attaches, the interfaces a launch template
 * names, and the vpc.amazonaws.com/efa a launched NodeClaim reports. Pure; the capacity side (EFA devices, the ENIs
 * efa-only interfaces take from pods) is the shared formula's (runtime/scheduling/allocatable.ts).
 */
import type { LaunchTemplateInstanceNetworkInterfaceSpecificationRequest as InterfaceRequest } from '@aws-sdk/client-ec2';
import type { ConnectionTracking, NetworkInterface } from '../../../sdk/api/ec2nodeclass';
import { ExtendedResources } from '../../../sdk/api/well-known';
import type { NodeClaim, ResourceList } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { toResourceList, type Resources } from '../../scheduling/resources';

/** What DescribeInstanceTypes reports of a type's networking that the node class's interfaces must fit. */
export interface NetworkHardware {
  /** NetworkInfo.EnaSupport: "unsupported", "supported" or "required" (undefined: not reported). */
  enaSupport?: string | undefined;
  /** NetworkInfo.NetworkCards: each card's NetworkCardIndex and MaximumNetworkInterfaces. */
  networkCards: readonly { index: number; maxInterfaces: number }[];
  /** EfaInfo.MaximumEfaInterfaces. @default 0 (no EfaInfo) */
  maxEfaInterfaces?: number;
}

/**
 * Whether a type can launch with the node class's interfaces (any type can when it lists none): it reports network
 * cards and supports ENA, every interface's card exists with more interfaces than its device index, and the
 * efa-only interfaces are no more than its EFA devices.
 */
export function networkInterfacesCompatible(
  hw: NetworkHardware,
  interfaces: readonly NetworkInterface[] | undefined,
): boolean {
  if (interfaces === undefined) return true;
  if (hw.networkCards.length === 0 || hw.enaSupport === 'unsupported') return false;
  for (const n of interfaces) {
    if (n.networkCardIndex >= hw.networkCards.length) return false;
    const card = hw.networkCards.find((c) => c.index === n.networkCardIndex);
    if (!card || n.deviceIndex >= card.maxInterfaces) return false;
  }
  const efaOnly = interfaces.filter((n) => n.interfaceType === 'efa-only').length;
  return efaOnly <= (hw.maxEfaInterfaces ?? 0);
}

/** Whether the claim's pods request EFA devices: the key in its requests, whatever the amount, as upstream. */
export function requestsEfa(nodeClaim: NodeClaim): boolean {
  return ExtendedResources.efa in (nodeClaim.spec.resources?.requests ?? {});
}

/**
 * EFA devices a launch as a type of this capacity attaches: the type's vpc.amazonaws.com/efa when the claim
 * requests EFA or the node class lists interfaces (its efa-only ones then), else none: without either, the instance
 * launches with a plain interface and its EFA devices stay unused.
 */
export function launchEfaCount(
  nodeClaim: NodeClaim,
  interfaces: readonly NetworkInterface[] | undefined,
  capacity: Resources,
): number {
  if (interfaces === undefined && !requestsEfa(nodeClaim)) return 0;
  return capacity[ExtendedResources.efa] ?? 0;
}

function withoutUnlaunchedEfa(resources: Resources, efaCount: number): ResourceList {
  const out = { ...resources };
  if (efaCount === 0) delete out[ExtendedResources.efa];
  return toResourceList(out);
}

/**
 * A launched claim's capacity and allocatable: the type's, with vpc.amazonaws.com/efa only when the launch
 * attached EFA devices (upstream's NodeClaim filter), so a node launched without them never promises any.
 */
export function launchedResources(
  it: Pick<InstanceType, 'capacity' | 'allocatable'>,
  nodeClaim: NodeClaim,
  interfaces: readonly NetworkInterface[] | undefined,
): { capacity: ResourceList; allocatable: ResourceList } {
  const efaCount = launchEfaCount(nodeClaim, interfaces, it.capacity);
  return {
    capacity: withoutUnlaunchedEfa(it.capacity, efaCount),
    allocatable: withoutUnlaunchedEfa(it.allocatable, efaCount),
  };
}

/** A launch template's interface settings (launch-templates.ts LaunchTemplateOptions has them). */
export interface InterfaceOptions {
  securityGroupIds: string[];
  associatePublicIPAddress?: boolean;
  /** spec.ipPrefixCount, as IPv4 prefixes in an IPv4 cluster (at most one of these two is set). */
  ipv4PrefixCount?: number;
  /** spec.ipPrefixCount, as IPv6 prefixes in an IPv6 cluster. */
  ipv6PrefixCount?: number;
  /**
   * An IPv6 cluster: every interface with IP addresses (the default one too) gets a primary IPv6 address and one
   * IPv6 address, as upstream's templates do. @default false
   */
  ipv6?: boolean;
  connectionTracking?: ConnectionTracking;
  /** The node class's interfaces, when it lists any. */
  networkInterfaces?: readonly NetworkInterface[];
  /** EFA devices to attach as `efa` interfaces, for a claim requesting EFA (launchEfaCount). @default 0 */
  efaCount?: number;
}

/** The settings of an interface that has IP addresses: public IP, prefixes and connection tracking. */
function addressedSettings(o: InterfaceOptions): InterfaceRequest {
  const ct = o.connectionTracking;
  return {
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
}

/**
 * The launch template's NetworkInterfaces, each with the security groups: one per node class interface when it
 * lists some (an efa-only one without addresses, prefixes or connection tracking, which EC2 refuses on it); else
 * one `efa` interface per EFA device (card i; device index 0 on card 0 and 1 on the others, so card 0's stays
 * the primary); else the primary interface when a setting (or an IPv6 cluster) needs it, and undefined when none
 * does (the groups then go on the template itself).
 */
export function templateNetworkInterfaces(o: InterfaceOptions): InterfaceRequest[] | undefined {
  const Groups = o.securityGroupIds;
  const ipv6: InterfaceRequest = o.ipv6 ? { PrimaryIpv6: true, Ipv6AddressCount: 1 } : {};
  if (o.networkInterfaces?.length) {
    return o.networkInterfaces.map((n) => ({
      NetworkCardIndex: n.networkCardIndex,
      DeviceIndex: n.deviceIndex,
      InterfaceType: n.interfaceType,
      ...(n.interfaceType === 'efa-only' ? {} : { ...addressedSettings(o), ...ipv6 }),
      Groups,
    }));
  }
  if (o.efaCount) {
    return Array.from({ length: o.efaCount }, (_, card) => ({
      NetworkCardIndex: card,
      DeviceIndex: card === 0 ? 0 : 1,
      InterfaceType: 'efa',
      ...addressedSettings(o),
      ...ipv6,
      Groups,
    }));
  }
  const settings = { ...addressedSettings(o), ...ipv6 };
  return Object.keys(settings).length > 0 ? [{ DeviceIndex: 0, ...settings, Groups }] : undefined;
}
