/** Security groups for an EC2NodeClass: one DescribeSecurityGroups per selector term (tags, id or name), united. */
import { DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { EC2NodeClass } from '../../kube/objects';
import { awsCall } from './errors';
import { termFilters } from './selectors';

export interface ResolvedSecurityGroup {
  id: string;
  name?: string;
}

export async function resolveSecurityGroups(
  ec2: EC2Client,
  nodeClass: EC2NodeClass,
): Promise<ResolvedSecurityGroup[]> {
  const found = new Map<string, ResolvedSecurityGroup>();
  for (const term of nodeClass.spec.securityGroupSelectorTerms) {
    const out = await awsCall('ec2:DescribeSecurityGroups', () =>
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: termFilters(term, 'group-id', 'group-name') })),
    );
    for (const g of out.SecurityGroups ?? []) {
      if (g.GroupId) found.set(g.GroupId, { id: g.GroupId, ...(g.GroupName ? { name: g.GroupName } : {}) });
    }
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}
