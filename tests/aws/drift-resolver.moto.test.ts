/**
 * The drift preview's default resolver against moto: the controller's own selector resolution (tags, names,
 * aliases through the SSM parameters the harness seeds) and the instances' subnets and security groups, then the
 * preview's verdict on them.
 */
import {
  CreateSecurityGroupCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { amiRequirements } from '../../runtime/cloudprovider/aws/drift';
import { testNodeClass } from '../../runtime/cloudprovider/aws/testing';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../runtime/kube/objects';
import { nodePool } from '../../runtime/scheduling/testing';
import { awsDriftResolver } from '../../provider/drift-preview/aws-resolver';
import { computeDriftPreview, type DriftResolver } from '../../provider/drift-preview';
import {
  MOTO_REGION,
  describeWithMoto,
  motoClientConfig,
  seedMotoForKarpenter,
  startMoto,
  type MotoServer,
  type SeededMoto,
} from '../support/moto';

const CLUSTER = 'drift-preview';
const describeMoto = describeWithMoto('the drift preview resolver tests on moto');

const discovery = { tags: { 'karpenter.sh/discovery': CLUSTER } };

function nodeClass(spec: Partial<EC2NodeClass['spec']> = {}): EC2NodeClass {
  return testNodeClass({
    subnetSelectorTerms: [discovery],
    securityGroupSelectorTerms: [discovery],
    ...spec,
  });
}

describeMoto('drift preview resolver on moto', () => {
  let moto: MotoServer;
  let seeded: SeededMoto;
  let ec2: EC2Client;
  let resolver: DriftResolver;
  let providerID: string;
  let otherGroup: string;

  beforeAll(async () => {
    moto = await startMoto();
    seeded = await seedMotoForKarpenter(moto.endpoint, { clusterName: CLUSTER });
    ec2 = new EC2Client(motoClientConfig(moto.endpoint));
    const subnet = seeded.subnets[0] as { id: string; zone: string };
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: seeded.amis.x86_64,
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet.id,
        SecurityGroupIds: [seeded.securityGroupId],
      }),
    );
    providerID = `aws:///${subnet.zone}/${run.Instances?.[0]?.InstanceId as string}`;
    const other = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'other', Description: 'other', VpcId: seeded.vpcId }),
    );
    otherGroup = other.GroupId as string;
    resolver = awsDriftResolver({ region: MOTO_REGION, endpoint: moto.endpoint, kubernetesVersion: '1.33' });
  }, 600_000);

  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('resolves tags and aliases as the controller does and reads each instance', async () => {
    const gone = `aws:///${MOTO_REGION}a/i-0123456789abcdef0`;
    const facts = await resolver.resolve([nodeClass()], [providerID, gone]);
    const planned = facts.nodeClasses.get('default');
    expect(planned?.subnetIds).toEqual(expect.arrayContaining(seeded.subnets.map((s) => s.id)));
    expect(planned?.subnetIds).toHaveLength(seeded.subnets.length);
    expect(new Set(planned?.zones as string[])).toEqual(new Set(seeded.subnets.map((s) => s.zone)));
    expect(planned?.securityGroupIds).toEqual([seeded.securityGroupId]);
    expect(planned?.amis).toEqual(
      expect.arrayContaining([
        { id: seeded.amis.x86_64, requirements: amiRequirements('amd64') },
        { id: seeded.amis.arm64, requirements: amiRequirements('arm64') },
      ]),
    );
    expect(facts.instances).toEqual(
      new Map([
        [
          providerID,
          {
            imageId: seeded.amis.x86_64,
            subnetId: seeded.subnets[0]?.id,
            securityGroupIds: [seeded.securityGroupId],
          },
        ],
      ]),
    );
  }, 60_000);

  it("leaves aliases unresolved without the cluster's Kubernetes version", async () => {
    const noVersion = awsDriftResolver({ region: MOTO_REGION, endpoint: moto.endpoint });
    const facts = await noVersion.resolve([nodeClass()], []);
    expect(facts.nodeClasses.get('default')?.amis).toEqual({
      unknown: "alias terms need the cluster's Kubernetes version (give the drift preview kubernetesVersion)",
    });
    const byId = await noVersion.resolve([nodeClass({ amiSelectorTerms: [{ id: seeded.amis.arm64 }] })], []);
    expect(byId.nodeClasses.get('default')?.amis).toEqual([
      { id: seeded.amis.arm64, requirements: amiRequirements('arm64') },
    ]);
  }, 60_000);

  describe('the preview on those facts', () => {
    const pool: NodePool = nodePool('general');
    const live = (): NodeClaim[] => [
      {
        apiVersion: 'karpenter.sh/v1',
        kind: 'NodeClaim',
        metadata: {
          name: 'general-1',
          labels: {
            'karpenter.sh/nodepool': 'general',
            'kubernetes.io/arch': 'amd64',
            'node.kubernetes.io/instance-type': 'm5.large',
            'topology.kubernetes.io/zone': seeded.subnets[0]?.zone as string,
          },
        },
        spec: { requirements: [], nodeClassRef: pool.spec.template.spec.nodeClassRef, expireAfter: '720h' },
        status: { providerID, imageID: seeded.amis.x86_64 },
      },
    ];
    const preview = async (planned: EC2NodeClass) => {
      const report = await computeDriftPreview({
        nodePools: [pool],
        nodeClasses: [planned],
        reader: async () => live(),
        dryRun: true,
        previous: undefined,
        now: Date.now(),
        resolver,
      });
      if (report.mode !== 'live') throw new Error(report.reason);
      return report.pools[0];
    };

    it('finds nothing to replace when the plan only adds a subnet', async () => {
      const planned = nodeClass({ subnetSelectorTerms: [discovery, { id: 'subnet-0abc' }] });
      expect(await preview(planned)).toMatchObject({ drifted: [], unknown: [], notChecked: [] });
    }, 60_000);

    it('replaces the node when its security groups change, or its architecture loses its AMI', async () => {
      const groups = await preview(nodeClass({ securityGroupSelectorTerms: [{ id: otherGroup }] }));
      expect(groups?.drifted.map((d) => d.reason)).toEqual(['SecurityGroupDrift']);
      const armOnly = await preview(nodeClass({ amiSelectorTerms: [{ id: seeded.amis.arm64 }] }));
      expect(armOnly?.drifted.map((d) => d.reason)).toEqual(['InstanceTypeNotFound']);
    }, 60_000);

    it('reports an instance it cannot find as not known', async () => {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [providerID.split('/').pop() as string] }));
      const report = await preview(nodeClass());
      expect(report?.unknown.map((u) => u.nodeClaim)).toEqual(['general-1']);
    }, 60_000);
  });
});
