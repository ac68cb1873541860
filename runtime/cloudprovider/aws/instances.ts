/**
 * Instances we launched, found by their tags: get by provider ID, list all of the cluster's (for the
 * leaked-instance garbage collector: instances whose NodeClaim no longer exists), and terminate.
 */
import {
  DescribeInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { NetworkInterface } from '../../../sdk/api/ec2nodeclass';
import { Labels, OwnershipTags } from '../../../sdk/api/well-known';
import { nameOf, type EC2NodeClass, type NodeClaim } from '../../kube/objects';
import { specLabels } from '../simulated/catalog';
import type { InstanceType } from '../../scheduling/instance-types';
import type { ResolvedAmi } from './amis';
import { awsCall, awsErrorCode, classifyAwsError } from './errors';
import type { Logger } from 'pino';
import { launchInstance, type FleetOffering, type FleetOptions, type LaunchedInstance } from './fleet';
import type { ReservationAvailability } from './capacity-reservation-provider';
import type { UnavailableOfferings } from './unavailable-offerings';
import { reservationLabels } from './capacity-reservations';
import type { Ec2InstanceTypeSpec } from './instance-types';
import { launchedResources } from './network-interfaces';

export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export function providerIDOf(zone: string, instanceId: string): string {
  return `aws:///${zone}/${instanceId}`;
}

/** `aws:///us-east-1a/i-0123…` → the instance ID, or undefined when it is not an EC2 provider ID. */
export function instanceIdOf(providerID: string): string | undefined {
  return /^aws:\/\/\/[^/]*\/(i-[0-9a-f]+)$/.exec(providerID)?.[1];
}

/** The filters that select this cluster's Karpenter instances that are not yet gone. */
export function clusterInstanceFilters(clusterName: string) {
  return [
    { Name: `tag:${OwnershipTags.cluster(clusterName)}`, Values: ['owned'] },
    { Name: 'tag-key', Values: [Labels.nodePool] },
    { Name: 'instance-state-name', Values: [...LIVE_STATES, 'shutting-down'] },
  ];
}

function tag(i: Instance, key: string): string | undefined {
  return i.Tags?.find((t) => t.Key === key)?.Value;
}

/**
 * The tags a claim's instance (and its volumes and fleet) launch with: the node class's, then the ones this file
 * finds instances by, and the claim's name as Name.
 */
export function claimInstanceTags(
  clusterName: string,
  nodeClass: EC2NodeClass,
  nodePoolName: string,
  nodeClaimName: string,
): Record<string, string> {
  return {
    ...nodeClass.spec.tags,
    [OwnershipTags.cluster(clusterName)]: 'owned',
    [OwnershipTags.eksClusterName]: clusterName,
    [Labels.nodePool]: nodePoolName,
    [OwnershipTags.nodeClaim]: nodeClaimName,
    [Labels.ec2NodeClass]: nameOf(nodeClass),
    Name: nodeClaimName,
  };
}

/**
 * The reservation an instance runs in, when it counts as reserved: with the ReservedCapacity gate on, launched into a
 * reservation it targets alone (capacity-reservations-only), as upstream. An instance that landed in an open
 * reservation by itself stays on-demand: calling it reserved would make it drift.
 */
export function instanceReservation(
  i: Instance,
  reservedCapacity: boolean,
): LaunchedInstance['reservation'] | undefined {
  if (!reservedCapacity || !i.CapacityReservationId) return undefined;
  if (i.CapacityReservationSpecification?.CapacityReservationPreference !== 'capacity-reservations-only')
    return undefined;
  const lifecycle = String(i.InstanceLifecycle ?? '');
  return {
    id: i.CapacityReservationId,
    type: lifecycle === 'capacity-block' ? 'capacity-block' : 'default',
    interruptible: lifecycle === 'interruptible-capacity-reservation',
  };
}

/** An instance found already launched for a claim, as CreateFleet would have reported it. */
export function launchedInstanceOf(i: Instance, reservedCapacity = false): LaunchedInstance {
  const reservation = instanceReservation(i, reservedCapacity);
  return {
    instanceId: i.InstanceId as string,
    instanceType: i.InstanceType as string,
    zone: i.Placement?.AvailabilityZone ?? '',
    capacityType: reservation ? 'reserved' : i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    ...(reservation ? { reservation } : {}),
  };
}

export interface LaunchResult {
  launched: LaunchedInstance;
  /** The launched type as the NodePool offers it (capacity and allocatable). */
  instanceType: InstanceType;
  /** EC2's description of the type, for its well-known labels; undefined when EC2 no longer lists it. */
  spec: Ec2InstanceTypeSpec | undefined;
  /** The AMI the type boots, for status.imageID. */
  ami: ResolvedAmi | undefined;
  region: string;
  nodePoolName: string;
  /** The placement group labels (placement-groups.ts placementGroupLabels); none outside a group. */
  placementLabels?: Record<string, string>;
  /** The node class's networkInterfaces: with the claim's requests, whether EFA devices were attached. */
  networkInterfaces?: readonly NetworkInterface[] | undefined;
}

/**
 * The claim as launched: the type's labels and where it landed, its provider ID, image and resources (EFA devices
 * only when the launch attached them).
 */
export function launchedNodeClaim(nodeClaim: NodeClaim, r: LaunchResult): NodeClaim {
  const { launched } = r;
  const out = structuredClone(nodeClaim);
  out.metadata.labels = {
    ...out.metadata.labels,
    ...(r.spec ? specLabels({ ...r.spec, zones: [], onDemandPrice: 0, spotPrice: {} }, r.region) : {}),
    [Labels.instanceType]: launched.instanceType,
    [Labels.zone]: launched.zone,
    [Labels.capacityType]: launched.capacityType,
    ...reservationLabels(launched.reservation),
    ...r.placementLabels,
    [Labels.nodePool]: r.nodePoolName,
  };
  out.status = {
    ...out.status,
    providerID: providerIDOf(launched.zone, launched.instanceId),
    ...(r.ami ? { imageID: r.ami.id } : {}),
    ...launchedResources(r.instanceType, nodeClaim, r.networkInterfaces),
  };
  return out;
}

/** What the cloud knows of a claim: its name, labels, provider ID, image and launch time. */
export function instanceToNodeClaim(i: Instance, reservedCapacity = false): NodeClaim {
  const zone = i.Placement?.AvailabilityZone ?? '';
  const reservation = instanceReservation(i, reservedCapacity);
  const labels: Record<string, string> = {
    [Labels.capacityType]: reservation ? 'reserved' : i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    [Labels.zone]: zone,
    ...reservationLabels(reservation),
  };
  if (i.InstanceType) labels[Labels.instanceType] = i.InstanceType;
  const pool = tag(i, Labels.nodePool);
  if (pool) labels[Labels.nodePool] = pool;
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: tag(i, OwnershipTags.nodeClaim) ?? i.InstanceId ?? '',
      labels,
      ...(i.LaunchTime ? { creationTimestamp: i.LaunchTime.toISOString() } : {}),
    },
    spec: {
      requirements: [],
      nodeClassRef: {
        group: 'karpenter.k8s.aws',
        kind: 'EC2NodeClass',
        name: tag(i, Labels.ec2NodeClass) ?? '',
      },
      expireAfter: 'Never',
    },
    status: {
      providerID: providerIDOf(zone, i.InstanceId ?? ''),
      ...(i.ImageId ? { imageID: i.ImageId } : {}),
    },
  };
}

/** The instance, or undefined when EC2 does not know it or it is terminated. */
export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance | undefined> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const i = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
    return i && i.State?.Name !== 'terminated' ? i : undefined;
  } catch (err) {
    if (awsErrorCode(err) === 'InvalidInstanceID.NotFound') return undefined;
    throw classifyAwsError(err, 'ec2:DescribeInstances');
  }
}

export async function listClusterInstances(ec2: EC2Client, clusterName: string): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await awsCall('ec2:DescribeInstances', () =>
      ec2.send(new DescribeInstancesCommand({ Filters: clusterInstanceFilters(clusterName), NextToken })),
    );
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return out;
}

/**
 * The live instance launched for a NodeClaim (tagged with its name in this cluster), if any: a launch whose answer
 * was lost, or whose claim status write failed, is found again instead of bought twice.
 */
export async function findClaimInstance(
  ec2: EC2Client,
  clusterName: string,
  nodeClaimName: string,
): Promise<Instance | undefined> {
  const out = await awsCall('ec2:DescribeInstances', () =>
    ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${OwnershipTags.cluster(clusterName)}`, Values: ['owned'] },
          { Name: `tag:${OwnershipTags.nodeClaim}`, Values: [nodeClaimName] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    ),
  );
  return out?.Reservations?.flatMap((r) => r.Instances ?? [])[0];
}

export async function terminateInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  await awsCall('ec2:TerminateInstances', () =>
    ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
  );
}

/**
 * The instance already launched for the claim, else a new one from CreateFleet. Idempotent on the claim: a retry
 * after a lost CreateFleet answer or a failed status write gets the instance that launch made. The client token
 * alone does not cover it: EC2 refuses a reused token whose parameters changed (an offering marked unavailable
 * since), and remembers tokens only for a while. A launch into a reservation takes one of its slots, once.
 */
export async function findOrLaunch(
  deps: { ec2: EC2Client; clusterName: string; logger: Logger; unavailable: UnavailableOfferings },
  reserved: { availability: ReservationAvailability; reservedCapacity: boolean },
  launch: {
    nodeClaim: NodeClaim;
    offerings: FleetOffering[];
    tags: Record<string, string>;
    fleet?: FleetOptions;
  },
): Promise<LaunchedInstance> {
  const claimName = nameOf(launch.nodeClaim);
  const token = launch.nodeClaim.metadata.uid ?? claimName;
  const found = await findClaimInstance(deps.ec2, deps.clusterName, claimName);
  if (!found) {
    const { availability } = reserved;
    const fresh = await launchInstance(
      {
        ec2: deps.ec2,
        unavailable: deps.unavailable,
        reservationCount: (id) => availability.count(id),
        markReservationUnavailable: (id) => availability.markUnavailable(id),
      },
      launch.offerings,
      token,
      launch.tags,
      launch.fleet,
    );
    if (fresh.reservation) availability.markLaunched(fresh.reservation.id);
    return fresh;
  }
  const launched = launchedInstanceOf(found, reserved.reservedCapacity);
  deps.logger.info(
    { nodeClaim: claimName, instanceId: launched.instanceId },
    'found the instance already launched for the nodeclaim',
  );
  return launched;
}
