/**
 * KarpenterCluster under mocks: @pulumi/eks's Cluster is a remote component (its children never reach the mocks),
 * so its outputs are mocked and the test asserts what this package builds around it.
 */
import { KarpenterCluster } from '../../provider';
import { CA_DATA, CLUSTER_SG, ENDPOINT, installMocks, ofType, one, reset, settled, valueOf } from './mocks';

// Registering a component's graph under mocks takes seconds on a busy machine.
jest.setTimeout(60_000);

beforeAll(() => installMocks());
beforeEach(reset);

async function cluster(
  args: ConstructorParameters<typeof KarpenterCluster>[1] = {},
): Promise<KarpenterCluster> {
  const c = new KarpenterCluster('demo', { image: 'example.com/karpenter-ts:1', ...args });
  await valueOf(c.urn);
  await valueOf(c.install.urn);
  await settled();
  return c;
}

describe('KarpenterCluster', () => {
  it('creates an API-authenticated EKS cluster without a default node group in a new three-zone VPC', async () => {
    const c = await cluster();
    const eks = one('eks:index:Cluster').inputs;
    expect(eks).toMatchObject({ name: 'demo', authenticationMode: 'API', skipDefaultNodeGroup: true });
    const privateSubnets = ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.startsWith('demo-private-'));
    const publicSubnets = ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.startsWith('demo-public-'));
    expect(privateSubnets).toHaveLength(3);
    expect(publicSubnets).toHaveLength(3);
    expect(privateSubnets.map((s) => s.inputs.availabilityZone)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
    ]);
    for (const s of privateSubnets) {
      expect(s.inputs.tags).toMatchObject({
        'karpenter.sh/discovery': 'demo',
        'kubernetes.io/role/internal-elb': '1',
      });
    }
    for (const s of publicSubnets) expect(s.inputs.tags['karpenter.sh/discovery']).toBeUndefined();
    expect(eks.privateSubnetIds).toHaveLength(3);
    expect(await valueOf(c.endpoint)).toBe(ENDPOINT);
  });

  it('tags the EKS cluster security group for discovery and adds the Pod Identity agent and a system node group', async () => {
    await cluster();
    expect(one('aws:ec2/tag:Tag', 'demo-discovery-sg').inputs).toEqual({
      resourceId: CLUSTER_SG,
      key: 'karpenter.sh/discovery',
      value: 'demo',
    });
    expect(one('aws:eks/addon:Addon').inputs).toMatchObject({
      clusterName: 'demo',
      addonName: 'eks-pod-identity-agent',
    });
    expect(one('aws:eks/nodeGroup:NodeGroup').inputs).toMatchObject({
      clusterName: 'demo',
      scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 3 },
      labels: { 'karpenter-ts/system': 'true' },
    });
  });

  it('installs karpenter-ts as a child, with the endpoint and CA from the cluster and the controller on system nodes', async () => {
    const c = await cluster();
    expect(await valueOf(c.install.urn)).toContain(
      'karpenter-ts:index:KarpenterCluster$karpenter-ts:index:KarpenterInstall::demo',
    );
    const pod = one('kubernetes:apps/v1:Deployment').inputs.spec.template.spec;
    const env = Object.fromEntries(
      pod.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      CLUSTER_NAME: 'demo',
      CLUSTER_ENDPOINT: ENDPOINT,
      CLUSTER_CA_BUNDLE: CA_DATA,
    });
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'karpenter-ts/system': 'true' });
    expect(one('aws:eks/podIdentityAssociation:PodIdentityAssociation').inputs.clusterName).toBe('demo');
    expect(one('aws:eks/accessEntry:AccessEntry').inputs).toMatchObject({
      clusterName: 'demo',
      type: 'EC2_LINUX',
    });
  });

  it('tags the subnets of a given VPC instead of creating one, and wires IRSA to the OIDC provider', async () => {
    await cluster({
      vpc: {
        vpcId: 'vpc-1',
        publicSubnetIds: ['subnet-p1', 'subnet-p2'],
        privateSubnetIds: ['subnet-a', 'subnet-b'],
      },
      identity: { kind: 'irsa', oidcProviderArn: 'ignored', oidcProviderUrl: 'ignored' },
    });
    expect(ofType('aws:ec2/vpc:Vpc')).toHaveLength(0);
    expect(one('eks:index:Cluster').inputs).toMatchObject({ vpcId: 'vpc-1', createOidcProvider: true });
    const subnetTags = ofType('aws:ec2/tag:Tag')
      .filter((t) => t.inputs.resourceId.startsWith('subnet-'))
      .map((t) => t.inputs.resourceId);
    expect(subnetTags).toEqual(['subnet-a', 'subnet-b']);
    const trust = JSON.parse(one('aws:iam/role:Role', 'demo-controller').inputs.assumeRolePolicy);
    expect(trust.Statement[0].Principal.Federated).toMatch(
      /:oidc-provider\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/ABC$/,
    );
    expect(Object.keys(trust.Statement[0].Condition.StringEquals)).toContain(
      'oidc.eks.us-east-1.amazonaws.com/id/ABC:sub',
    );
  });

  it('rejects an impossible system node group before registering anything', () => {
    expect(() => new KarpenterCluster('bad', { systemNodeGroup: { minSize: 3, desiredSize: 2 } })).toThrow(
      /systemNodeGroup needs 1 <= minSize <= desiredSize <= maxSize \(got 3, 2, 3\)/,
    );
  });
});
