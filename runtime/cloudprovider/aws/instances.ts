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
import { Labels, OwnershipTags } from '../../../sdk/api/well-known';
import type { NodeClaim } from '../../kube/objects';
import { awsCall, awsErrorCode, classifyAwsError } from './errors';

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

/** What the cloud knows of a claim: its name, labels, provider ID, image and launch time. */
export function instanceToNodeClaim(i: Instance): NodeClaim {
  const zone = i.Placement?.AvailabilityZone ?? '';
  const labels: Record<string, string> = {
    [Labels.capacityType]: i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    [Labels.zone]: zone,
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
