/**
 * placementGroupSelector: the pure decisions (query, labels, partitions, drift), then the AWS provider over mocked
 * SDK clients: moto (5.2.x) does not emulate placement groups, so DescribePlacementGroups answers are recorded
 * SDK shapes.
 */
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribePlacementGroupsCommand,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { Labels } from '../../../sdk/api/well-known';
import { Kinds } from '../../kube/kinds';
import type { NodeClaim } from '../../kube/objects';
import { instanceTypeCompatible } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import { claimFacts, nodeClassResolution, resolvedDrift } from './drift';
import {
  claimPartition,
  placementGroupDrifted,
  placementGroupFromEc2,
  placementGroupLabels,
  placementGroupQuery,
  type ResolvedPlacementGroup,
} from './placement-groups';
import { claim, launchedC5, pool, setup, type } from './provider-testing';
import { awsError, testNodeClass } from './testing';

const partition: ResolvedPlacementGroup = {
  id: 'pg-0aaa',
  name: 'training',
  strategy: 'partition',
  partitionCount: 3,
};
const cluster: ResolvedPlacementGroup = {
  id: 'pg-0bbb',
  name: 'tight',
  strategy: 'cluster',
  partitionCount: 0,
};

function claimWith(reqs: NodeClaim['spec']['requirements'], labels: Record<string, string> = {}): NodeClaim {
  const c = claim(['on-demand']);
  c.spec.requirements.push(...reqs);
  c.metadata.labels = { ...c.metadata.labels, ...labels };
  return c;
}

describe('placement groups (pure)', () => {
  it('queries by id, else by name, available groups only', () => {
    expect(placementGroupQuery({ id: 'pg-01' })).toEqual({
      Filters: [{ Name: 'state', Values: ['available'] }],
      GroupIds: ['pg-01'],
    });
    expect(placementGroupQuery({ name: 'training' })).toEqual({
      Filters: [{ Name: 'state', Values: ['available'] }],
      GroupNames: ['training'],
    });
  });

  it("reads EC2's group; partitions only count for a partition group", () => {
    expect(
      placementGroupFromEc2({ GroupId: 'pg-1', GroupName: 'a', Strategy: 'partition', PartitionCount: 4 }),
    ).toEqual({ id: 'pg-1', name: 'a', strategy: 'partition', partitionCount: 4 });
    expect(
      placementGroupFromEc2({ GroupId: 'pg-2', GroupName: 'b', Strategy: 'spread' })?.partitionCount,
    ).toBe(0);
    expect(placementGroupFromEc2({ GroupName: 'no-id', Strategy: 'cluster' })).toBeUndefined();
  });

  it('launches into the lowest partition the claim allows, or lets EC2 choose', () => {
    const pinned = claimWith([{ key: Labels.placementGroupPartition, operator: 'In', values: ['3', '2'] }]);
    expect(claimPartition(partition, pinned)).toBe(2);
    const notIn = claimWith([{ key: Labels.placementGroupPartition, operator: 'NotIn', values: ['1'] }]);
    expect(claimPartition(partition, notIn)).toBe(2);
    expect(claimPartition(partition, claimWith([]))).toBeUndefined();
    expect(claimPartition(cluster, pinned)).toBeUndefined();
  });

  it('labels the group id, and the partition only in a partition group', () => {
    expect(placementGroupLabels(cluster, undefined)).toEqual({ [Labels.placementGroupId]: 'pg-0bbb' });
    expect(placementGroupLabels(partition, 2)).toEqual({
      [Labels.placementGroupId]: 'pg-0aaa',
      [Labels.placementGroupPartition]: '2',
    });
    expect(placementGroupLabels(undefined, 2)).toEqual({});
  });

  it('drifts a node whose group label is not the resolved group, either way', () => {
    const inGroup = claimWith([], { [Labels.placementGroupId]: 'pg-0aaa' });
    expect(placementGroupDrifted(inGroup, partition)).toBe(false);
    expect(placementGroupDrifted(inGroup, cluster)).toBe(true);
    expect(placementGroupDrifted(inGroup, undefined)).toBe(true);
    expect(placementGroupDrifted(claimWith([]), cluster)).toBe(true);
    expect(placementGroupDrifted(claimWith([]), undefined)).toBe(false);
  });

  it('a type without the group labels meets only requirements that accept their absence', () => {
    const plain = {
      name: 'm5.large',
      requirements: new Requirements([Requirement.in(Labels.instanceType, ['m5.large'])]),
      capacity: {},
      overhead: {},
      allocatable: {},
      offerings: [{ capacityType: 'on-demand' as const, zone: 'us-east-1a', price: 0.1, available: true }],
    };
    const grouped = {
      ...plain,
      requirements: plain.requirements.clone().add(Requirement.in(Labels.placementGroupId, ['pg-0aaa'])),
    };
    const wantGroup = new Requirements([Requirement.in(Labels.placementGroupId, ['pg-0aaa'])]);
    expect(instanceTypeCompatible(plain, wantGroup)).toBe(false);
    expect(instanceTypeCompatible(grouped, wantGroup)).toBe(true);
    const notGrouped = new Requirements([Requirement.doesNotExist(Labels.placementGroupId)]);
    expect(instanceTypeCompatible(plain, notGrouped)).toBe(true);
  });
});

const withStrategies = (info: InstanceTypeInfo, ...s: ('cluster' | 'partition' | 'spread')[]) => ({
  ...info,
  PlacementGroupInfo: { SupportedStrategies: s },
});

async function groupSetup(selector: { name?: string; id?: string }, answer: () => Promise<unknown>) {
  const s = await setup(testNodeClass({ placementGroupSelector: selector }));
  s.ec2.on(DescribeInstanceTypesCommand).resolves({
    InstanceTypes: [
      withStrategies(type('m5.large'), 'cluster', 'partition', 'spread'),
      withStrategies(type('c5.large'), 'cluster', 'spread'),
    ],
  });
  s.ec2.on(DescribePlacementGroupsCommand).callsFake(answer);
  s.ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
  s.ec2.on(CreateLaunchTemplateCommand).resolves({});
  return s;
}

const PARTITION_GROUP = async () => ({
  PlacementGroups: [{ GroupId: 'pg-0aaa', GroupName: 'training', Strategy: 'partition', PartitionCount: 3 }],
});

describe('AwsCloudProvider with a placementGroupSelector', () => {
  it('resolves the group by name, offers only types supporting its strategy, labelled with it', async () => {
    const { api, ec2, provider } = await groupSetup({ name: 'training' }, PARTITION_GROUP);
    const types = await provider.getInstanceTypes(pool);
    expect(ec2.commandCalls(DescribePlacementGroupsCommand)[0]?.args[0].input).toEqual({
      Filters: [{ Name: 'state', Values: ['available'] }],
      GroupNames: ['training'],
    });
    // c5.large supports no partition strategy.
    expect(types.map((t) => t.name)).toEqual(['m5.large']);
    expect(types[0]?.requirements.get(Labels.placementGroupId)?.toString()).toContain('pg-0aaa');
    expect([...(types[0]?.requirements.get(Labels.placementGroupPartition)?.values ?? [])].sort()).toEqual([
      '1',
      '2',
      '3',
    ]);
    const nc = await api.get(Kinds.EC2NodeClass, 'default');
    expect(nc?.status?.conditions?.find((c) => c.type === 'PlacementGroupReady')?.status).toBe('True');
  });

  it('launches with the group and the partition the claim pins in the template, and labels the claim', async () => {
    const { ec2, provider } = await groupSetup({ id: 'pg-0aaa' }, PARTITION_GROUP);
    ec2.on(CreateFleetCommand).resolves({
      Instances: [{ ...launchedC5.Instances[0], InstanceType: 'm5.large' as const }],
    });
    const c = claimWith([{ key: Labels.placementGroupPartition, operator: 'In', values: ['3', '2'] }]);
    const out = await provider.create(c);
    const data = ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData;
    expect(data?.Placement).toEqual({ GroupId: 'pg-0aaa', PartitionNumber: 2 });
    expect(out.metadata.labels).toMatchObject({
      [Labels.placementGroupId]: 'pg-0aaa',
      [Labels.placementGroupPartition]: '2',
    });
  });

  it('leaves the partition to EC2 when the claim does not narrow it, and labels where the instance landed', async () => {
    const { ec2, provider } = await groupSetup({ id: 'pg-0aaa' }, PARTITION_GROUP);
    ec2.on(CreateFleetCommand).resolves({
      Instances: [{ ...launchedC5.Instances[0], InstanceType: 'm5.large' as const }],
    });
    ec2.on(DescribeInstancesCommand, { InstanceIds: ['i-0a'] }).resolves({
      Reservations: [
        {
          Instances: [{ InstanceId: 'i-0a', State: { Name: 'running' }, Placement: { PartitionNumber: 3 } }],
        },
      ],
    });
    const out = await provider.create(claimWith([]));
    const data = ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData;
    expect(data?.Placement).toEqual({ GroupId: 'pg-0aaa' });
    expect(out.metadata.labels?.[Labels.placementGroupPartition]).toBe('3');
  });

  it('is not ready, and launches nothing, when the group is not found or cannot be described', async () => {
    const missing = await groupSetup({ name: 'gone' }, async () => ({ PlacementGroups: [] }));
    await missing.provider.getInstanceTypes(pool);
    let nc = await missing.api.get(Kinds.EC2NodeClass, 'default');
    const notFound = nc?.status?.conditions?.find((c) => c.type === 'PlacementGroupReady');
    expect(notFound).toMatchObject({
      status: 'False',
      reason: 'PlacementGroupNotFound',
      message: 'Placement group "gone" not found',
    });
    expect(nc?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    await expect(missing.provider.create(claimWith([]))).rejects.toMatchObject({
      reason: 'NodeClassNotReady',
    });
    expect(missing.ec2.commandCalls(CreateFleetCommand)).toHaveLength(0);

    const failing = await groupSetup({ name: 'x' }, () => Promise.reject(awsError('UnauthorizedOperation')));
    await failing.provider.getInstanceTypes(pool);
    nc = await failing.api.get(Kinds.EC2NodeClass, 'default');
    expect(nc?.status?.conditions?.find((c) => c.type === 'PlacementGroupReady')).toMatchObject({
      status: 'False',
      reason: 'PlacementGroupResolutionFailed',
    });
  });

  it('drifts nodes outside the resolved group (PlacementGroupDrift), not while it cannot be resolved', async () => {
    const { provider } = await groupSetup({ id: 'pg-0aaa' }, PARTITION_GROUP);
    const resolved = await provider.resolveNodeClass(
      testNodeClass({ placementGroupSelector: { id: 'pg-0aaa' } }),
    );
    const facts = (labels: Record<string, string>) => ({
      ...claimFacts(claimWith([], labels), [], 0),
      instanceTypeOffered: true,
      imageId: 'ami-x86',
      subnetId: 'subnet-a',
      securityGroupIds: ['sg-1'],
    });
    const n = nodeClassResolution(resolved);
    expect(resolvedDrift(n, facts({ [Labels.placementGroupId]: 'pg-0aaa' })).reason).toBeUndefined();
    expect(resolvedDrift(n, facts({})).reason).toBe('PlacementGroupDrift');
    const unresolved = nodeClassResolution({ ...resolved, problems: { PlacementGroupReady: 'x' } });
    expect(resolvedDrift(unresolved, facts({})).reason).toBeUndefined();
  });
});
