import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveSubnets, subnetPerZone } from './subnets';
import { awsError, testNodeClass } from './testing';

describe('resolveSubnets', () => {
  it('describes one filter set per term and unites the answers, most free addresses first', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeSubnetsCommand)
      .resolvesOnce({
        Subnets: [
          {
            SubnetId: 'subnet-a',
            AvailabilityZone: 'us-east-1a',
            AvailabilityZoneId: 'use1-az1',
            AvailableIpAddressCount: 10,
          },
          { SubnetId: 'subnet-b', AvailabilityZone: 'us-east-1b', AvailableIpAddressCount: 200 },
        ],
      })
      .resolvesOnce({
        Subnets: [
          {
            SubnetId: 'subnet-a',
            AvailabilityZone: 'us-east-1a',
            AvailabilityZoneId: 'use1-az1',
            AvailableIpAddressCount: 10,
          },
        ],
      });
    const nc = testNodeClass({
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'test', tier: '*' } }, { id: 'subnet-a' }],
    });
    const subnets = await resolveSubnets(ec2, nc);
    expect(m.commandCalls(DescribeSubnetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Filters: [
          { Name: 'tag:karpenter.sh/discovery', Values: ['test'] },
          { Name: 'tag-key', Values: ['tier'] },
        ],
      },
      { Filters: [{ Name: 'subnet-id', Values: ['subnet-a'] }] },
    ]);
    expect(subnets).toEqual([
      { id: 'subnet-b', zone: 'us-east-1b', availableIPs: 200 },
      { id: 'subnet-a', zone: 'us-east-1a', zoneID: 'use1-az1', availableIPs: 10 },
    ]);
  });

  it('names ec2:DescribeSubnets when access is denied', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    mockClient(ec2).on(DescribeSubnetsCommand).rejects(awsError('UnauthorizedOperation'));
    await expect(resolveSubnets(ec2, testNodeClass())).rejects.toMatchObject({
      reason: 'AccessDenied',
      action: 'ec2:DescribeSubnets',
    });
  });
});

describe('subnetPerZone', () => {
  it('keeps the subnet with the most free addresses in each zone', () => {
    const picked = subnetPerZone([
      { id: 's1', zone: 'a', availableIPs: 5 },
      { id: 's2', zone: 'a', availableIPs: 50 },
      { id: 's3', zone: 'b', availableIPs: 1 },
    ]);
    expect([...picked].map(([z, s]) => `${z}:${s.id}`)).toEqual(['a:s2', 'b:s3']);
  });
});
