/**
 * The controller's IAM permissions, scoped the way upstream Karpenter's controller policy scopes them: it may only
 * launch into, tag and delete what carries this cluster's ownership tags, pass only the node role, and manage only
 * the instance profiles it created for an EC2NodeClass. Pure data: the component turns it into JSON.
 */
import { OwnershipTags } from '../../sdk/api/well-known';
import { policyDocument, type PolicyDocument, type PolicyStatement } from './policy-document';

export { OwnershipTags };

export interface ControllerPolicyScope {
  /** aws, aws-cn, aws-us-gov */
  partition: string;
  region: string;
  accountId: string;
  clusterName: string;
  nodeRoleArn: string;
  /** The interruption queue's ARN; without it the SQS statement is left out. */
  interruptionQueueArn?: string;
}

/** The EC2 actions that may create resources and so tag them at creation (ec2:CreateAction). */
export const LAUNCH_ACTIONS = ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'] as const;

/** Instance tags the controller may set after launch (the NodeClaim name, the Name tag, the cluster name). */
export const POST_LAUNCH_TAG_KEYS = [OwnershipTags.eksClusterName, OwnershipTags.nodeClaim, 'Name'] as const;

export const REGIONAL_READ_ACTIONS = [
  // ENABLE_ZONAL_SHIFT: ARC names zones by ID; this maps them to the account's zone names.
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
] as const;

/** The service that may receive the node role: ec2.amazonaws.com, with the China partition's own suffix. */
function ec2ServicePrincipal(partition: string): string {
  return partition === 'aws-cn' ? 'ec2.amazonaws.com.cn' : 'ec2.amazonaws.com';
}

export function controllerPolicyStatements(scope: ControllerPolicyScope): PolicyStatement[] {
  const { partition, region, accountId, clusterName } = scope;
  const ec2 = (resource: string, account = '*'): string =>
    `arn:${partition}:ec2:${region}:${account}:${resource}`;
  const instanceProfiles = `arn:${partition}:iam::${accountId}:instance-profile/*`;
  const clusterTag = OwnershipTags.cluster(clusterName);

  const ownedResource = {
    StringEquals: { [`aws:ResourceTag/${clusterTag}`]: 'owned' },
    StringLike: { [`aws:ResourceTag/${OwnershipTags.nodePool}`]: '*' },
  };
  const ownedRequest = {
    [`aws:RequestTag/${clusterTag}`]: 'owned',
    [`aws:RequestTag/${OwnershipTags.eksClusterName}`]: clusterName,
  };
  const createdResources = [
    ec2('fleet/*'),
    ec2('instance/*'),
    ec2('volume/*'),
    ec2('network-interface/*'),
    ec2('launch-template/*'),
    ec2('spot-instances-request/*'),
  ];

  const statements: PolicyStatement[] = [
    {
      Sid: 'AllowScopedEC2InstanceAccessActions',
      Effect: 'Allow',
      // Images and snapshots have no account in their ARN.
      Resource: [
        ec2('image/*', ''),
        ec2('snapshot/*', ''),
        ec2('security-group/*'),
        ec2('subnet/*'),
        ec2('capacity-reservation/*'),
        ec2('placement-group/*'),
      ],
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
    },
    {
      Sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      Effect: 'Allow',
      Resource: ec2('launch-template/*'),
      Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
      Condition: ownedResource,
    },
    {
      Sid: 'AllowScopedEC2InstanceActionsWithTags',
      Effect: 'Allow',
      Resource: createdResources,
      Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      Condition: {
        StringEquals: ownedRequest,
        StringLike: { [`aws:RequestTag/${OwnershipTags.nodePool}`]: '*' },
      },
    },
    {
      Sid: 'AllowScopedResourceCreationTagging',
      Effect: 'Allow',
      Resource: createdResources,
      Action: 'ec2:CreateTags',
      Condition: {
        StringEquals: { ...ownedRequest, 'ec2:CreateAction': [...LAUNCH_ACTIONS] },
        StringLike: { [`aws:RequestTag/${OwnershipTags.nodePool}`]: '*' },
      },
    },
    {
      Sid: 'AllowScopedResourceTagging',
      Effect: 'Allow',
      Resource: ec2('instance/*'),
      Action: 'ec2:CreateTags',
      Condition: {
        ...ownedResource,
        StringEqualsIfExists: { [`aws:RequestTag/${OwnershipTags.eksClusterName}`]: clusterName },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [...POST_LAUNCH_TAG_KEYS] },
      },
    },
    {
      Sid: 'AllowScopedDeletion',
      Effect: 'Allow',
      Resource: [ec2('instance/*'), ec2('launch-template/*')],
      Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      Condition: ownedResource,
    },
    {
      Sid: 'AllowRegionalReadActions',
      Effect: 'Allow',
      Resource: '*',
      Action: [...REGIONAL_READ_ACTIONS],
      Condition: { StringEquals: { 'aws:RequestedRegion': region } },
    },
    {
      Sid: 'AllowSSMReadActions',
      Effect: 'Allow',
      Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
      Action: 'ssm:GetParameter',
    },
    {
      Sid: 'AllowPricingReadActions',
      Effect: 'Allow',
      Resource: '*',
      Action: 'pricing:GetProducts',
    },
    {
      Sid: 'AllowPassingInstanceRole',
      Effect: 'Allow',
      Resource: scope.nodeRoleArn,
      Action: 'iam:PassRole',
      Condition: { StringEquals: { 'iam:PassedToService': ec2ServicePrincipal(partition) } },
    },
    {
      Sid: 'AllowScopedInstanceProfileCreationActions',
      Effect: 'Allow',
      Resource: instanceProfiles,
      Action: ['iam:CreateInstanceProfile'],
      Condition: {
        StringEquals: { ...ownedRequest, [`aws:RequestTag/${OwnershipTags.region}`]: region },
        StringLike: { [`aws:RequestTag/${OwnershipTags.ec2NodeClass}`]: '*' },
      },
    },
    {
      Sid: 'AllowScopedInstanceProfileTagActions',
      Effect: 'Allow',
      Resource: instanceProfiles,
      Action: ['iam:TagInstanceProfile'],
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${clusterTag}`]: 'owned',
          [`aws:ResourceTag/${OwnershipTags.region}`]: region,
          ...ownedRequest,
          [`aws:RequestTag/${OwnershipTags.region}`]: region,
        },
        StringLike: {
          [`aws:ResourceTag/${OwnershipTags.ec2NodeClass}`]: '*',
          [`aws:RequestTag/${OwnershipTags.ec2NodeClass}`]: '*',
        },
      },
    },
    {
      Sid: 'AllowScopedInstanceProfileActions',
      Effect: 'Allow',
      Resource: instanceProfiles,
      Action: [
        'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:DeleteInstanceProfile',
      ],
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${clusterTag}`]: 'owned',
          [`aws:ResourceTag/${OwnershipTags.region}`]: region,
        },
        StringLike: { [`aws:ResourceTag/${OwnershipTags.ec2NodeClass}`]: '*' },
      },
    },
    {
      Sid: 'AllowInstanceProfileReadActions',
      Effect: 'Allow',
      Resource: instanceProfiles,
      Action: 'iam:GetInstanceProfile',
    },
    {
      Sid: 'AllowUnscopedInstanceProfileListAction',
      Effect: 'Allow',
      Resource: '*',
      Action: 'iam:ListInstanceProfiles',
    },
    {
      Sid: 'AllowAPIServerEndpointDiscovery',
      Effect: 'Allow',
      Resource: `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}`,
      Action: 'eks:DescribeCluster',
    },
    {
      // ENABLE_ZONAL_SHIFT reads the cluster's zonal shifts; granted always, as upstream's ZonalShift policy is.
      Sid: 'AllowZonalShiftStatusReadOnly',
      Effect: 'Allow',
      Resource: '*',
      Action: 'arc-zonal-shift:GetManagedResource',
      Condition: {
        StringEquals: {
          'arc-zonal-shift:ResourceIdentifier': `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}`,
        },
      },
    },
  ];
  if (scope.interruptionQueueArn !== undefined) {
    statements.push({
      Sid: 'AllowInterruptionQueueActions',
      Effect: 'Allow',
      Resource: scope.interruptionQueueArn,
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
    });
  }
  return statements;
}

/**
 * The statements grouped by concern, one managed policy each (as upstream does): a single document would exceed
 * IAM's managed-policy size limit, and grouping by Sid keeps the number of policies known before Outputs resolve.
 */
export const CONTROLLER_POLICY_GROUPS = {
  NodeLifecycle: [
    'AllowScopedEC2InstanceAccessActions',
    'AllowScopedEC2LaunchTemplateAccessActions',
    'AllowScopedEC2InstanceActionsWithTags',
    'AllowScopedResourceCreationTagging',
    'AllowScopedResourceTagging',
    'AllowScopedDeletion',
  ],
  ResourceDiscovery: ['AllowRegionalReadActions', 'AllowSSMReadActions', 'AllowPricingReadActions'],
  IAMIntegration: [
    'AllowPassingInstanceRole',
    'AllowScopedInstanceProfileCreationActions',
    'AllowScopedInstanceProfileTagActions',
    'AllowScopedInstanceProfileActions',
    'AllowInstanceProfileReadActions',
    'AllowUnscopedInstanceProfileListAction',
  ],
  EKSIntegration: ['AllowAPIServerEndpointDiscovery'],
  ZonalShift: ['AllowZonalShiftStatusReadOnly'],
  Interruption: ['AllowInterruptionQueueActions'],
} as const;

export type ControllerPolicyGroup = keyof typeof CONTROLLER_POLICY_GROUPS;

/** One document per group that has statements for this scope (Interruption only with a queue). */
export function controllerPolicies(
  scope: ControllerPolicyScope,
): Partial<Record<ControllerPolicyGroup, PolicyDocument>> {
  const statements = controllerPolicyStatements(scope);
  const result: Partial<Record<ControllerPolicyGroup, PolicyDocument>> = {};
  for (const [group, sids] of Object.entries(CONTROLLER_POLICY_GROUPS) as [
    ControllerPolicyGroup,
    readonly string[],
  ][]) {
    const members = statements.filter((s) => s.Sid !== undefined && sids.includes(s.Sid));
    if (members.length > 0) result[group] = policyDocument(members);
  }
  return result;
}
