import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveSecurityGroups } from './security-groups';
import { testNodeClass } from './testing';

describe('resolveSecurityGroups', () => {
  it('selects by tags, id and name, one call per term', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeSecurityGroupsCommand)
      .resolvesOnce({ SecurityGroups: [{ GroupId: 'sg-2', GroupName: 'nodes' }] })
      .resolvesOnce({ SecurityGroups: [{ GroupId: 'sg-1' }] })
      .resolvesOnce({ SecurityGroups: [{ GroupId: 'sg-2', GroupName: 'nodes' }] });
    const nc = testNodeClass({
      securityGroupSelectorTerms: [
        { tags: { 'karpenter.sh/discovery': 'test' } },
        { id: 'sg-1' },
        { name: 'nodes' },
      ],
    });
    expect(await resolveSecurityGroups(ec2, nc)).toEqual([{ id: 'sg-1' }, { id: 'sg-2', name: 'nodes' }]);
    expect(m.commandCalls(DescribeSecurityGroupsCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: 'tag:karpenter.sh/discovery', Values: ['test'] }] },
      { Filters: [{ Name: 'group-id', Values: ['sg-1'] }] },
      { Filters: [{ Name: 'group-name', Values: ['nodes'] }] },
    ]);
  });
});
