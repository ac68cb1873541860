/**
 * The drift preview's default resolver: the controller's own selector resolution (runtime/cloudprovider/aws
 * amis.ts, subnets.ts, security-groups.ts) and one DescribeInstances of the live instances, through the AWS SDK.
 * Read-only, unlike the controller's resolveNodeClass, which also creates instance profiles. Loaded on demand.
 */
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { resolveAmis } from '../../runtime/cloudprovider/aws/amis';
import { createAwsClients, destroyAwsClients } from '../../runtime/cloudprovider/aws/clients';
import {
  amiRequirements,
  instanceNetwork,
  isUnknown,
  unknown,
  type Maybe,
} from '../../runtime/cloudprovider/aws/drift';
import { awsCall } from '../../runtime/cloudprovider/aws/errors';
import { instanceIdOf, LIVE_STATES } from '../../runtime/cloudprovider/aws/instances';
import { resolveSecurityGroups } from '../../runtime/cloudprovider/aws/security-groups';
import { resolveSubnets } from '../../runtime/cloudprovider/aws/subnets';
import type { EC2NodeClass } from '../../runtime/kube/objects';
import type { DriftResolver, InstanceRecord, PlannedResolution, PreviewFacts } from './facts';

export interface AwsDriftResolverOptions {
  region: string;
  /** An emulator URL (moto) for every AWS call. */
  endpoint?: string;
  /**
   * The cluster's Kubernetes minor version, which AMI aliases resolve for. Unset: alias terms are not resolved
   * (another version's AMI would read as drift of every node).
   */
  kubernetesVersion?: string;
}

/** DescribeInstances takes at most 200 values per filter. */
const FILTER_VALUES = 200;

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function attempt<T>(fn: () => Promise<T>): Promise<Maybe<T>> {
  try {
    return await fn();
  } catch (err) {
    return unknown(why(err));
  }
}

async function resolveNodeClass(
  ec2: EC2Client,
  ssm: SSMClient,
  nodeClass: EC2NodeClass,
  kubernetesVersion: string | undefined,
): Promise<PlannedResolution> {
  const subnets = await attempt(() => resolveSubnets(ec2, nodeClass));
  const groups = await attempt(() => resolveSecurityGroups(ec2, nodeClass));
  const hasAlias = nodeClass.spec.amiSelectorTerms.some((t) => t.alias);
  const amis =
    hasAlias && kubernetesVersion === undefined
      ? unknown(
          "alias terms need the cluster's Kubernetes version (give the drift preview kubernetesVersion)",
        )
      : await attempt(() => resolveAmis(ec2, ssm, nodeClass, kubernetesVersion ?? ''));
  const map = <T, U>(m: Maybe<T[]>, f: (t: T) => U): Maybe<U[]> => (isUnknown(m) ? m : m.map(f));
  return {
    amis: map(amis, (a) => ({ id: a.id, requirements: amiRequirements(a.arch) })),
    subnetIds: map(subnets, (s) => s.id),
    zones: map(subnets, (s) => s.zone),
    securityGroupIds: map(groups, (g) => g.id),
  };
}

async function readInstances(
  ec2: EC2Client,
  providerIDs: readonly string[],
): Promise<Map<string, InstanceRecord>> {
  const byId = new Map<string, string>();
  for (const p of providerIDs) {
    const id = instanceIdOf(p);
    if (id) byId.set(id, p);
  }
  const ids = [...byId.keys()];
  const found: Instance[] = [];
  for (let i = 0; i < ids.length; i += FILTER_VALUES) {
    // Filters, not InstanceIds: an id that no longer exists would fail the whole call. Gone ones are not found.
    const Filters = [
      { Name: 'instance-id', Values: ids.slice(i, i + FILTER_VALUES) },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ];
    let NextToken: string | undefined;
    do {
      const page = await awsCall('ec2:DescribeInstances', () =>
        ec2.send(new DescribeInstancesCommand({ Filters, NextToken })),
      );
      for (const r of page.Reservations ?? []) found.push(...(r.Instances ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  }
  const out = new Map<string, InstanceRecord>();
  for (const inst of found) {
    const providerID = byId.get(inst.InstanceId ?? '');
    if (!providerID) continue;
    const { subnetId, securityGroupIds } = instanceNetwork(inst);
    out.set(providerID, {
      ...(inst.ImageId ? { imageId: inst.ImageId } : {}),
      ...(subnetId ? { subnetId } : {}),
      securityGroupIds,
    });
  }
  return out;
}

export function awsDriftResolver(o: AwsDriftResolverOptions): DriftResolver {
  return {
    async resolve(nodeClasses, providerIDs): Promise<PreviewFacts> {
      const clients = createAwsClients({ region: o.region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
      try {
        const resolved = new Map<string, PlannedResolution>();
        for (const nc of nodeClasses) {
          resolved.set(
            nc.metadata.name ?? '',
            await resolveNodeClass(clients.ec2, clients.ssm, nc, o.kubernetesVersion),
          );
        }
        const instances = await attempt(() => readInstances(clients.ec2, providerIDs));
        return {
          nodeClasses: resolved,
          instances: isUnknown(instances) ? unknown(`instances not read: ${instances.unknown}`) : instances,
        };
      } finally {
        destroyAwsClients(clients);
      }
    },
  };
}
