import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import {
  clusterInstanceFilters,
  describeInstance,
  instanceIdOf,
  instanceToNodeClaim,
  listClusterInstances,
  terminateInstance,
} from './instances';
import { awsError } from './testing';

describe('instances', () => {
  it('parses provider IDs', () => {
    expect(instanceIdOf('aws:///us-east-1a/i-0123abc')).toBe('i-0123abc');
    expect(instanceIdOf('kwok://node-1')).toBeUndefined();
  });

  it('lists the cluster instances by tag, following pages', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }], NextToken: 'n' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2' }] }] });
    const got = await listClusterInstances(ec2, 'demo');
    expect(got.map((i) => i.InstanceId)).toEqual(['i-1', 'i-2']);
    expect(m.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: 'tag:kubernetes.io/cluster/demo', Values: ['owned'] },
        { Name: 'tag-key', Values: ['karpenter.sh/nodepool'] },
        {
          Name: 'instance-state-name',
          Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'],
        },
      ],
      NextToken: undefined,
    });
    expect(clusterInstanceFilters('demo')).toHaveLength(3);
  });

  it('treats unknown and terminated instances as gone', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeInstancesCommand, { InstanceIds: ['i-gone'] }).rejects(
      awsError('InvalidInstanceID.NotFound'),
    );
    m.on(DescribeInstancesCommand, { InstanceIds: ['i-term'] }).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-term', State: { Name: 'terminated' } }] }],
    });
    expect(await describeInstance(ec2, 'i-gone')).toBeUndefined();
    expect(await describeInstance(ec2, 'i-term')).toBeUndefined();
  });

  it('terminates by id', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(TerminateInstancesCommand).resolves({});
    await terminateInstance(ec2, 'i-1');
    expect(m.commandCalls(TerminateInstancesCommand)[0]?.args[0].input).toEqual({ InstanceIds: ['i-1'] });
  });

  it('describes an instance as a NodeClaim from its tags', () => {
    const claim = instanceToNodeClaim({
      InstanceId: 'i-9',
      InstanceType: 'm5.large',
      InstanceLifecycle: 'spot',
      ImageId: 'ami-1',
      LaunchTime: new Date('2026-01-01T00:00:00Z'),
      Placement: { AvailabilityZone: 'us-east-1b' },
      Tags: [
        { Key: 'karpenter.sh/nodeclaim', Value: 'general-x' },
        { Key: 'karpenter.sh/nodepool', Value: 'general' },
        { Key: 'karpenter.k8s.aws/ec2nodeclass', Value: 'default' },
      ],
    });
    expect(claim.metadata).toEqual({
      name: 'general-x',
      creationTimestamp: '2026-01-01T00:00:00.000Z',
      labels: {
        'karpenter.sh/capacity-type': 'spot',
        'topology.kubernetes.io/zone': 'us-east-1b',
        'node.kubernetes.io/instance-type': 'm5.large',
        'karpenter.sh/nodepool': 'general',
      },
    });
    expect(claim.status).toEqual({ providerID: 'aws:///us-east-1b/i-9', imageID: 'ami-1' });
    expect(claim.spec.nodeClassRef.name).toBe('default');
  });
});
