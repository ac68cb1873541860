/**
 * KarpenterInstall's resource graph under Pulumi mocks: IAM statements and conditions, trust policies, the Pod
 * Identity association, the node role and access entry, the queue and its rules, CRDs and the controller objects.
 */
import * as k8s from '@pulumi/kubernetes';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { KarpenterInstall, type KarpenterInstallArgs } from '../../provider';
import {
  ACCOUNT,
  CA_DATA,
  ENDPOINT,
  REGION,
  installMocks,
  isSecret,
  unsecret,
  one,
  ofType,
  registered,
  reset,
  settled,
  valueOf,
} from './mocks';
import * as pulumi from '@pulumi/pulumi';
import { fitName } from '../../provider/iam/names';
import { defaultNodeClassArgs } from '../../provider/install/defaults';
import { EC2NodeClass, NodePool, type EC2NodeClassArgs, type NodePoolArgs } from '../../sdk/pulumi';
import { loadSettings } from '../../runtime/settings';

const CLUSTER = 'developers-workshop';
const ROOT = join(__dirname, '..', '..');
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

// Registering a component's graph under mocks takes seconds on a busy machine.
jest.setTimeout(60_000);

beforeAll(() => installMocks());
beforeEach(reset);

function provider(): k8s.Provider {
  return new k8s.Provider('k8s', { kubeconfig: '{}' });
}

async function install(extra: Partial<KarpenterInstallArgs> = {}): Promise<KarpenterInstall> {
  const component = new KarpenterInstall('kts', {
    clusterName: CLUSTER,
    clusterEndpoint: ENDPOINT,
    clusterCertificateAuthority: CA_DATA,
    kubernetesProvider: provider(),
    image: 'example.com/karpenter-ts:1.0.0',
    ...extra,
  });
  await valueOf(component.urn);
  await settled();
  return component;
}

/** Every statement of every controller policy, by Sid. */
function controllerStatements(): Map<string, Statement> {
  const statements = new Map<string, Statement>();
  for (const policy of ofType('aws:iam/policy:Policy')) {
    for (const s of JSON.parse(policy.inputs.policy).Statement as Statement[]) {
      expect(statements.has(s.Sid ?? '')).toBe(false);
      statements.set(s.Sid ?? '', s);
    }
  }
  return statements;
}

const ec2 = (resource: string, account = '*') => `arn:aws:ec2:${REGION}:${account}:${resource}`;
const clusterTag = `kubernetes.io/cluster/${CLUSTER}`;

describe('controller IAM', () => {
  it('grants exactly the upstream-scoped statements, each with its condition', async () => {
    await install();
    const s = controllerStatements();
    expect([...s.keys()].sort()).toEqual(
      [
        'AllowScopedEC2InstanceAccessActions',
        'AllowScopedEC2LaunchTemplateAccessActions',
        'AllowScopedEC2InstanceActionsWithTags',
        'AllowScopedResourceCreationTagging',
        'AllowScopedResourceTagging',
        'AllowScopedDeletion',
        'AllowRegionalReadActions',
        'AllowSSMReadActions',
        'AllowPricingReadActions',
        'AllowPassingInstanceRole',
        'AllowScopedInstanceProfileCreationActions',
        'AllowScopedInstanceProfileTagActions',
        'AllowScopedInstanceProfileActions',
        'AllowInstanceProfileReadActions',
        'AllowUnscopedInstanceProfileListAction',
        'AllowAPIServerEndpointDiscovery',
        'AllowZonalShiftStatusReadOnly',
        'AllowInterruptionQueueActions',
      ].sort(),
    );
    for (const statement of s.values()) expect(statement.Effect).toBe('Allow');

    expect(s.get('AllowScopedEC2InstanceAccessActions')).toEqual({
      Sid: 'AllowScopedEC2InstanceAccessActions',
      Effect: 'Allow',
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      Resource: [
        `arn:aws:ec2:${REGION}::image/*`,
        `arn:aws:ec2:${REGION}::snapshot/*`,
        ec2('security-group/*'),
        ec2('subnet/*'),
        ec2('capacity-reservation/*'),
        ec2('placement-group/*'),
      ],
    });
    expect(s.get('AllowScopedEC2LaunchTemplateAccessActions')).toMatchObject({
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      Resource: ec2('launch-template/*'),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
      },
    });
    const created = [
      'fleet/*',
      'instance/*',
      'volume/*',
      'network-interface/*',
      'launch-template/*',
      'spot-instances-request/*',
    ].map((r) => ec2(r));
    expect(s.get('AllowScopedEC2InstanceActionsWithTags')).toMatchObject({
      Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      Resource: created,
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${clusterTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': CLUSTER,
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    });
    expect(s.get('AllowScopedResourceCreationTagging')).toMatchObject({
      Action: 'ec2:CreateTags',
      Resource: created,
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${clusterTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': CLUSTER,
          'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
        },
        StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
      },
    });
    expect(s.get('AllowScopedResourceTagging')).toMatchObject({
      Action: 'ec2:CreateTags',
      Resource: ec2('instance/*'),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        StringEqualsIfExists: { 'aws:RequestTag/eks:eks-cluster-name': CLUSTER },
        'ForAllValues:StringEquals': {
          'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'],
        },
      },
    });
    expect(s.get('AllowScopedDeletion')).toMatchObject({
      Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      Resource: [ec2('instance/*'), ec2('launch-template/*')],
      Condition: {
        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned' },
        StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
      },
    });
    expect(s.get('AllowRegionalReadActions')).toMatchObject({
      Resource: '*',
      Action: [
        // Not in upstream's list: zonal shift names zones by ID, and this maps them to names.
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribePlacementGroups',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
      ],
      Condition: { StringEquals: { 'aws:RequestedRegion': REGION } },
    });
    expect(s.get('AllowSSMReadActions')).toMatchObject({
      Action: 'ssm:GetParameter',
      Resource: `arn:aws:ssm:${REGION}::parameter/aws/service/*`,
    });
    expect(s.get('AllowPricingReadActions')).toMatchObject({ Action: 'pricing:GetProducts', Resource: '*' });
    expect(s.get('AllowPassingInstanceRole')).toEqual({
      Sid: 'AllowPassingInstanceRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: `arn:aws:iam::${ACCOUNT}:role/KarpenterNodeRole-${CLUSTER}`,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
    const profiles = `arn:aws:iam::${ACCOUNT}:instance-profile/*`;
    expect(s.get('AllowScopedInstanceProfileCreationActions')).toMatchObject({
      Action: ['iam:CreateInstanceProfile'],
      Resource: profiles,
      Condition: {
        StringEquals: {
          [`aws:RequestTag/${clusterTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': CLUSTER,
          'aws:RequestTag/topology.kubernetes.io/region': REGION,
        },
        StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    });
    expect(s.get('AllowScopedInstanceProfileTagActions')).toMatchObject({
      Action: ['iam:TagInstanceProfile'],
      Resource: profiles,
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${clusterTag}`]: 'owned',
          'aws:ResourceTag/topology.kubernetes.io/region': REGION,
          [`aws:RequestTag/${clusterTag}`]: 'owned',
          'aws:RequestTag/eks:eks-cluster-name': CLUSTER,
          'aws:RequestTag/topology.kubernetes.io/region': REGION,
        },
        StringLike: {
          'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*',
          'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*',
        },
      },
    });
    expect(s.get('AllowScopedInstanceProfileActions')).toMatchObject({
      Action: [
        'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:DeleteInstanceProfile',
      ],
      Resource: profiles,
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${clusterTag}`]: 'owned',
          'aws:ResourceTag/topology.kubernetes.io/region': REGION,
        },
        StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    });
    expect(s.get('AllowInstanceProfileReadActions')).toMatchObject({
      Action: 'iam:GetInstanceProfile',
      Resource: profiles,
    });
    expect(s.get('AllowUnscopedInstanceProfileListAction')).toMatchObject({
      Action: 'iam:ListInstanceProfiles',
      Resource: '*',
    });
    expect(s.get('AllowAPIServerEndpointDiscovery')).toMatchObject({
      Action: 'eks:DescribeCluster',
      Resource: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    });
    // Upstream grants it whatever ENABLE_ZONAL_SHIFT says, scoped to this cluster's ARN.
    expect(s.get('AllowZonalShiftStatusReadOnly')).toMatchObject({
      Action: 'arc-zonal-shift:GetManagedResource',
      Condition: {
        StringEquals: {
          'arc-zonal-shift:ResourceIdentifier': `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
        },
      },
    });
    expect(s.get('AllowInterruptionQueueActions')).toMatchObject({
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:${CLUSTER}`,
    });
    // Only the conditionless statements above are unconditioned; nothing else is open.
    const unconditioned = [...s.values()].filter((x) => !x.Condition).map((x) => x.Sid);
    expect(unconditioned.sort()).toEqual(
      [
        'AllowScopedEC2InstanceAccessActions',
        'AllowSSMReadActions',
        'AllowPricingReadActions',
        'AllowInstanceProfileReadActions',
        'AllowUnscopedInstanceProfileListAction',
        'AllowAPIServerEndpointDiscovery',
        'AllowInterruptionQueueActions',
      ].sort(),
    );
  });

  it('keeps every managed policy within IAM size limits and attaches each to the controller role', async () => {
    await install();
    const policies = ofType('aws:iam/policy:Policy');
    expect(policies).toHaveLength(6);
    for (const p of policies) expect(p.inputs.policy.length).toBeLessThanOrEqual(6144);
    const attachments = ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) =>
      a.name.startsWith('kts-controller-'),
    );
    expect(attachments).toHaveLength(6);
    for (const a of attachments) expect(a.inputs.role).toBe(`KarpenterControllerRole-${CLUSTER}`);
  });

  it('trusts EKS Pod Identity and associates the role with the service account', async () => {
    await install();
    const role = one('aws:iam/role:Role', 'kts-controller');
    expect(JSON.parse(role.inputs.assumeRolePolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowEksPodIdentity',
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        },
      ],
    });
    expect(one('aws:eks/podIdentityAssociation:PodIdentityAssociation').inputs).toMatchObject({
      clusterName: CLUSTER,
      namespace: 'karpenter',
      serviceAccount: 'karpenter',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/KarpenterControllerRole-${CLUSTER}`,
    });
    // The agent add-on only when asked: an existing cluster may have it, and EKS refuses a second.
    expect(ofType('aws:eks/addon:Addon')).toHaveLength(0);
  });

  it('installs the Pod Identity agent add-on when asked', async () => {
    await install({ identity: { kind: 'podIdentity', installAgent: true } });
    expect(one('aws:eks/addon:Addon').inputs).toMatchObject({
      clusterName: CLUSTER,
      addonName: 'eks-pod-identity-agent',
    });
  });

  it('with IRSA trusts only the service account through the OIDC provider and annotates it', async () => {
    const issuer = 'oidc.eks.us-east-1.amazonaws.com/id/XYZ';
    await install({
      identity: {
        kind: 'irsa',
        oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}`,
        oidcProviderUrl: `https://${issuer}`,
      },
    });
    const trust = JSON.parse(one('aws:iam/role:Role', 'kts-controller').inputs.assumeRolePolicy);
    expect(trust.Statement).toEqual([
      {
        Sid: 'AllowServiceAccountWebIdentity',
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: 'system:serviceaccount:karpenter:karpenter',
            [`${issuer}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ]);
    expect(ofType('aws:eks/podIdentityAssociation:PodIdentityAssociation')).toHaveLength(0);
    expect(one('kubernetes:core/v1:ServiceAccount').inputs.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': `arn:aws:iam::${ACCOUNT}:role/KarpenterControllerRole-${CLUSTER}`,
    });
  });
});

describe('node role', () => {
  it('is trusted by EC2, has the four managed policies, an instance profile and an EC2_LINUX access entry', async () => {
    await install();
    const role = one('aws:iam/role:Role', 'kts-node');
    expect(role.inputs.name).toBe(`KarpenterNodeRole-${CLUSTER}`);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const attached = ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment')
      .filter((a) => a.inputs.role === `KarpenterNodeRole-${CLUSTER}`)
      .map((a) => a.inputs.policyArn)
      .sort();
    expect(attached).toEqual(
      [
        'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
        'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
        'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly',
        'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      ].sort(),
    );
    expect(one('aws:iam/instanceProfile:InstanceProfile').inputs.role).toBe(`KarpenterNodeRole-${CLUSTER}`);
    expect(one('aws:eks/accessEntry:AccessEntry').inputs).toMatchObject({
      clusterName: CLUSTER,
      principalArn: `arn:aws:iam::${ACCOUNT}:role/KarpenterNodeRole-${CLUSTER}`,
      type: 'EC2_LINUX',
    });
  });
});

describe('names AWS limits', () => {
  it('fits every name derived from a 100-character cluster name, the same way each time', async () => {
    const long = `team-${'x'.repeat(90)}-prod`;
    await install({ clusterName: long });
    const names = [
      ...ofType('aws:iam/role:Role').map((r) => [r.inputs.name as string, 64] as const),
      ...ofType('aws:iam/policy:Policy').map((p) => [p.inputs.name as string, 128] as const),
      ...ofType('aws:sqs/queue:Queue').map((q) => [q.inputs.name as string, 80] as const),
    ];
    expect(names).toHaveLength(2 + 6 + 1);
    for (const [name, max] of names) {
      expect(name.length).toBeLessThanOrEqual(max);
      expect(name).toMatch(/^[\w+=,.@-]+-[0-9a-f]{8}$/);
    }
    expect(one('aws:iam/role:Role', 'kts-node').inputs.name).toBe(fitName(`KarpenterNodeRole-${long}`, 64));
    // Unique per cluster, though the cut-off prefixes are the same.
    expect(fitName(`KarpenterNodeRole-${long}`, 64)).not.toBe(fitName(`KarpenterNodeRole-${long}2`, 64));
    // Short names are left as upstream spells them.
    expect(fitName(`KarpenterNodeRole-${CLUSTER}`, 64)).toBe(`KarpenterNodeRole-${CLUSTER}`);
  });

  it('refuses a given role or queue name AWS would refuse, before registering anything', () => {
    expect(
      () =>
        new KarpenterInstall('long', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          image: 'x',
          nodeRoleName: 'r'.repeat(65),
          interruptionQueueName: 'q'.repeat(81),
        }),
    ).toThrow(
      /- nodeRoleName: "r{65}" is 65 characters; AWS allows at most 64: .*\n {2}- interruptionQueueName: "q{81}" is 81 characters; AWS allows at most 80/,
    );
    expect(registered.filter((r) => r.name.startsWith('long'))).toHaveLength(0);
  });
});

describe('interruption queue', () => {
  it('keeps messages 300 s with SQS-managed SSE, accepts only EventBridge/SQS senders, and denies plain HTTP', async () => {
    await install();
    const queue = one('aws:sqs/queue:Queue');
    expect(queue.inputs).toMatchObject({
      name: CLUSTER,
      messageRetentionSeconds: 300,
      sqsManagedSseEnabled: true,
    });
    const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${CLUSTER}`;
    const policy = one('aws:sqs/queuePolicy:QueuePolicy');
    expect(policy.inputs.queueUrl).toBe(`https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${CLUSTER}`);
    expect(JSON.parse(policy.inputs.policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EC2InterruptionPolicy',
          Effect: 'Allow',
          Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] },
          Action: 'sqs:SendMessage',
          Resource: arn,
        },
        {
          Sid: 'DenyHTTP',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:*',
          Resource: arn,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  it('routes the five event kinds with their exact source and detail-type strings to the queue', async () => {
    await install();
    const patterns = ofType('aws:cloudwatch/eventRule:EventRule').map((r) =>
      JSON.parse(r.inputs.eventPattern),
    );
    expect(patterns).toEqual(
      expect.arrayContaining([
        { source: ['aws.health'], 'detail-type': ['AWS Health Event'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
        { source: ['aws.ec2'], 'detail-type': ['EC2 Capacity Reservation Instance Interruption Warning'] },
      ]),
    );
    expect(patterns).toHaveLength(5);
    const targets = ofType('aws:cloudwatch/eventTarget:EventTarget');
    expect(targets).toHaveLength(5);
    for (const t of targets) expect(t.inputs.arn).toBe(`arn:aws:sqs:${REGION}:${ACCOUNT}:${CLUSTER}`);
  });

  it('can be turned off, which also drops the SQS statement and the env var', async () => {
    await install({ interruptionQueue: false });
    expect(ofType('aws:sqs/queue:Queue')).toHaveLength(0);
    expect(ofType('aws:cloudwatch/eventRule:EventRule')).toHaveLength(0);
    expect(controllerStatements().has('AllowInterruptionQueueActions')).toBe(false);
    const env = one('kubernetes:apps/v1:Deployment').inputs.spec.template.spec.containers[0].env;
    expect(env.map((e: { name: string }) => e.name)).not.toContain('INTERRUPTION_QUEUE');
  });
});

describe('in the cluster', () => {
  it('installs the five generated CRDs', async () => {
    await install();
    const names = ofType('kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition').map(
      (r) => r.inputs.metadata.name,
    );
    expect(names.sort()).toEqual([
      'capacitybuffers.autoscaling.x-k8s.io',
      'ec2nodeclasses.karpenter.k8s.aws',
      'nodeclaims.karpenter.sh',
      'nodeoverlays.karpenter.sh',
      'nodepools.karpenter.sh',
    ]);
    const nodePools = ofType('kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition').find(
      (r) => r.inputs.metadata.name === 'nodepools.karpenter.sh',
    );
    expect(nodePools?.inputs.spec.versions[0].schema.openAPIV3Schema.properties.spec).toBeDefined();
  });

  it('runs two non-root, read-only replicas with probes, zone spread and the settings as environment', async () => {
    await install({ logLevel: 'debug' });
    const deployment = one('kubernetes:apps/v1:Deployment').inputs;
    expect(deployment.metadata.namespace).toBe('karpenter');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('karpenter');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
    expect(pod.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      maxSkew: 1,
    });
    expect(
      pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([{ matchExpressions: [{ key: 'karpenter.sh/nodepool', operator: 'DoesNotExist' }] }]);
    const container = pod.containers[0];
    expect(container.image).toBe('example.com/karpenter-ts:1.0.0');
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-probes' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-probes' });
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } });
    const env = Object.fromEntries(
      (container.env as { name: string; value?: string }[])
        .filter((e) => e.value !== undefined)
        .map((e) => [e.name, e.value]),
    );
    expect(env).toEqual({
      CLOUD_PROVIDER: 'aws',
      CLUSTER_NAME: CLUSTER,
      CLUSTER_ENDPOINT: ENDPOINT,
      CLUSTER_CA_BUNDLE: CA_DATA,
      INTERRUPTION_QUEUE: CLUSTER,
      AWS_REGION: REGION,
      LOG_LEVEL: 'debug',
      METRICS_PORT: '8080',
      HEALTH_PROBE_PORT: '8081',
      DISABLE_LEADER_ELECTION: 'false',
    });
    expect(container.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
  });

  it('adds the namespace, PDB, metrics Service and least-privilege RBAC', async () => {
    await install();
    expect(one('kubernetes:core/v1:Namespace').inputs.metadata.name).toBe('karpenter');
    expect(one('kubernetes:policy/v1:PodDisruptionBudget').inputs.spec.maxUnavailable).toBe(1);
    expect(one('kubernetes:core/v1:Service').inputs.spec.ports).toEqual([
      { name: 'http-metrics', port: 8080, targetPort: 'http-metrics', protocol: 'TCP' },
    ]);
    const rules = one('kubernetes:rbac.authorization.k8s.io/v1:ClusterRole').inputs.rules as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    }[];
    for (const rule of rules) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
    }
    const pods = rules.find((r) => r.resources.includes('pods'));
    expect(pods?.verbs).not.toContain('create');
    expect(pods?.verbs).not.toContain('update');
    // A merge patch of the pod-deletion-cost annotation (POD_DELETION_COST), nothing else.
    expect(pods?.verbs).toContain('patch');
    expect(rules.find((r) => r.resources.includes('pods/eviction'))?.verbs).toEqual(['create']);
    // Only Karpenter's own objects, nodes, pods and events are written; everything else is read-only.
    const writers = rules.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writers.flatMap((r) => r.resources).sort()).toEqual(
      [
        'capacitybuffers/status',
        // Its termination finalizer and drift hash annotations only: the spec stays the user's.
        'ec2nodeclasses',
        'ec2nodeclasses/status',
        'events',
        'nodeclaims',
        'nodeclaims/status',
        'nodeoverlays/status',
        // The drift hash annotations only.
        'nodepools',
        'nodepools/status',
        'nodes',
        'pods',
        'pods/eviction',
      ].sort(),
    );
    expect(rules.find((r) => r.resources.includes('volumeattachments'))?.verbs).toEqual([
      'get',
      'list',
      'watch',
    ]);
    // Secrets and configmaps are never readable.
    expect(rules.flatMap((r) => r.resources)).not.toEqual(expect.arrayContaining(['secrets']));
    // Leases: read any, create the first, change only its own (upstream's chart, not every Lease in the namespace).
    const leaseRules = one('kubernetes:rbac.authorization.k8s.io/v1:Role', 'kts-controller').inputs.rules as {
      resources: string[];
      verbs: string[];
      resourceNames?: string[];
    }[];
    expect(leaseRules.every((r) => r.resources.join() === 'leases')).toBe(true);
    const leaseWriters = leaseRules.filter((r) => r.verbs.some((v) => v === 'update' || v === 'patch'));
    expect(leaseWriters).toEqual([expect.objectContaining({ resourceNames: ['karpenter-leader-election'] })]);
    expect(leaseRules.flatMap((r) => r.verbs).sort()).toEqual(['create', 'get', 'patch', 'update', 'watch']);
    // In kube-system, get on the kube-dns Service alone (the cluster DNS nodes are told), as upstream's chart grants.
    const dns = one('kubernetes:rbac.authorization.k8s.io/v1:Role', 'kts-controller-dns').inputs;
    expect(dns.metadata.namespace).toBe('kube-system');
    expect(dns.rules).toEqual([
      { apiGroups: [''], resources: ['services'], resourceNames: ['kube-dns'], verbs: ['get'] },
    ]);
    expect(
      one('kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'kts-controller-dns').inputs,
    ).toMatchObject({
      metadata: { namespace: 'kube-system' },
      roleRef: { kind: 'Role' },
      subjects: [{ kind: 'ServiceAccount', name: 'karpenter', namespace: 'karpenter' }],
    });
    expect(one('kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding').inputs.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'karpenter', namespace: 'karpenter' },
    ]);
  });

  it('creates no monitoring objects unless asked', async () => {
    await install();
    expect(ofType('kubernetes:monitoring.coreos.com/v1:ServiceMonitor')).toHaveLength(0);
    expect(ofType('kubernetes:monitoring.coreos.com/v1:PrometheusRule')).toHaveLength(0);
    expect(ofType('kubernetes:core/v1:ConfigMap')).toHaveLength(0);
  });

  it('wires a ServiceMonitor, the shipped alert rules and the Grafana dashboard when asked', async () => {
    await install({
      monitoring: {
        serviceMonitor: true,
        alertRules: true,
        dashboard: { namespace: 'monitoring' },
        selectorLabels: { release: 'kube-prometheus-stack' },
      },
    });
    const service = one('kubernetes:core/v1:Service').inputs;
    const monitor = one('kubernetes:monitoring.coreos.com/v1:ServiceMonitor').inputs;
    expect(monitor.metadata).toMatchObject({
      namespace: 'karpenter',
      labels: { release: 'kube-prometheus-stack' },
    });
    // It selects the metrics Service by its own labels and scrapes its named port.
    expect(monitor.spec.selector.matchLabels).toEqual(service.metadata.labels);
    expect(monitor.spec.endpoints).toEqual([
      { port: service.spec.ports[0].name, path: '/metrics', interval: '30s' },
    ]);
    const rules = one('kubernetes:monitoring.coreos.com/v1:PrometheusRule').inputs;
    const shipped = yaml.load(
      readFileSync(join(ROOT, 'examples/monitoring/prometheus-rules.yaml'), 'utf8'),
    ) as {
      spec: { groups: unknown[] };
    };
    expect(rules.spec.groups).toEqual(shipped.spec.groups);
    expect(rules.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const dashboard = one('kubernetes:core/v1:ConfigMap').inputs;
    expect(dashboard.metadata).toMatchObject({ namespace: 'monitoring', labels: { grafana_dashboard: '1' } });
    expect(JSON.parse(dashboard.data['karpenter-ts.json'])).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'examples/monitoring/karpenter-dashboard.json'), 'utf8')),
    );
  });

  it('refuses a dashboard namespace that is not a DNS label', () => {
    expect(
      () =>
        new KarpenterInstall('bad', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          image: 'example.com/karpenter-ts:1.0.0',
          monitoring: { dashboard: { namespace: 'Monitoring' } },
        }),
    ).toThrow(/monitoring\.dashboard\.namespace: "Monitoring" is not a DNS label/);
  });

  it('tags given subnets and security groups for discovery', async () => {
    await install({ discoverySubnetIds: ['subnet-1', 'subnet-2'], discoverySecurityGroupIds: ['sg-1'] });
    const tags = ofType('aws:ec2/tag:Tag').map((t) => [t.inputs.resourceId, t.inputs.key, t.inputs.value]);
    expect(tags).toEqual([
      ['subnet-1', 'karpenter.sh/discovery', CLUSTER],
      ['subnet-2', 'karpenter.sh/discovery', CLUSTER],
      ['sg-1', 'karpenter.sh/discovery', CLUSTER],
    ]);
  });
});

describe('controller image', () => {
  // The default context (the installed package's dist/image/) is checked from the packed tarball in
  // tests/package; here a context laid out the same way stands in for it.
  it('builds the Dockerfile of its build context and pushes it to a new ECR repository', async () => {
    const context = mkdtempSync(join(tmpdir(), 'image-context-'));
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
    const component = await install({ image: undefined, imageBuild: { tag: 'v1', context } });
    const repo = one('aws:ecr/repository:Repository');
    const image = one('docker-build:index:Image').inputs;
    expect(image.push).toBe(true);
    expect(image.context.location).toBe(context);
    expect(image.dockerfile.location).toBe(join(context, 'Dockerfile'));
    expect(image.tags).toEqual([`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repo.name}:v1`]);
    // The ECR password is a secret, so the whole registries list travels as one.
    expect(isSecret(image.registries)).toBe(true);
    expect(unsecret<Record<string, string>[]>(image.registries)[0]).toMatchObject({
      address: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repo.name}`,
      username: 'AWS',
    });
    const ref = await valueOf(component.imageRef);
    expect(ref).toMatch(/@sha256:/);
    expect(one('kubernetes:apps/v1:Deployment').inputs.spec.template.spec.containers[0].image).toBe(ref);
  });

  it('refuses a build context without a Dockerfile before registering anything, naming the fix', () => {
    const context = mkdtempSync(join(tmpdir(), 'image-context-'));
    expect(
      () =>
        new KarpenterInstall('no-context', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          imageBuild: { context },
        }),
    ).toThrow(
      `imageBuild: no Dockerfile at ${join(context, 'Dockerfile')}; point imageBuild.context at a folder`,
    );
    expect(ofType('aws:ecr/repository:Repository')).toHaveLength(0);
  });

  it('builds nothing when an image is given', async () => {
    await install();
    expect(ofType('docker-build:index:Image')).toHaveLength(0);
    expect(ofType('aws:ecr/repository:Repository')).toHaveLength(0);
  });
});

describe('validation', () => {
  it('rejects bad arguments before registering anything, naming each fix', () => {
    expect(
      () =>
        new KarpenterInstall('bad', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          replicas: 0,
          namespace: 'Karpenter_NS',
          image: 'x',
          imageBuild: {},
        }),
    ).toThrow(
      /invalid KarpenterInstall "bad":\n {2}- replicas: 0 .*\n {2}- namespace: "Karpenter_NS" is not a DNS label.*\n {2}- image and imageBuild are both set/,
    );
    expect(registered.filter((r) => r.name.startsWith('bad'))).toHaveLength(0);
  });
});

describe('cluster-wide caps', () => {
  const envOf = () =>
    Object.fromEntries(
      (
        one('kubernetes:apps/v1:Deployment').inputs.spec.template.spec.containers[0].env as {
          name: string;
          value?: string;
        }[]
      ).map((e) => [e.name, e.value]),
    );

  it('passes clusterCaps to the controller as its CLUSTER_MAX_* settings, and none when unset', async () => {
    await install({ clusterCaps: { nodes: 200, cpu: '1000', memory: '4Ti', costPerHour: 250.5 } });
    expect(envOf()).toMatchObject({
      CLUSTER_MAX_NODES: '200',
      CLUSTER_MAX_CPU: '1000',
      CLUSTER_MAX_MEMORY: '4Ti',
      CLUSTER_MAX_COST_PER_HOUR: '250.5',
    });
    registered.length = 0;
    await install({ clusterCaps: { costPerHour: 10 } });
    const env = envOf();
    expect(env.CLUSTER_MAX_COST_PER_HOUR).toBe('10');
    expect(Object.keys(env).filter((k) => k.startsWith('CLUSTER_MAX_'))).toEqual([
      'CLUSTER_MAX_COST_PER_HOUR',
    ]);
  });

  it('refuses a cap the controller would refuse, naming the argument, the setting and the fix', () => {
    expect(
      () =>
        new KarpenterInstall('badcaps', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          image: 'x',
          clusterCaps: { nodes: 1.5, memory: '4TB', costPerHour: -1 },
        }),
    ).toThrow(
      /- clusterCaps\.nodes: 1\.5 is invalid \(CLUSTER_MAX_NODES\): expected a whole number of nodes.*\n {2}- clusterCaps\.memory: "4TB" is invalid \(CLUSTER_MAX_MEMORY\): expected a memory quantity.*\n {2}- clusterCaps\.costPerHour: -1 is invalid \(CLUSTER_MAX_COST_PER_HOUR\)/,
    );
    expect(registered.filter((r) => r.name.startsWith('badcaps'))).toHaveLength(0);
  });

  it('passes savingsPlans as SAVINGS_PLANS, which the controller reads back, and refuses a bad plan at preview', async () => {
    const plans = [
      { name: 'c6i-2026', commitmentPerHour: 4, discountPercent: 28, instanceFamilies: ['c6i'] },
    ];
    await install({ savingsPlans: plans });
    const raw = envOf().SAVINGS_PLANS;
    expect(loadSettings({ CLOUD_PROVIDER: 'simulated', SAVINGS_PLANS: raw }).savingsPlans).toEqual(plans);
    registered.length = 0;
    await install({});
    expect(envOf().SAVINGS_PLANS).toBeUndefined();
    expect(
      () =>
        new KarpenterInstall('badplans', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          image: 'x',
          savingsPlans: [{ ...plans[0]!, discountPercent: 128 }],
        }),
    ).toThrow(
      /- savingsPlans\.0\.discountPercent: a percentage off the on-demand price, less than 100 \(SAVINGS_PLANS\)/,
    );
    expect(registered.filter((r) => r.name.startsWith('badplans'))).toHaveLength(0);
  });
});

describe('NodePools and EC2NodeClasses', () => {
  const nodeClassArgs = (name: string): EC2NodeClassArgs => ({
    ...defaultNodeClassArgs(CLUSTER, 'role'),
    metadata: { name },
  });
  const poolArgs = (name: string, nodeClass: string): NodePoolArgs => ({
    metadata: { name },
    spec: {
      template: {
        spec: {
          requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: nodeClass },
        },
      },
    },
  });

  it('creates the optional default pair after the CRDs and the controller, with discovery selectors', async () => {
    const component = await install({ defaultNodePool: true });
    // Created alongside means parented to the component.
    expect(await valueOf(component.nodePools[0].urn)).toContain(
      'karpenter-ts:index:KarpenterInstall$kubernetes:karpenter.sh/v1:NodePool::kts-default',
    );
    const nodeClass = one('kubernetes:karpenter.k8s.aws/v1:EC2NodeClass').inputs;
    expect(nodeClass.metadata.name).toBe('default');
    expect(nodeClass.spec.role).toBe(`KarpenterNodeRole-${CLUSTER}`);
    expect(nodeClass.spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': CLUSTER } }]);
    expect(nodeClass.spec.metadataOptions.httpTokens).toBe('required');
    const pool = one('kubernetes:karpenter.sh/v1:NodePool').inputs;
    expect(pool.spec.limits).toEqual({ cpu: '1000', memory: '1000Gi' });
    expect(pool.spec.disruption.budgets).toEqual([{ nodes: '10%' }]);
    const poolRegistration = one('kubernetes:karpenter.sh/v1:NodePool');
    expect(poolRegistration.name).toBe('kts-default');
  });

  it("builds a user's own resources with the install's ordering: after the CRDs, the controller and the classes", async () => {
    const seen: Record<string, pulumi.Resource[]> = {};
    const component = await install({
      nodeClasses: {
        mine: (opts) => (
          (seen.mine = opts.dependsOn),
          new EC2NodeClass('my-class', nodeClassArgs('mine'), opts)
        ),
      },
      nodePools: {
        web: (opts) => ((seen.web = opts.dependsOn), new NodePool('my-web', poolArgs('web', 'mine'), opts)),
      },
    });
    const crds = ofType('kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition').map((r) => r.name);
    const deps = async (rs: pulumi.Resource[]) => (await Promise.all(rs.map((r) => valueOf(r.urn)))).sort();
    const expected = await deps(component.objectDependencies);
    expect(expected.filter((u) => u.includes('CustomResourceDefinition'))).toHaveLength(crds.length);
    expect(expected.some((u) => u.includes('apps/v1:Deployment'))).toBe(true);
    expect(await deps(seen.mine ?? [])).toEqual(expected);
    // A pool also waits for the classes it may launch with.
    expect(await deps(seen.web ?? [])).toEqual(
      await deps([...component.objectDependencies, ...component.nodeClasses]),
    );
    expect(one('kubernetes:karpenter.sh/v1:NodePool').name).toBe('my-web');
    expect(await valueOf(component.nodePools[0].urn)).toContain(
      'KarpenterInstall$kubernetes:karpenter.sh/v1:NodePool::my-web',
    );
  });

  it('refuses a NodePool or EC2NodeClass built before the install, naming the fix', () => {
    const early = new NodePool('early', poolArgs('early', 'default'));
    expect(
      () =>
        new KarpenterInstall('pre', {
          clusterName: CLUSTER,
          clusterEndpoint: ENDPOINT,
          kubernetesProvider: provider(),
          image: 'x',
          nodePools: { early: early as unknown as NodePoolArgs },
        }),
    ).toThrow(
      /nodePools.early: a resource built before the install cannot wait for its CRDs and controller .*pass its args, or a function \(opts\) => new NodePool\(name, args, opts\)/,
    );
    expect(registered.filter((r) => r.name.startsWith('pre'))).toHaveLength(0);
  });
});
