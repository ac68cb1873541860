/**
 * A VPC for the cluster: public subnets (load balancers, one NAT gateway) and private subnets (nodes) in each zone.
 * Private subnets carry the discovery tag, so Karpenter launches nodes into them and nowhere else.
 */
import { OwnershipTags } from '../../sdk/api/well-known';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DISCOVERY_TAG } from '../install/defaults';

export const VPC_CIDR = '10.0.0.0/16';
export const MIN_ZONES = 2;
export const MAX_ZONES = 4;

/** Non-overlapping /19 private and /22 public ranges of 10.0.0.0/16, one pair per zone. */
export function subnetCidrs(zones: number): { private: string; public: string }[] {
  if (!Number.isInteger(zones) || zones < MIN_ZONES || zones > MAX_ZONES) {
    throw new Error(`zones: ${zones} is not ${MIN_ZONES} to ${MAX_ZONES} (nodes need at least two zones)`);
  }
  return Array.from({ length: zones }, (_, i) => ({
    private: `10.0.${i * 32}.0/19`,
    public: `10.0.${128 + i * 4}.0/22`,
  }));
}

export interface ClusterVpc {
  vpcId: pulumi.Output<string>;
  publicSubnetIds: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
}

export function createVpc(
  name: string,
  args: { clusterName: pulumi.Input<string>; zones: number; tags: Record<string, string> },
  parent: pulumi.Resource,
): ClusterVpc {
  const opts = { parent };
  const cidrs = subnetCidrs(args.zones);
  const zoneNames = aws.getAvailabilityZonesOutput({ state: 'available' }, opts).names;
  const clusterTag = pulumi.output(args.clusterName).apply(OwnershipTags.cluster);
  const vpc = new aws.ec2.Vpc(
    `${name}-vpc`,
    {
      cidrBlock: VPC_CIDR,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { ...args.tags, Name: name },
    },
    opts,
  );
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: args.tags }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: args.tags },
    opts,
  );
  const subnetTags = (role: string, extra: Record<string, pulumi.Input<string>>) =>
    pulumi.all([clusterTag, pulumi.output(extra)]).apply(([key, rest]) => ({
      ...args.tags,
      [key]: 'shared',
      [role]: '1',
      ...rest,
    }));
  const publicSubnets = cidrs.map((cidr, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: cidr.public,
        availabilityZone: zoneNames[i],
        mapPublicIpOnLaunch: true,
        tags: subnetTags('kubernetes.io/role/elb', {}),
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(
      `${name}-public-${i}`,
      { subnetId: subnet.id, routeTableId: publicRoutes.id },
      opts,
    );
    return subnet;
  });
  const eip = new aws.ec2.Eip(`${name}-nat`, { domain: 'vpc', tags: args.tags }, opts);
  const nat = new aws.ec2.NatGateway(
    `${name}-nat`,
    { subnetId: publicSubnets[0].id, allocationId: eip.id, tags: args.tags },
    { parent, dependsOn: [igw] },
  );
  const privateRoutes = new aws.ec2.RouteTable(
    `${name}-private`,
    { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }], tags: args.tags },
    opts,
  );
  const privateSubnets = cidrs.map((cidr, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: cidr.private,
        availabilityZone: zoneNames[i],
        tags: subnetTags('kubernetes.io/role/internal-elb', { [DISCOVERY_TAG]: args.clusterName }),
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(
      `${name}-private-${i}`,
      { subnetId: subnet.id, routeTableId: privateRoutes.id },
      opts,
    );
    return subnet;
  });
  return {
    vpcId: vpc.id,
    publicSubnetIds: publicSubnets.map((s) => s.id),
    privateSubnetIds: privateSubnets.map((s) => s.id),
  };
}
