/** Subnets for an EC2NodeClass: one DescribeSubnets per selector term, united; the zone of each. */
import { DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { EC2NodeClass } from '../../kube/objects';
import { awsCall } from './errors';
import { termFilters } from './selectors';

export interface ResolvedSubnet {
  id: string;
  zone: string;
  zoneID?: string;
  availableIPs: number;
}

export async function resolveSubnets(ec2: EC2Client, nodeClass: EC2NodeClass): Promise<ResolvedSubnet[]> {
  const found = new Map<string, ResolvedSubnet>();
  for (const term of nodeClass.spec.subnetSelectorTerms) {
    const out = await awsCall('ec2:DescribeSubnets', () =>
      ec2.send(new DescribeSubnetsCommand({ Filters: termFilters(term, 'subnet-id') })),
    );
    for (const s of out.Subnets ?? []) {
      if (!s.SubnetId || !s.AvailabilityZone) continue;
      found.set(s.SubnetId, {
        id: s.SubnetId,
        zone: s.AvailabilityZone,
        ...(s.AvailabilityZoneId ? { zoneID: s.AvailabilityZoneId } : {}),
        availableIPs: s.AvailableIpAddressCount ?? 0,
      });
    }
  }
  // Most free addresses first, then by id so the order is stable.
  return [...found.values()].sort((a, b) => b.availableIPs - a.availableIPs || a.id.localeCompare(b.id));
}

/** The subnet to launch into per zone: the one with the most free addresses. */
export function subnetPerZone(subnets: ResolvedSubnet[]): Map<string, ResolvedSubnet> {
  const out = new Map<string, ResolvedSubnet>();
  for (const s of subnets) {
    const prior = out.get(s.zone);
    if (!prior || s.availableIPs > prior.availableIPs) out.set(s.zone, s);
  }
  return out;
}
