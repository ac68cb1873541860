/**
 * KarpenterInstall with `existingAws`: the cluster half only, on AWS resources made elsewhere. Under mocks: no AWS
 * resource registered and no AWS invoke made, the given names wired into the controller, the service account and
 * the default node class; the combinations that would create or shape AWS resources refused at construction.
 */
import * as k8s from '@pulumi/kubernetes';
import { KarpenterInstall, type KarpenterInstallArgs } from '../../provider';
import { existingAwsProblems, type ExistingAwsResources } from '../../provider/install/aws-side';
import { ENDPOINT, installMocks, invoked, one, registered, reset, settled, valueOf } from './mocks';

const CLUSTER = 'workshop';
const ACCOUNT = '210987654321';
const existing: ExistingAwsResources = {
  nodeRoleName: 'infra-managed-node-role',
  controllerRoleArn: `arn:aws-cn:iam::${ACCOUNT}:role/infra-managed-controller`,
  interruptionQueueName: 'infra-managed-queue',
  region: 'cn-north-1',
  partition: 'aws-cn',
  accountId: ACCOUNT,
};

jest.setTimeout(60_000);

beforeAll(() => installMocks());
beforeEach(reset);

function args(extra: Partial<KarpenterInstallArgs> = {}): KarpenterInstallArgs {
  return {
    clusterName: CLUSTER,
    clusterEndpoint: ENDPOINT,
    kubernetesProvider: new k8s.Provider('k8s', { kubeconfig: '{}' }),
    image: 'example.com/karpenter-ts:1.0.0',
    existingAws: existing,
    ...extra,
  };
}

async function install(extra: Partial<KarpenterInstallArgs> = {}): Promise<KarpenterInstall> {
  const component = new KarpenterInstall('kts', args(extra));
  await valueOf(component.urn);
  await settled();
  return component;
}

function envOf(deployment: Record<string, unknown>): Record<string, unknown> {
  const spec = deployment.spec as {
    template: { spec: { containers: { env: { name: string; value?: unknown }[] }[] } };
  };
  return Object.fromEntries(spec.template.spec.containers[0].env.map((e) => [e.name, e.value]));
}

describe('KarpenterInstall with existingAws', () => {
  it('registers only Kubernetes resources and invokes nothing on AWS', async () => {
    await install({ defaultNodePool: true });
    const types = [...new Set(registered.map((r) => r.type))];
    expect(types.filter((t) => /^(aws|eks|docker-build):/.test(t))).toEqual([]);
    expect(types).toContain('kubernetes:apps/v1:Deployment');
    expect(types).toContain('kubernetes:karpenter.sh/v1:NodePool');
    expect(invoked.filter((i) => i.token.startsWith('aws:'))).toEqual([]);
  });

  it('wires the given names into the controller, the default node class and the outputs', async () => {
    const component = await install({ defaultNodePool: true });
    const env = envOf(one('kubernetes:apps/v1:Deployment').inputs);
    expect(env).toMatchObject({ AWS_REGION: 'cn-north-1', INTERRUPTION_QUEUE: 'infra-managed-queue' });
    expect(one('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass').inputs.spec.role).toBe(
      'infra-managed-node-role',
    );
    // Pod Identity (the default): the service account carries no role annotation.
    expect(one('kubernetes:core/v1:ServiceAccount').inputs.metadata.annotations ?? {}).toEqual({});
    expect(await valueOf(component.nodeRoleArn)).toBe(
      `arn:aws-cn:iam::${ACCOUNT}:role/infra-managed-node-role`,
    );
    expect(await valueOf(component.controllerRoleArn)).toBe(existing.controllerRoleArn);
    expect(await valueOf(component.interruptionQueueName)).toBe('infra-managed-queue');
    expect(await valueOf(component.instanceProfileName)).toBeUndefined();
  });

  it('annotates the service account with the role for IRSA, and sets no queue when none is given', async () => {
    await install({ existingAws: { ...existing, interruptionQueueName: undefined, identity: 'irsa' } });
    expect(one('kubernetes:core/v1:ServiceAccount').inputs.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': existing.controllerRoleArn,
    });
    expect(Object.keys(envOf(one('kubernetes:apps/v1:Deployment').inputs))).not.toContain(
      'INTERRUPTION_QUEUE',
    );
  });

  it('refuses, before registering anything, every argument that would create or shape AWS resources', () => {
    expect(
      () =>
        new KarpenterInstall(
          'mixed',
          args({
            image: undefined,
            nodeRoleName: 'x',
            identity: { kind: 'podIdentity', installAgent: true },
            interruptionQueue: true,
            discoverySubnetIds: ['subnet-1'],
            tags: { team: 'infra' },
          }),
        ),
    ).toThrow(
      new RegExp(
        [
          'nodeRoleName: not used with existingAws.*use existingAws.nodeRoleName',
          'identity: not used with existingAws.*existingAws.identity',
          'interruptionQueue: not used with existingAws',
          'discoverySubnetIds: not used with existingAws.*tag the subnets',
          'tags: not used with existingAws',
          'image: required with existingAws.*give a pushed image',
        ].join('[^]*'),
      ),
    );
    expect(registered.filter((r) => r.name.startsWith('mixed'))).toHaveLength(0);
  });

  it('checks the given ARN, account and names against each other', () => {
    const problems = (given: Partial<ExistingAwsResources>) =>
      existingAwsProblems(args({ existingAws: { ...existing, ...given } as ExistingAwsResources }));
    expect(problems({})).toEqual([]);
    expect(problems({ accountId: '1234' })).toEqual([
      'existingAws.accountId: "1234" is not a 12-digit AWS account id',
    ]);
    expect(problems({ partition: 'aws' })).toEqual([
      expect.stringMatching(
        /^existingAws.controllerRoleArn: partition "aws-cn" differs from existingAws.partition "aws"/,
      ),
    ]);
    expect(problems({ accountId: '111111111111' })).toEqual([
      expect.stringMatching(
        /^existingAws.controllerRoleArn: account 210987654321 differs from existingAws.accountId/,
      ),
    ]);
    expect(problems({ controllerRoleArn: 'infra-managed-controller' })).toEqual([
      expect.stringMatching(
        /^existingAws.controllerRoleArn: "infra-managed-controller" is not an IAM role ARN/,
      ),
    ]);
    expect(problems({ nodeRoleName: 'n'.repeat(65) })).toEqual([
      expect.stringMatching(/^existingAws.nodeRoleName: .* is 65 characters; AWS allows at most 64/),
    ]);
    expect(problems({ region: '' })).toEqual([expect.stringMatching(/^existingAws.region: required/)]);
    expect(problems({ identity: 'oidc' as 'irsa' })).toEqual([
      'existingAws.identity: "oidc" is not "podIdentity" or "irsa"',
    ]);
  });

  it('leaves the created AWS side unchanged without it', async () => {
    await install({ existingAws: undefined });
    expect(registered.some((r) => r.type === 'aws:iam/role:Role')).toBe(true);
    expect(invoked.some((i) => i.token === 'aws:index/getCallerIdentity:getCallerIdentity')).toBe(true);
  });
});
