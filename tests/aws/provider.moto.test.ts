/**
 * The AWS cloud provider against moto in server mode: discovery, launch through CreateFleet, get/list by tags,
 * terminate. moto has no Pricing API (the provider uses its static price table) and none of the EKS SSM AMI
 * parameters (the harness injects them, pointing at AMIs moto ships).
 */
import { nodePool as testNodePool } from '../../runtime/scheduling/testing';
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import pino from 'pino';
import { RealClock } from '../../runtime/clock/clock';
import { createAwsCloudProvider, type AwsCloudProvider } from '../../runtime/cloudprovider/aws';
import { discoverCluster } from '../../runtime/cloudprovider/aws/cluster-discovery';
import { capacitySettingsOf } from '../../runtime/cloudprovider/registry';
import { loadSettings } from '../../runtime/settings';
import { NodeClaimNotFoundError } from '../../runtime/cloudprovider/types';
import { Kinds } from '../../runtime/kube/kinds';
import { MemoryApiServer } from '../../runtime/kube/memory/memory-api-server';
import { testNodeClass } from '../../runtime/cloudprovider/aws/testing';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import {
  describeWithMoto,
  motoClientConfig,
  seedMotoForKarpenter,
  startMoto,
  type MotoServer,
  type SeededMoto,
} from '../support/moto';

const CLUSTER = 'moto-test';
const MiB = 2 ** 20;
const ROLE = 'KarpenterNodeRole-moto-test';
const describeMoto = describeWithMoto('the AWS provider tests on moto');

function nodeClass(): EC2NodeClass {
  return testNodeClass({
    role: ROLE,
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': CLUSTER } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': CLUSTER } }],
    tags: { team: 'platform' },
  });
}

function nodePool(): NodePool {
  return testNodePool('general');
}

function claim(name: string, capacityType: string, types: string[]): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, uid: `uid-${name}`, labels: { 'karpenter.sh/nodepool': 'general', team: 'a' } },
    spec: {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: [capacityType] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: types },
      ],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      resources: { requests: { cpu: '500m', memory: '1Gi' } },
      taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }],
      expireAfter: '720h',
    },
  } as NodeClaim;
}

function withCapacityTypes(c: NodeClaim, values: string[]): NodeClaim {
  c.spec.requirements = c.spec.requirements.map((r) =>
    r.key === 'karpenter.sh/capacity-type' ? { ...r, values } : r,
  );
  return c;
}

const RECORD_FLEET = 'recordCreateFleet';

/** The CreateFleet requests the provider's EC2 client sends from now on, as serialised (remove RECORD_FLEET after). */
function recordFleetRequests(provider: AwsCloudProvider): string[] {
  const bodies: string[] = [];
  provider.clients.ec2.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      if (typeof body === 'string' && body.includes('Action=CreateFleet')) bodies.push(body);
      return next(args);
    },
    { step: 'finalizeRequest', name: RECORD_FLEET },
  );
  return bodies;
}

describeMoto('AWS cloud provider on moto', () => {
  let moto: MotoServer;
  let seeded: SeededMoto;
  let api: MemoryApiServer;
  let provider: AwsCloudProvider;
  let ec2: EC2Client;

  beforeAll(async () => {
    // c5.large spot is out of capacity everywhere (moto_server.py fakes EC2's ICE answer for it).
    moto = await startMoto({
      insufficientCapacity: ['spot:c5.large:us-east-1a', 'spot:c5.large:us-east-1b'],
    });
    seeded = await seedMotoForKarpenter(moto.endpoint, { clusterName: CLUSTER, nodeRoleName: ROLE });
    const clock = new RealClock();
    api = new MemoryApiServer({ clock });
    await api.create(Kinds.EC2NodeClass, nodeClass());
    await api.create(Kinds.NodePool, nodePool());
    ec2 = new EC2Client(motoClientConfig(moto.endpoint));
    provider = await createAwsCloudProvider({
      api,
      clock,
      logger: pino({ level: 'silent' }),
      clusterName: CLUSTER,
      clusterEndpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
      clusterCABundle: 'Q0EtQlVORExF',
      region: 'us-east-1',
      endpoint: moto.endpoint,
      kubernetesVersion: '1.33',
    });
  }, 600_000);

  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('discovers subnets and security groups by tag, AMIs by alias, and creates the instance profile', async () => {
    const nc = (await api.get(Kinds.EC2NodeClass, 'default')) as EC2NodeClass;
    const r = await provider.resolveNodeClass(nc);
    expect(r.problems).toEqual({});
    expect(r.subnets.map((s) => s.id).sort()).toEqual(seeded.subnets.map((s) => s.id).sort());
    expect(r.securityGroups.map((g) => g.id)).toEqual([seeded.securityGroupId]);
    expect(new Map(r.amis.map((a) => [a.arch, a.id]))).toEqual(
      new Map([
        ['amd64', seeded.amis.x86_64],
        ['arm64', seeded.amis.arm64],
      ]),
    );
    const iam = new IAMClient(motoClientConfig(moto.endpoint));
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: r.instanceProfile }));
    iam.destroy();
    expect(profile.InstanceProfile?.Roles?.map((x) => x.RoleName)).toEqual([ROLE]);

    const stored = (await api.get(Kinds.EC2NodeClass, 'default')) as EC2NodeClass;
    expect(stored.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(stored.status?.subnets?.map((s) => s.zone).sort()).toEqual(['us-east-1a', 'us-east-1b']);
    expect(stored.status?.instanceProfile).toBe(r.instanceProfile);
  }, 60_000);

  it('resolves Bottlerocket aliases, subnet ids and security group names too', async () => {
    const nc = testNodeClass(
      {
        role: ROLE,
        amiSelectorTerms: [{ alias: 'bottlerocket@latest' }],
        subnetSelectorTerms: [{ id: seeded.subnets[0]?.id as string }],
        securityGroupSelectorTerms: [{ name: `${CLUSTER}-node` }],
      },
      'bottlerocket',
    );
    const r = await provider.resolveNodeClass(nc);
    expect(r.problems).toEqual({});
    expect(r.subnets.map((s) => s.id)).toEqual([seeded.subnets[0]?.id]);
    expect(r.securityGroups.map((g) => g.id)).toEqual([seeded.securityGroupId]);
    expect(r.amis.map((a) => a.id).sort()).toEqual([seeded.amis.x86_64, seeded.amis.arm64].sort());
  }, 60_000);

  it('lists priced instance types in the subnets zones', async () => {
    const types = await provider.getInstanceTypes(nodePool());
    const m5 = types.find((t) => t.name === 'm5.large');
    expect(m5).toBeDefined();
    expect(new Set(m5?.offerings.map((o) => o.zone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    expect(m5?.offerings.find((o) => o.capacityType === 'on-demand')?.price).toBe(0.096);
    expect(m5?.allocatable.cpu).toBeLessThan(m5?.capacity.cpu as number);
    expect(types.every((t) => t.offerings.every((o) => o.zone !== 'us-east-1c'))).toBe(true);
    // moto's DescribeInstanceTypes: 8192Mi, 3 ENIs × 10 addresses. Less the 7.5% VM overhead (ceil 614.4 = 615Mi).
    expect(m5?.capacity).toMatchObject({ memory: 7577 * MiB, pods: 29 });
    expect(m5?.requirements.get('karpenter.k8s.aws/instance-memory')?.has('8192')).toBe(true);
  }, 60_000);

  it('sizes instance types with VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS from the settings', async () => {
    const settings = loadSettings({
      CLOUD_PROVIDER: 'aws',
      CLUSTER_NAME: CLUSTER,
      AWS_REGION: 'us-east-1',
      CLUSTER_ENDPOINT: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
      CLUSTER_CA_BUNDLE: 'Q0EtQlVORExF',
      AWS_ENDPOINT_URL: moto.endpoint,
      VM_MEMORY_OVERHEAD_PERCENT: '0.1',
      RESERVED_ENIS: '1',
    });
    // As the registry builds it for CLOUD_PROVIDER=aws (its dynamic import of ./aws/index.js does not load under jest).
    const cloud = await createAwsCloudProvider({
      api,
      clock: new RealClock(),
      logger: pino({ level: 'silent' }),
      clusterName: settings.clusterName,
      clusterEndpoint: settings.clusterEndpoint as string,
      clusterCABundle: settings.clusterCABundle as string,
      region: settings.awsRegion as string,
      endpoint: settings.awsEndpoint as string,
      kubernetesVersion: '1.33',
      capacity: capacitySettingsOf(settings),
    });
    const m5 = (await cloud.getInstanceTypes(nodePool())).find((t) => t.name === 'm5.large');
    // 8192 − ceil(819.2); 2 usable ENIs × 9 + 2.
    expect(m5?.capacity).toMatchObject({ memory: 7372 * MiB, pods: 20 });
  }, 60_000);

  let launched: NodeClaim;
  it('launches through CreateFleet with the cluster, nodepool, nodeclaim and Name tags', async () => {
    launched = await provider.create(claim('general-abc12', 'on-demand', ['m5.large']));
    expect(launched.status?.providerID).toMatch(/^aws:\/\/\/us-east-1[ab]\/i-[0-9a-f]+$/);
    expect(launched.metadata.labels).toMatchObject({
      'node.kubernetes.io/instance-type': 'm5.large',
      'karpenter.sh/capacity-type': 'on-demand',
      'karpenter.k8s.aws/instance-family': 'm5',
    });
    const id = launched.status?.providerID?.split('/').pop() as string;
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    expect(instance?.InstanceType).toBe('m5.large');
    const tags = Object.fromEntries((instance?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      [`kubernetes.io/cluster/${CLUSTER}`]: 'owned',
      'karpenter.sh/nodepool': 'general',
      'karpenter.sh/nodeclaim': 'general-abc12',
      'karpenter.k8s.aws/ec2nodeclass': 'default',
      Name: 'general-abc12',
      team: 'platform',
    });
    expect(instance?.ImageId).toBe(seeded.amis.x86_64);

    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'tag:karpenter.sh/nodepool', Values: ['general'] }],
      }),
    );
    const name = templates.LaunchTemplates?.[0]?.LaunchTemplateName as string;
    expect(name).toMatch(/^karpenter\.k8s\.aws\/[0-9a-f]{20}$/);
    const version = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name, Versions: ['$Latest'] }),
    );
    const data = version.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(data?.MetadataOptions?.HttpTokens).toBe('required');
    expect(data?.ImageId).toBe(seeded.amis.x86_64);
    const userData = Buffer.from(data?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain('kind: NodeConfig');
    expect(userData).toContain(`name: ${CLUSTER}`);
    expect(userData).toContain('--register-with-taints=dedicated=ml:NoSchedule');
  }, 60_000);

  it('finds the instance by provider ID and in the cluster list, then terminates it', async () => {
    const providerID = launched.status?.providerID as string;
    const got = await provider.get(providerID);
    expect(got.metadata.name).toBe('general-abc12');
    expect((await provider.list()).map((c) => c.status?.providerID)).toContain(providerID);
    await provider.delete(launched);
    await expect(provider.get(providerID)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    await expect(provider.delete(launched)).rejects.toBeInstanceOf(NodeClaimNotFoundError);
    expect((await provider.list()).map((c) => c.status?.providerID)).not.toContain(providerID);
  }, 60_000);

  it('falls back to on-demand when CreateFleet reports no spot capacity, and skips that offering afterwards', async () => {
    const out = await provider.create(
      withCapacityTypes(claim('general-ice01', 'spot', ['c5.large']), ['spot', 'on-demand']),
    );
    expect(out.metadata.labels?.['karpenter.sh/capacity-type']).toBe('on-demand');
    expect(out.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('c5.large');
    const c5 = (await provider.getInstanceTypes(nodePool())).find((t) => t.name === 'c5.large');
    expect(c5?.offerings.filter((o) => o.capacityType === 'spot').map((o) => o.available)).toEqual([
      false,
      false,
    ]);
    expect(c5?.offerings.filter((o) => o.capacityType === 'on-demand').every((o) => o.available)).toBe(true);
  }, 60_000);

  it('launches a claim once: a retry after a lost answer gets the same instance back', async () => {
    const first = await provider.create(claim('general-again', 'on-demand', ['m5.large']));
    // The controller never heard of it (its status write failed): it asks again, with a new type allowed.
    const again = await provider.create(claim('general-again', 'on-demand', ['m5.large', 't3a.large']));
    expect(again.status?.providerID).toBe(first.status?.providerID);
    expect(again.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('m5.large');
    expect(again.status?.allocatable).toEqual(first.status?.allocatable);
    const out = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:karpenter.sh/nodeclaim', Values: ['general-again'] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    expect(out.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(1);
  }, 60_000);

  it('launches spot with the spot capacity type', async () => {
    const spot = await provider.create(claim('general-spot1', 'spot', ['m5.large', 'c5.large']));
    expect(spot.metadata.labels?.['karpenter.sh/capacity-type']).toBe('spot');
    const id = spot.status?.providerID?.split('/').pop() as string;
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.InstanceLifecycle).toBe('spot');
  }, 60_000);

  it('sends connectionTracking and ipPrefixCount on the template interface, and context on CreateFleet', async () => {
    await api.create(
      Kinds.EC2NodeClass,
      testNodeClass(
        {
          ...nodeClass().spec,
          ipPrefixCount: 2,
          connectionTracking: { tcpEstablishedTimeout: 3600, udpStreamTimeout: 120, udpTimeout: 45 },
          context: 'ctx-moto',
        },
        'tuned',
      ),
    );
    const pool = testNodePool('tuned');
    pool.spec.template.spec.nodeClassRef.name = 'tuned';
    await api.create(Kinds.NodePool, pool);
    const tuned = (name: string, annotations: Record<string, string> = {}): NodeClaim => {
      const c = claim(name, 'on-demand', ['m5.large']);
      c.metadata.labels = { ...c.metadata.labels, 'karpenter.sh/nodepool': 'tuned' };
      c.metadata.annotations = annotations;
      c.spec.nodeClassRef.name = 'tuned';
      return c;
    };
    // moto keeps no fleet Context, so the request the SDK serialised is read on its way out.
    const fleetBodies = recordFleetRequests(provider);
    try {
      await provider.create(tuned('tuned-ct001'));
      await provider.create(tuned('tuned-ct002', { 'karpenter.sh/nodeclaim-min-values-relaxed': 'true' }));
    } finally {
      provider.clients.ec2.middlewareStack.remove(RECORD_FLEET);
    }
    expect(fleetBodies).toHaveLength(2);
    expect(fleetBodies[0]).toContain('Context=ctx-moto');
    expect(fleetBodies[1]).not.toContain('Context=');

    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'tag:karpenter.k8s.aws/ec2nodeclass', Values: ['tuned'] }],
      }),
    );
    expect(templates.LaunchTemplates).toHaveLength(1);
    const version = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateName: templates.LaunchTemplates?.[0]?.LaunchTemplateName as string,
        Versions: ['$Latest'],
      }),
    );
    const data = version.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(data?.SecurityGroupIds ?? []).toEqual([]);
    // No kube-dns Service here, so the cluster counts as IPv4: IPv4 prefixes.
    expect(data?.NetworkInterfaces).toEqual([
      {
        DeviceIndex: 0,
        Ipv4PrefixCount: 2,
        ConnectionTrackingSpecification: {
          TcpEstablishedTimeout: 3600,
          UdpStreamTimeout: 120,
          UdpTimeout: 45,
        },
        Groups: [seeded.securityGroupId],
      },
    ]);
  }, 60_000);

  it('with NodeOverlays, a claim they priced launches the overlaid-cheapest type through a prioritized fleet', async () => {
    // m5.large lists above c5.large; an overlay prices it at a cent, so the scheduler chose it and so must EC2.
    provider.useNodeOverlays((_pool, types) =>
      types.map((it) =>
        it.name === 'm5.large'
          ? { ...it, offerings: it.offerings.map((o) => ({ ...o, price: 0.01, priceOverlaid: true })) }
          : it,
      ),
    );
    const fleetBodies = recordFleetRequests(provider);
    try {
      const priced = claim('general-ovl01', 'on-demand', ['c5.large', 'm5.large']);
      priced.metadata.annotations = { 'karpenter.sh/price-overlay-applied': 'true' };
      const launched = await provider.create(priced);
      expect(launched.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('m5.large');
      const id = launched.status?.providerID?.split('/').pop() as string;
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      expect(out.Reservations?.[0]?.Instances?.[0]?.InstanceType).toBe('m5.large');
      expect(fleetBodies[0]).toContain('OnDemandOptions.AllocationStrategy=prioritized');
    } finally {
      provider.clients.ec2.middlewareStack.remove(RECORD_FLEET);
      provider.useNodeOverlays((_pool, types) => types);
    }
  }, 60_000);

  it('with nestedVirtualization enabled, offers the types moto reports it on and templates CpuOptions', async () => {
    await api.create(
      Kinds.EC2NodeClass,
      testNodeClass({ ...nodeClass().spec, cpuOptions: { nestedVirtualization: 'enabled' } }, 'nested'),
    );
    const pool = testNodePool('nested');
    pool.spec.template.spec.nodeClassRef.name = 'nested';
    await api.create(Kinds.NodePool, pool);
    // moto's DescribeInstanceTypes carries ProcessorInfo.SupportedFeatures (c7i has nested-virtualization, m5 not).
    const names = new Set((await provider.getInstanceTypes(pool)).map((t) => t.name));
    expect(names.has('c7i.large')).toBe(true);
    expect(names.has('m5.large')).toBe(false);
    expect(names.size).toBeLessThan((await provider.getInstanceTypes(nodePool())).length);

    const templateBodies: string[] = [];
    provider.clients.ec2.middlewareStack.add(
      (next) => async (args) => {
        const body = (args.request as { body?: unknown }).body;
        if (typeof body === 'string' && body.includes('Action=CreateLaunchTemplate'))
          templateBodies.push(body);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordCreateLaunchTemplate' },
    );
    const c = claim('nested-nv001', 'on-demand', ['m5.large', 'c7i.large']);
    c.metadata.labels = { ...c.metadata.labels, 'karpenter.sh/nodepool': 'nested' };
    c.spec.nodeClassRef.name = 'nested';
    let out: NodeClaim;
    try {
      out = await provider.create(c);
    } finally {
      provider.clients.ec2.middlewareStack.remove('recordCreateLaunchTemplate');
    }
    expect(out.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('c7i.large');
    // The SDK's own serialisation of the request, and what moto kept of it.
    expect(templateBodies.length).toBeGreaterThan(0);
    expect(
      templateBodies.every((b) => b.includes('LaunchTemplateData.CpuOptions.NestedVirtualization=enabled')),
    ).toBe(true);
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'tag:karpenter.k8s.aws/ec2nodeclass', Values: ['nested'] }],
      }),
    );
    const version = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateName: templates.LaunchTemplates?.[0]?.LaunchTemplateName as string,
        Versions: ['$Latest'],
      }),
    );
    expect(version.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.CpuOptions).toEqual({
      NestedVirtualization: 'enabled',
    });
  }, 60_000);

  it('discovers the endpoint, CA and service CIDR of an EKS cluster with eks:DescribeCluster', async () => {
    const eks = new EKSClient(motoClientConfig(moto.endpoint));
    try {
      await eks.send(
        new CreateClusterCommand({
          name: 'discovered',
          roleArn: 'arn:aws:iam::123456789012:role/eks',
          resourcesVpcConfig: { subnetIds: seeded.subnets.map((s) => s.id) },
          kubernetesNetworkConfig: { serviceIpv4Cidr: '10.96.0.0/12' },
        }),
      );
      const facts = await discoverCluster(eks, { clusterName: 'discovered' }, pino({ level: 'silent' }));
      const described = (await eks.send(new DescribeClusterCommand({ name: 'discovered' }))).cluster;
      expect(facts.endpoint).toBe(described?.endpoint);
      expect(facts.endpoint).toMatch(/^https:\/\//);
      expect(facts.serviceCIDR).toBe('10.96.0.0/12');
      expect(facts.sources).toMatchObject({ endpoint: 'eks', serviceCIDR: 'eks' });
      // A cluster EKS does not know: with no CLUSTER_ENDPOINT either, the error says what to set.
      await expect(discoverCluster(eks, { clusterName: 'nope' }, pino({ level: 'silent' }))).rejects.toThrow(
        /set CLUSTER_ENDPOINT/,
      );
    } finally {
      eks.destroy();
    }
  }, 60_000);
});
