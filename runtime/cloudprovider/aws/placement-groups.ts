/**
 * An EC2NodeClass's placementGroupSelector: resolved (DescribePlacementGroups, by id or name, state `available`) to
 * the group its instances launch into, and what that means for instance types, launch templates, node labels and
 * drift (AWS provider v1.14.1 pkg/providers/placementgroup and its users). Pure but for `resolvePlacementGroup`.
 * - Instance types: only those whose PlacementGroupInfo lists the group's strategy; each carries
 *   karpenter.k8s.aws/placement-group-id, and in a partition group placement-group-partition 1..PartitionCount, so
 *   pods can select a group or partition.
 * - Launch: the template's Placement names the group; a claim whose requirements narrow the partition launches
 *   into the lowest one allowed (EC2 takes one), otherwise EC2 picks and the instance says which.
 * - Drift: a node whose group label is not the group resolved now is PlacementGroupDrift.
 */
import {
  DescribePlacementGroupsCommand,
  type DescribePlacementGroupsCommandInput,
  type EC2Client,
  type Instance,
  type PlacementGroup,
} from '@aws-sdk/client-ec2';
import type { PlacementGroupSelector } from '../../../sdk/api/ec2nodeclass';
import { Labels } from '../../../sdk/api/well-known';
import type { NodeClaim } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import { awsErrorCode, classifyAwsError } from './errors';
import { describeInstance } from './instances';

export const PlacementStrategies = ['cluster', 'partition', 'spread'] as const;
export type PlacementStrategy = (typeof PlacementStrategies)[number];

export interface ResolvedPlacementGroup {
  id: string;
  name: string;
  strategy: PlacementStrategy;
  /** Partitions of a partition group (EC2 allows up to 7 per zone); 0 for the other strategies. */
  partitionCount: number;
}

/** The DescribePlacementGroups request for a selector: by id, else by name, only groups that are available. */
export function placementGroupQuery(selector: PlacementGroupSelector): DescribePlacementGroupsCommandInput {
  return {
    Filters: [{ Name: 'state', Values: ['available'] }],
    ...(selector.id ? { GroupIds: [selector.id] } : selector.name ? { GroupNames: [selector.name] } : {}),
  };
}

/** EC2's answer → the group, or undefined when it lacks an id or a strategy Karpenter knows. */
export function placementGroupFromEc2(pg: PlacementGroup): ResolvedPlacementGroup | undefined {
  const strategy = PlacementStrategies.find((s) => s === pg.Strategy);
  if (!pg.GroupId || !strategy) return undefined;
  return {
    id: pg.GroupId,
    name: pg.GroupName ?? '',
    strategy,
    partitionCount: strategy === 'partition' ? (pg.PartitionCount ?? 0) : 0,
  };
}

/** What the selector names, for messages. */
export function selectorText(selector: PlacementGroupSelector): string {
  return selector.name ?? selector.id ?? '';
}

/**
 * The group the selector names, undefined when EC2 has no available group of that name or id (EC2 answers an
 * unknown name or id with an error, which means the same). Other failures throw.
 */
export async function resolvePlacementGroup(
  ec2: EC2Client,
  selector: PlacementGroupSelector,
): Promise<ResolvedPlacementGroup | undefined> {
  try {
    const out = await ec2.send(new DescribePlacementGroupsCommand(placementGroupQuery(selector)));
    const first = out.PlacementGroups?.[0];
    return first ? placementGroupFromEc2(first) : undefined;
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'InvalidPlacementGroup.Unknown' || code === 'InvalidPlacementGroupId.NotFound')
      return undefined;
    throw classifyAwsError(err, 'ec2:DescribePlacementGroups');
  }
}

/** The partitions of a partition group as label values, "1" to its count; none for other strategies. */
export function partitionValues(pg: ResolvedPlacementGroup): string[] {
  return Array.from({ length: pg.partitionCount }, (_, i) => String(i + 1));
}

/**
 * The instance types a node class with this group may use, labelled with it: only types whose PlacementGroupInfo
 * lists the strategy (`strategies` by type name; a type EC2 reports none for is left out, as upstream).
 */
export function withPlacementGroup(
  types: InstanceType[],
  pg: ResolvedPlacementGroup | undefined,
  strategies: (typeName: string) => readonly string[],
): InstanceType[] {
  if (!pg) return types;
  const partitions = partitionValues(pg);
  return types
    .filter((it) => strategies(it.name).includes(pg.strategy))
    .map((it) => {
      const requirements = it.requirements.clone().add(Requirement.in(Labels.placementGroupId, [pg.id]));
      if (partitions.length) requirements.add(Requirement.in(Labels.placementGroupPartition, partitions));
      return { ...it, requirements };
    });
}

/** The partition a claim launches into: the lowest its requirements allow, or undefined to let EC2 choose. */
export function claimPartition(pg: ResolvedPlacementGroup, nodeClaim: NodeClaim): number | undefined {
  if (pg.strategy !== 'partition') return undefined;
  const req = Requirements.fromSelectors(nodeClaim.spec.requirements).get(Labels.placementGroupPartition);
  if (!req) return undefined;
  const allowed = partitionValues(pg).filter((p) => req.has(p));
  return allowed.length ? Number(allowed[0]) : undefined;
}

/** The Placement of a claim's launch template. */
export function launchPlacement(
  pg: ResolvedPlacementGroup,
  nodeClaim: NodeClaim,
): { groupId: string; partitionNumber?: number } {
  const partition = claimPartition(pg, nodeClaim);
  return { groupId: pg.id, ...(partition !== undefined ? { partitionNumber: partition } : {}) };
}

/**
 * The placement group labels of a node launched into the group: its id, and in a partition group the partition
 * the instance landed in (from EC2, else the one the launch asked for; empty until known, as upstream).
 */
export function placementGroupLabels(
  pg: ResolvedPlacementGroup | undefined,
  partition: number | undefined,
): Record<string, string> {
  if (!pg) return {};
  return {
    [Labels.placementGroupId]: pg.id,
    ...(pg.strategy === 'partition'
      ? { [Labels.placementGroupPartition]: partition !== undefined ? String(partition) : '' }
      : {}),
  };
}

/** The partition EC2 placed an instance in, if it says. */
export function instancePartition(i: Instance | undefined): number | undefined {
  return i?.Placement?.PartitionNumber ?? undefined;
}

/**
 * A launched claim's placement group labels. In a partition group whose partition the claim left to EC2, the
 * instance is asked where it landed (upstream's registration hook does the same later).
 */
export async function launchedPlacementLabels(
  ec2: EC2Client,
  resolved: { placementGroup?: ResolvedPlacementGroup },
  nodeClaim: NodeClaim,
  launched: { instanceId: string },
): Promise<Record<string, string>> {
  const pg = resolved.placementGroup;
  if (!pg) return {};
  let partition = claimPartition(pg, nodeClaim);
  if (pg.strategy === 'partition' && partition === undefined)
    partition = instancePartition(await describeInstance(ec2, launched.instanceId));
  return placementGroupLabels(pg, partition);
}

/** PlacementGroupDrift: the node's group label is not the group the node class resolves to now ("" for none). */
export function placementGroupDrifted(nodeClaim: NodeClaim, pg: ResolvedPlacementGroup | undefined): boolean {
  return (nodeClaim.metadata.labels?.[Labels.placementGroupId] ?? '') !== (pg?.id ?? '');
}
