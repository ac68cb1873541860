/** The AWS provider over mocked SDK clients (aws-sdk-client-mock), for the provider's unit tests. */
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotPriceHistoryCommand,
  DescribeSubnetsCommand,
  EC2Client,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../kube/objects';
import { nodePool } from '../../scheduling/testing';
import { createAwsCloudProvider } from './index';
import { awsError, ManualClock, silentLogger, testNodeClass } from './testing';

export const type = (
  name: string,
  arch = 'x86_64',
  features: 'nested-virtualization'[] = [],
): InstanceTypeInfo => ({
  InstanceType: name as 'm5.large',
  VCpuInfo: { DefaultVCpus: 2 },
  MemoryInfo: { SizeInMiB: 8192 },
  ProcessorInfo: {
    SupportedArchitectures: [arch as 'x86_64'],
    Manufacturer: 'Intel',
    ...(features.length ? { SupportedFeatures: features } : {}),
  },
  NetworkInfo: { MaximumNetworkInterfaces: 3, Ipv4AddressesPerInterface: 10 },
  SupportedUsageClasses: ['on-demand', 'spot'],
  Hypervisor: 'nitro',
});

export const pool: NodePool = nodePool('general');

export function claim(capacityTypes: string[]): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: 'general-x1', uid: 'uid-x1', labels: { 'karpenter.sh/nodepool': 'general' } },
    spec: {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: capacityTypes },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'c5.large'] },
      ],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      resources: { requests: { cpu: '1' } },
      expireAfter: '720h',
    },
  } as NodeClaim;
}

export async function setup(
  nodeClass: EC2NodeClass = testNodeClass(),
  opts: { isolatedVpc?: boolean; reservedCapacity?: boolean } = {},
) {
  const clock = new ManualClock();
  const api = new MemoryApiServer({ clock });
  await api.create(Kinds.EC2NodeClass, nodeClass);
  await api.create(Kinds.NodePool, pool);
  const clients = {
    ec2: new EC2Client({ region: 'us-east-1' }),
    eks: new EKSClient({ region: 'us-east-1' }),
    ssm: new SSMClient({ region: 'us-east-1' }),
    iam: new IAMClient({ region: 'us-east-1' }),
    pricing: new PricingClient({ region: 'us-east-1' }),
  };
  const ec2 = mockClient(clients.ec2);
  const ssm = mockClient(clients.ssm);
  const iam = mockClient(clients.iam);
  const pricing = mockClient(clients.pricing);
  pricing.on(GetProductsCommand).resolves({ PriceList: [] });
  mockClient(clients.eks)
    .on(DescribeClusterCommand)
    .resolves({ cluster: { kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16' } } });
  ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: [
      { SubnetId: 'subnet-a', AvailabilityZone: 'us-east-1a', AvailableIpAddressCount: 100 },
      { SubnetId: 'subnet-b', AvailabilityZone: 'us-east-1b', AvailableIpAddressCount: 100 },
    ],
  });
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-1' }] });
  ssm.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));
  ssm
    .on(GetParameterCommand, {
      Name: '/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id',
    })
    .resolves({ Parameter: { Value: 'ami-x86' } });
  ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-x86', Architecture: 'x86_64' }] });
  iam.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: {
      InstanceProfileName: 'p',
      InstanceProfileId: 'x',
      Path: '/',
      Arn: 'arn',
      CreateDate: new Date(0),
      Roles: [
        { RoleName: 'KarpenterNodeRole-test', Path: '/', RoleId: 'r', Arn: 'arn', CreateDate: new Date(0) },
      ],
    },
  });
  ec2
    .on(DescribeInstanceTypesCommand)
    .resolves({ InstanceTypes: [type('m5.large'), type('c5.large'), type('m7g.large', 'arm64')] });
  ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
    InstanceTypeOfferings: ['m5.large', 'c5.large', 'm7g.large'].flatMap((t) =>
      ['us-east-1a', 'us-east-1b'].map((Location) => ({ InstanceType: t as 'm5.large', Location })),
    ),
  });
  ec2.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
  // No instance launched for any claim yet (the launch looks before it buys).
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateName: 'x' }] });
  const provider = await createAwsCloudProvider({
    api,
    clock,
    logger: silentLogger,
    clusterName: 'demo',
    clusterEndpoint: 'https://api.demo',
    region: 'us-east-1',
    // ISOLATED_VPC decides the Pricing API when it is set; otherwise the static table keeps tests offline.
    ...(opts.isolatedVpc === undefined ? { usePricingApi: false } : { isolatedVpc: opts.isolatedVpc }),
    ...(opts.reservedCapacity !== undefined ? { reservedCapacity: opts.reservedCapacity } : {}),
    clients,
  });
  return { api, clock, ec2, iam, pricing, provider };
}

/** CreateFleet's answer for one on-demand c5.large in subnet-b. */
export const launchedC5 = {
  Instances: [
    {
      InstanceIds: ['i-0a'],
      InstanceType: 'c5.large' as const,
      Lifecycle: 'on-demand' as const,
      LaunchTemplateAndOverrides: { Overrides: { SubnetId: 'subnet-b' } },
    },
  ],
};
