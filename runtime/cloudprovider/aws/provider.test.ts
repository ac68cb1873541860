import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { DeleteInstanceProfileCommand } from '@aws-sdk/client-iam';
import { GetProductsCommand } from '@aws-sdk/client-pricing';
import { Kinds } from '../../kube/kinds';
import type { NodeClaim } from '../../kube/objects';
import { InsufficientCapacityError } from '../types';
import { CloudProviderError } from './errors';
import { awsError, testNodeClass } from './testing';
import { claim, launchedC5, pool, setup, type } from './provider-testing';

/** Launches one on-demand claim and returns the user data its launch template was created with. */
async function launchedUserData(
  ec2: Awaited<ReturnType<typeof setup>>['ec2'],
  provider: Awaited<ReturnType<typeof setup>>['provider'],
): Promise<string> {
  ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
  ec2.on(CreateLaunchTemplateCommand).resolves({ LaunchTemplate: { LaunchTemplateName: 'lt' } });
  ec2.on(CreateFleetCommand).resolves(launchedC5);
  await provider.create(claim(['on-demand']));
  const userData =
    ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData?.UserData;
  return Buffer.from(userData ?? '', 'base64').toString('utf8');
}

describe('AwsCloudProvider', () => {
  it('offers only types a resolved AMI can boot, in the subnets zones', async () => {
    const { provider } = await setup();
    const types = await provider.getInstanceTypes(pool);
    expect(types.map((t) => t.name).sort()).toEqual(['c5.large', 'm5.large']);
  });

  it('launches the claim and reports labels, provider ID, image and allocatable', async () => {
    const { ec2, provider } = await setup();
    ec2.on(CreateFleetCommand).resolves(launchedC5);
    const out = await provider.create(claim(['on-demand']));
    expect(out.status).toMatchObject({ providerID: 'aws:///us-east-1b/i-0a', imageID: 'ami-x86' });
    expect(out.status?.allocatable?.cpu).toBeDefined();
    expect(out.metadata.labels).toMatchObject({
      'node.kubernetes.io/instance-type': 'c5.large',
      'karpenter.sh/capacity-type': 'on-demand',
      'topology.kubernetes.io/zone': 'us-east-1b',
      'karpenter.k8s.aws/instance-family': 'c5',
    });
    const input = ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input;
    expect(input?.ClientToken).toBe('uid-x1-0');
    // It first looked for an instance already launched for this claim, by its tag in this cluster.
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'tag:kubernetes.io/cluster/demo', Values: ['owned'] },
      { Name: 'tag:karpenter.sh/nodeclaim', Values: ['general-x1'] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ]);
    expect(input?.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
    expect(
      input?.LaunchTemplateConfigs?.[0]?.Overrides?.map((o) => `${o.InstanceType}/${o.SubnetId}`).sort(),
    ).toEqual(['c5.large/subnet-a', 'c5.large/subnet-b', 'm5.large/subnet-a', 'm5.large/subnet-b']);
    const tags = Object.fromEntries(input?.TagSpecifications?.[0]?.Tags?.map((t) => [t.Key, t.Value]) ?? []);
    expect(tags).toEqual({
      'kubernetes.io/cluster/demo': 'owned',
      'eks:eks-cluster-name': 'demo',
      'karpenter.sh/nodepool': 'general',
      'karpenter.sh/nodeclaim': 'general-x1',
      'karpenter.k8s.aws/ec2nodeclass': 'default',
      Name: 'general-x1',
    });
  });

  it('tells AL2023 nodes the service CIDR EKS reports for the cluster (not a hard-coded one)', async () => {
    const { ec2, provider } = await setup();
    const text = await launchedUserData(ec2, provider);
    expect(text).toContain('cidr: 172.20.0.0/16');
    expect(text).not.toContain('10.100.0.0/16');
  });

  it("tells nodes the kube-dns Service's ClusterIP as cluster DNS, read through its kube client", async () => {
    const { api, ec2, provider } = await setup();
    await api.create(Kinds.Service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: { clusterIP: '172.20.0.10' },
    });
    expect(await launchedUserData(ec2, provider)).toMatch(/clusterDNS:\n\s+- 172\.20\.0\.10\n/);
  });

  it("puts ipPrefixCount (IPv6 in an IPv6 cluster) and connectionTracking on the template's interface", async () => {
    const { api, ec2, provider } = await setup(
      testNodeClass({ ipPrefixCount: 2, connectionTracking: { udpTimeout: 45 } }),
    );
    await api.create(Kinds.Service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: { clusterIP: 'fd00:10:96::a' },
    });
    await launchedUserData(ec2, provider);
    const data = ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData;
    expect(data?.SecurityGroupIds).toBeUndefined();
    expect(data?.NetworkInterfaces).toEqual([
      {
        DeviceIndex: 0,
        Ipv6PrefixCount: 2,
        ConnectionTrackingSpecification: { UdpTimeout: 45 },
        // An IPv6 cluster's interface gets a primary IPv6 address, as upstream's templates.
        PrimaryIpv6: true,
        Ipv6AddressCount: 1,
        Groups: ['sg-1'],
      },
    ]);
  });

  it("asks CreateFleet with the node class's context, but not for a claim whose minValues were relaxed", async () => {
    const { ec2, provider } = await setup(testNodeClass({ context: 'ctx-123' }));
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateName: 'x' }] });
    ec2.on(CreateFleetCommand).resolves(launchedC5);
    await provider.create(claim(['on-demand']));
    const relaxed = claim(['on-demand']);
    relaxed.metadata.name = 'general-x2';
    relaxed.metadata.annotations = { 'karpenter.sh/nodeclaim-min-values-relaxed': 'true' };
    await provider.create(relaxed);
    const inputs = ec2.commandCalls(CreateFleetCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.Context)).toEqual(['ctx-123', undefined]);
  });

  it('with NodeOverlays, launches by the overlaid prices: those priorities, prioritized, for an overlaid claim', async () => {
    const { ec2, provider } = await setup();
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateName: 'x' }] });
    ec2.on(CreateFleetCommand).resolves(launchedC5);
    // An overlay that makes m5.large cost a cent: the scheduler chose it for that price, so must the fleet.
    const seen: string[] = [];
    provider.useNodeOverlays((poolName, types) => {
      seen.push(poolName);
      return types.map((it) =>
        it.name === 'm5.large'
          ? { ...it, offerings: it.offerings.map((o) => ({ ...o, price: 0.01, priceOverlaid: true })) }
          : it,
      );
    });
    const overlaid = claim(['on-demand']);
    overlaid.metadata.annotations = { 'karpenter.sh/price-overlay-applied': 'true' };
    await provider.create(overlaid);
    const plain = claim(['on-demand']);
    plain.metadata.name = 'general-x2';
    await provider.create(plain);
    expect(seen).toEqual(['general', 'general']);
    const [first, second] = ec2.commandCalls(CreateFleetCommand).map((c) => c.args[0].input);
    expect(first?.OnDemandOptions).toEqual({ AllocationStrategy: 'prioritized' });
    const overrides = first?.LaunchTemplateConfigs?.flatMap((c) => c.Overrides ?? []) ?? [];
    expect(overrides[0]).toMatchObject({ InstanceType: 'm5.large', Priority: 0.01 });
    expect(
      overrides.filter((o) => o.InstanceType === 'c5.large').every((o) => (o.Priority ?? 0) > 0.01),
    ).toBe(true);
    // A claim no overlay priced goes by EC2's prices.
    expect(second?.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
  });

  it('with nestedVirtualization enabled, offers and launches only types EC2 reports it on, templated with it', async () => {
    const { ec2, provider } = await setup(testNodeClass({ cpuOptions: { nestedVirtualization: 'enabled' } }));
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [type('m5.large'), type('c5.large', 'x86_64', ['nested-virtualization'])],
    });
    expect((await provider.getInstanceTypes(pool)).map((t) => t.name)).toEqual(['c5.large']);
    await launchedUserData(ec2, provider);
    const data = ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData;
    expect(data?.CpuOptions).toEqual({ NestedVirtualization: 'enabled' });
    const overrides =
      ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input.LaunchTemplateConfigs?.[0]?.Overrides;
    expect(new Set(overrides?.map((o) => o.InstanceType))).toEqual(new Set(['c5.large']));
  });

  it('with nestedVirtualization disabled, offers every type and templates it disabled', async () => {
    const { ec2, provider } = await setup(
      testNodeClass({ cpuOptions: { nestedVirtualization: 'disabled' } }),
    );
    expect((await provider.getInstanceTypes(pool)).map((t) => t.name).sort()).toEqual([
      'c5.large',
      'm5.large',
    ]);
    await launchedUserData(ec2, provider);
    const data = ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input.LaunchTemplateData;
    expect(data?.CpuOptions).toEqual({ NestedVirtualization: 'disabled' });
  });

  it('falls back after an ICE answer and keeps the offering out of the next plans', async () => {
    const { ec2, provider } = await setup();
    ec2
      .on(CreateFleetCommand)
      .resolvesOnce({
        Errors: ['subnet-a', 'subnet-b'].flatMap((SubnetId) =>
          ['m5.large', 'c5.large'].map((t) => ({
            ErrorCode: 'InsufficientInstanceCapacity',
            Lifecycle: 'spot' as const,
            LaunchTemplateAndOverrides: { Overrides: { InstanceType: t as 'm5.large', SubnetId } },
          })),
        ),
      })
      .resolvesOnce({
        Instances: [
          {
            InstanceIds: ['i-0b'],
            InstanceType: 'm5.large',
            Lifecycle: 'on-demand',
            LaunchTemplateAndOverrides: { Overrides: { SubnetId: 'subnet-a' } },
          },
        ],
      });
    const out = await provider.create(claim(['spot', 'on-demand']));
    expect(out.metadata.labels?.['karpenter.sh/capacity-type']).toBe('on-demand');
    const m5 = (await provider.getInstanceTypes(pool)).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.filter((o) => o.capacityType === 'spot').every((o) => !o.available)).toBe(true);
    expect(m5?.offerings.filter((o) => o.capacityType === 'on-demand').every((o) => o.available)).toBe(true);
  });

  it('markUnavailable hides a spot offering from instance types (for the interruption controller)', async () => {
    const { provider } = await setup();
    provider.markUnavailable('m5.large', 'us-east-1a', 'spot');
    const m5 = (await provider.getInstanceTypes(pool)).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.find((o) => o.capacityType === 'spot' && o.zone === 'us-east-1a')?.available).toBe(
      false,
    );
  });

  it('throws InsufficientCapacityError when nothing can launch', async () => {
    const { ec2, provider } = await setup();
    ec2.on(CreateFleetCommand).resolves({ Errors: [{ ErrorCode: 'InsufficientInstanceCapacity' }] });
    await expect(provider.create(claim(['on-demand']))).rejects.toBeInstanceOf(InsufficientCapacityError);
  });

  it('turns denied calls into CloudProviderErrors that name the IAM action', async () => {
    const { ec2, provider } = await setup();
    ec2.on(CreateLaunchTemplateCommand).resolves({});
    ec2.on(DescribeLaunchTemplatesCommand).rejects(awsError('UnauthorizedOperation', 'no'));
    const err = await provider.create(claim(['on-demand'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudProviderError);
    expect(err).toMatchObject({ reason: 'AccessDenied', action: 'ec2:DescribeLaunchTemplates' });
  });

  it('refuses to launch from a node class that does not resolve, and says why in its status', async () => {
    const { api, ec2, provider } = await setup();
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    await expect(provider.create(claim(['on-demand']))).rejects.toMatchObject({
      reason: 'NodeClassNotReady',
      message: expect.stringContaining('SubnetsReady'),
    });
    const nc = await api.get(Kinds.EC2NodeClass, 'default');
    const ready = nc?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('False');
    expect(ready?.message).toContain('no subnet matches subnetSelectorTerms');
    expect(nc?.status?.conditions?.find((c) => c.type === 'AMIsReady')?.status).toBe('True');
  });

  it('reports AMI drift when the instance runs an image the node class no longer selects', async () => {
    const { ec2, provider } = await setup();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-1',
              ImageId: 'ami-old',
              SubnetId: 'subnet-a',
              SecurityGroups: [{ GroupId: 'sg-1' }],
              State: { Name: 'running' },
            },
          ],
        },
      ],
    });
    const c = { ...claim(['on-demand']), status: { providerID: 'aws:///us-east-1a/i-1' } };
    expect(await provider.isDrifted(c)).toBe('AMIDrift');
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-1',
              ImageId: 'ami-x86',
              SubnetId: 'subnet-a',
              SecurityGroups: [{ GroupId: 'sg-1' }],
              State: { Name: 'running' },
            },
          ],
        },
      ],
    });
    expect(await provider.isDrifted(c)).toBeUndefined();
  });

  it('reports InstanceTypeNotFound once a claim is an hour old, and AMI drift from status.imageID alone', async () => {
    const { clock, ec2, provider } = await setup();
    const labelled = (type: string, ageMs: number, imageID: string): NodeClaim => {
      const c = claim(['on-demand']);
      c.metadata.creationTimestamp = new Date(clock.now() - ageMs).toISOString();
      c.metadata.labels = {
        ...c.metadata.labels,
        'node.kubernetes.io/instance-type': type,
        'topology.kubernetes.io/zone': 'us-east-1a',
        'karpenter.sh/capacity-type': 'on-demand',
      };
      return { ...c, status: { providerID: 'aws:///us-east-1a/i-1', imageID } };
    };
    const reads = () => ec2.commandCalls(DescribeInstancesCommand).length;
    expect(await provider.isDrifted(labelled('x9.gone', 2 * 3_600_000, 'ami-x86'))).toBe(
      'InstanceTypeNotFound',
    );
    const before = reads();
    expect(await provider.isDrifted(labelled('m5.large', 0, 'ami-old'))).toBe('AMIDrift');
    expect(reads()).toBe(before);
    // A young claim is not checked for its type; its instance (not found here) is read for the rest.
    expect(await provider.isDrifted(labelled('x9.gone', 60_000, 'ami-x86'))).toBeUndefined();
    expect(reads()).toBe(before + 1);
  });

  describe('ISOLATED_VPC (AWS services without a VPC endpoint are unreachable)', () => {
    it('asks the Pricing API for on-demand prices only outside an isolated VPC', async () => {
      const open = await setup(testNodeClass(), { isolatedVpc: false });
      await open.provider.getInstanceTypes(pool);
      expect(open.pricing.commandCalls(GetProductsCommand).length).toBeGreaterThan(0);

      const isolated = await setup(testNodeClass(), { isolatedVpc: true });
      const types = await isolated.provider.getInstanceTypes(pool);
      expect(isolated.pricing.commandCalls(GetProductsCommand)).toHaveLength(0);
      // The static table still prices every offering, so launches stay cost-ordered.
      const prices = types.flatMap((t) => t.offerings.map((o) => o.price));
      expect(prices.length).toBeGreaterThan(0);
      expect(prices.every((p) => p > 0)).toBe(true);
    });

    it('leaves the instance profile when a node class is deleted (IAM is unreachable), as upstream', async () => {
      const open = await setup(testNodeClass(), { isolatedVpc: false });
      await open.provider.deleteNodeClassResources(testNodeClass());
      expect(open.iam.commandCalls(DeleteInstanceProfileCommand)).toHaveLength(1);

      const isolated = await setup(testNodeClass(), { isolatedVpc: true });
      await isolated.provider.deleteNodeClassResources(testNodeClass());
      expect(isolated.iam.calls()).toHaveLength(0);
    });
  });
});
