/**
 * EC2NodeClass networkInterfaces and EFA on moto: the types offered (moto's DescribeInstanceTypes carries
 * NetworkCards, EnaSupport and EfaInfo as EC2 reports them), and the launch templates' NetworkInterfaces as EC2 stored
 * them, for a node class's own interfaces and for a claim requesting vpc.amazonaws.com/efa.
 */
import {
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import pino from 'pino';
import type { NetworkInterface } from '../../sdk/api/ec2nodeclass';
import { RealClock } from '../../runtime/clock/clock';
import { createAwsCloudProvider, type AwsCloudProvider } from '../../runtime/cloudprovider/aws';
import { testNodeClass } from '../../runtime/cloudprovider/aws/testing';
import { Kinds } from '../../runtime/kube/kinds';
import { MemoryApiServer } from '../../runtime/kube/memory/memory-api-server';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import { nodePool as testNodePool } from '../../runtime/scheduling/testing';
import {
  describeWithMoto,
  motoClientConfig,
  seedMotoForKarpenter,
  startMoto,
  type MotoServer,
  type SeededMoto,
} from '../support/moto';

const CLUSTER = 'moto-efa';
const ROLE = 'KarpenterNodeRole-moto-efa';
const EFA = 'vpc.amazonaws.com/efa';
const describeMoto = describeWithMoto('the network interface tests on moto');

const discovery = [{ tags: { 'karpenter.sh/discovery': CLUSTER } }];
const INTERFACES: NetworkInterface[] = [
  { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' },
  { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' },
];

function pool(name: string): NodePool {
  const p = testNodePool(name);
  p.spec.template.spec.nodeClassRef.name = name;
  return p;
}

function claim(name: string, poolName: string, type: string, requests: Record<string, string>): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, uid: `uid-${name}`, labels: { 'karpenter.sh/nodepool': poolName } },
    spec: {
      requirements: [
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [type] },
      ],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: poolName },
      resources: { requests },
      expireAfter: '720h',
    },
  } as NodeClaim;
}

describeMoto('networkInterfaces and EFA on moto', () => {
  let moto: MotoServer;
  let seeded: SeededMoto;
  let api: MemoryApiServer;
  let provider: AwsCloudProvider;
  let ec2: EC2Client;

  /** The interfaces and top-level groups of each template EC2 holds for the node class, as it stored them. */
  async function storedInterfaces(nodeClassName: string) {
    const templates = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        Filters: [{ Name: 'tag:karpenter.k8s.aws/ec2nodeclass', Values: [nodeClassName] }],
      }),
    );
    const all = await Promise.all(
      (templates.LaunchTemplates ?? []).map(async (t) => {
        const v = await ec2.send(
          new DescribeLaunchTemplateVersionsCommand({
            LaunchTemplateName: t.LaunchTemplateName as string,
            Versions: ['$Latest'],
          }),
        );
        return v.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
      }),
    );
    return all.map((d) => ({ interfaces: d?.NetworkInterfaces ?? [], groups: d?.SecurityGroupIds ?? [] }));
  }

  beforeAll(async () => {
    moto = await startMoto();
    seeded = await seedMotoForKarpenter(moto.endpoint, { clusterName: CLUSTER, nodeRoleName: ROLE });
    const clock = new RealClock();
    api = new MemoryApiServer({ clock });
    const spec = { role: ROLE, subnetSelectorTerms: discovery, securityGroupSelectorTerms: discovery };
    await api.create(Kinds.EC2NodeClass, testNodeClass(spec, 'plain'));
    await api.create(Kinds.EC2NodeClass, testNodeClass({ ...spec, networkInterfaces: INTERFACES }, 'nics'));
    await api.create(Kinds.NodePool, pool('plain'));
    await api.create(Kinds.NodePool, pool('nics'));
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
    for (const name of ['plain', 'nics'])
      await provider.resolveNodeClass((await api.get(Kinds.EC2NodeClass, name)) as EC2NodeClass);
  }, 600_000);

  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it("offers types by moto's network cards and EFA devices, with EFA capacity and pods to match", async () => {
    const plain = await provider.getInstanceTypes(pool('plain'));
    const nics = await provider.getInstanceTypes(pool('nics'));
    const g5 = (types: typeof plain) => types.find((t) => t.name === 'g5.8xlarge');
    // g5.8xlarge: one card of 8 ENIs with 30 addresses, one EFA device; m5.large has no EfaInfo.
    expect(g5(plain)?.capacity).toMatchObject({ [EFA]: 1, pods: 8 * 29 + 2 });
    expect(plain.find((t) => t.name === 'm5.large')?.capacity).not.toHaveProperty(EFA);
    // With an efa-only interface on card 0: that ENI carries no pods.
    expect(g5(nics)?.capacity).toMatchObject({ [EFA]: 1, pods: 7 * 29 + 2 });
    const offered = new Set(nics.map((t) => t.name));
    expect(offered.has('m5.large')).toBe(false);
    expect(offered.has('c6i.32xlarge')).toBe(true);
    expect(nics.every((t) => (t.capacity[EFA] ?? 0) >= 1)).toBe(true);
    expect(nics.length).toBeLessThan(plain.length);
  }, 60_000);

  it("launches with the node class's interfaces, as EC2 stores them in the template", async () => {
    const launched = await provider.create(claim('nics-a', 'nics', 'g5.8xlarge', { cpu: '1' }));
    expect(launched.status?.capacity?.[EFA]).toBe('1');
    expect(launched.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('g5.8xlarge');
    expect(await storedInterfaces('nics')).toEqual([
      {
        interfaces: [
          {
            NetworkCardIndex: 0,
            DeviceIndex: 0,
            InterfaceType: 'interface',
            Groups: [seeded.securityGroupId],
          },
          {
            NetworkCardIndex: 0,
            DeviceIndex: 1,
            InterfaceType: 'efa-only',
            Groups: [seeded.securityGroupId],
          },
        ],
        groups: [],
      },
    ]);
  }, 60_000);

  it('attaches the EFA devices for a claim requesting them, and none for one that does not', async () => {
    const plain = await provider.create(claim('plain-a', 'plain', 'g5.8xlarge', { cpu: '1' }));
    expect(plain.status?.capacity).not.toHaveProperty(EFA);
    const asking = await provider.create(claim('plain-b', 'plain', 'g5.8xlarge', { cpu: '1', [EFA]: '1' }));
    expect(asking.status?.capacity?.[EFA]).toBe('1');
    expect(asking.status?.allocatable?.[EFA]).toBe('1');
    const stored = await storedInterfaces('plain');
    expect(stored).toHaveLength(2);
    expect(stored).toEqual(
      expect.arrayContaining([
        { interfaces: [], groups: [seeded.securityGroupId] },
        {
          interfaces: [
            { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: 'efa', Groups: [seeded.securityGroupId] },
          ],
          groups: [],
        },
      ]),
    );
  }, 60_000);
});
