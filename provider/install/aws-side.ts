/**
 * The AWS half of an install: either created here (node role, instance profile and access entry, interruption
 * queue, controller role with its policies and Pod Identity association, discovery tags) or, with `existingAws`,
 * taken as given, so the install creates no AWS resource and makes no AWS invoke (an infra repo that manages IAM
 * and SQS elsewhere, or a cluster the AWS provider cannot reach).
 */
import * as pulumi from '@pulumi/pulumi';
import { awsScope } from '../aws-scope';
import { controllerRoleResources, createControllerRole } from '../iam/controller-role';
import { fitName, IAM_ROLE_NAME_MAX, nameTooLong, SQS_QUEUE_NAME_MAX } from '../iam/names';
import { createNodeRole } from '../iam/node-role';
import { createInterruptionQueue } from '../interruption/interruption-queue';
import type { KarpenterInstallArgs } from './args';
import { createDiscoveryTags } from './discovery-tags';

export interface ExistingAwsResources {
  /** The role Karpenter's nodes run as, which EC2NodeClasses name in `spec.role` (with its EKS access entry). */
  nodeRoleName: pulumi.Input<string>;
  /** The controller's role, with the controller policies attached (see `controllerPolicies`). */
  controllerRoleArn: pulumi.Input<string>;
  /**
   * How the controller's pods get that role: `podIdentity` (the association and the agent add-on exist outside)
   * or `irsa` (the service account is annotated with the role; its trust names the cluster's OIDC provider).
   * @default "podIdentity"
   */
  identity?: 'podIdentity' | 'irsa';
  /** The interruption queue the controller reads. @default unset: no interruption handling */
  interruptionQueueName?: pulumi.Input<string>;
  /** The region the controller and its nodes run in. */
  region: pulumi.Input<string>;
  /** The AWS partition, for the node role's ARN. @default "aws" */
  partition?: pulumi.Input<string>;
  /** The account the roles are in, for the node role's ARN. */
  accountId: pulumi.Input<string>;
}

/** What the cluster half needs from the AWS half, and the component's AWS outputs. */
export interface AwsSide {
  region: pulumi.Output<string>;
  nodeRoleName: pulumi.Output<string>;
  nodeRoleArn: pulumi.Output<string>;
  /** undefined with `existingAws`: the controller makes instance profiles for node classes naming a role. */
  instanceProfileName: pulumi.Output<string | undefined>;
  controllerRoleArn: pulumi.Output<string>;
  /** The role to annotate the service account with (IRSA only). */
  irsaRoleArn?: pulumi.Output<string>;
  /** The queue the controller reads; undefined for none (the controller gets no queue setting). */
  interruptionQueueName?: pulumi.Input<string>;
  /** AWS resources the controller Deployment must wait for. */
  dependencies: pulumi.Resource[];
}

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(.+)$/;

/** Top-level arguments that create AWS resources or configure ones the install would create. */
const CREATING_FIELDS: [keyof KarpenterInstallArgs, string][] = [
  ['nodeRoleName', 'use existingAws.nodeRoleName'],
  ['identity', 'use existingAws.identity ("podIdentity" or "irsa")'],
  ['interruptionQueue', 'leave it out; existingAws.interruptionQueueName names a queue, or none is used'],
  ['interruptionQueueName', 'use existingAws.interruptionQueueName'],
  ['discoverySubnetIds', 'tag the subnets karpenter.sh/discovery=<cluster> where they are managed'],
  [
    'discoverySecurityGroupIds',
    'tag the security groups karpenter.sh/discovery=<cluster> where they are managed',
  ],
  ['tags', 'it only tags AWS resources the install creates, and with existingAws it creates none'],
  ['imageBuild', 'building pushes to an ECR repository the install creates: set image to a pushed image'],
];

/** Why `existingAws` cannot be used with these arguments, each naming the field and the fix. */
export function existingAwsProblems(args: KarpenterInstallArgs): string[] {
  const given = args.existingAws;
  if (given === undefined) return [];
  const problems: string[] = [];
  for (const [field, fix] of CREATING_FIELDS) {
    if (args[field] !== undefined) {
      problems.push(`${field}: not used with existingAws, which creates no AWS resources; ${fix}`);
    }
  }
  if (args.image === undefined) {
    problems.push(
      'image: required with existingAws: the default builds the controller image into an ECR repository the install would create; give a pushed image',
    );
  }
  for (const field of ['nodeRoleName', 'controllerRoleArn', 'region', 'accountId'] as const) {
    const value: unknown = given[field];
    if (value === undefined || value === null || value === '') {
      problems.push(
        `existingAws.${field}: required (the existing resource the install uses instead of creating one)`,
      );
    }
  }
  if (given.identity !== undefined && given.identity !== 'podIdentity' && given.identity !== 'irsa') {
    problems.push(`existingAws.identity: "${String(given.identity)}" is not "podIdentity" or "irsa"`);
  }
  if (typeof given.accountId === 'string' && given.accountId !== '' && !/^\d{12}$/.test(given.accountId)) {
    problems.push(`existingAws.accountId: "${given.accountId}" is not a 12-digit AWS account id`);
  }
  const tooLong = nameTooLong('existingAws.nodeRoleName', given.nodeRoleName, IAM_ROLE_NAME_MAX);
  if (tooLong) problems.push(tooLong);
  if (typeof given.controllerRoleArn === 'string' && given.controllerRoleArn !== '') {
    const m = ROLE_ARN.exec(given.controllerRoleArn);
    if (!m) {
      problems.push(
        `existingAws.controllerRoleArn: "${given.controllerRoleArn}" is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)`,
      );
    } else {
      const partition = given.partition ?? 'aws';
      if (typeof partition === 'string' && m[1] !== partition) {
        problems.push(
          `existingAws.controllerRoleArn: partition "${m[1]}" differs from existingAws.partition "${partition}"; set partition to the roles' partition`,
        );
      }
      if (
        typeof given.accountId === 'string' &&
        /^\d{12}$/.test(given.accountId) &&
        m[2] !== given.accountId
      ) {
        problems.push(
          `existingAws.controllerRoleArn: account ${m[2]} differs from existingAws.accountId ${given.accountId}; the roles must be in the account given`,
        );
      }
    }
  }
  return problems;
}

/** The AWS side taken as given: nothing registered, nothing invoked. */
export function existingAwsSide(given: ExistingAwsResources): AwsSide {
  const partition = pulumi.output(given.partition ?? 'aws');
  const controllerRoleArn = pulumi.output(given.controllerRoleArn);
  return {
    region: pulumi.output(given.region),
    nodeRoleName: pulumi.output(given.nodeRoleName),
    nodeRoleArn: pulumi.interpolate`arn:${partition}:iam::${given.accountId}:role/${given.nodeRoleName}`,
    instanceProfileName: pulumi.output(undefined),
    controllerRoleArn,
    ...(given.identity === 'irsa' ? { irsaRoleArn: controllerRoleArn } : {}),
    ...(given.interruptionQueueName !== undefined
      ? { interruptionQueueName: given.interruptionQueueName }
      : {}),
    dependencies: [],
  };
}

/** The AWS side created by the install, in the scope (partition, region, account) of the program's AWS provider. */
export function createdAwsSide(
  name: string,
  args: KarpenterInstallArgs,
  where: { tags: Record<string, string>; namespace: string; serviceAccountName: string },
  parent: pulumi.Resource,
): AwsSide {
  const { tags } = where;
  const identity = args.identity ?? { kind: 'podIdentity' };
  const withQueue = args.interruptionQueue ?? true;
  const scope = awsScope({ parent });
  const nodeRole = createNodeRole(
    name,
    { clusterName: args.clusterName, partition: scope.partition, roleName: args.nodeRoleName, tags },
    parent,
  );
  const queue = withQueue
    ? createInterruptionQueue(
        name,
        {
          queueName:
            args.interruptionQueueName ??
            pulumi.output(args.clusterName).apply((c) => fitName(c, SQS_QUEUE_NAME_MAX)),
          tags,
        },
        parent,
      )
    : undefined;
  const controllerRole = createControllerRole(
    name,
    {
      scope: {
        partition: scope.partition,
        region: scope.region,
        accountId: scope.accountId,
        clusterName: args.clusterName,
        nodeRoleArn: nodeRole.role.arn,
        interruptionQueueArn: queue?.queue.arn,
      },
      withInterruptionQueue: withQueue,
      identity,
      namespace: where.namespace,
      serviceAccount: where.serviceAccountName,
      tags,
    },
    parent,
  );
  createDiscoveryTags(
    name,
    {
      clusterName: args.clusterName,
      subnetIds: args.discoverySubnetIds,
      securityGroupIds: args.discoverySecurityGroupIds,
    },
    parent,
  );
  return {
    region: scope.region,
    nodeRoleName: nodeRole.role.name,
    nodeRoleArn: nodeRole.role.arn,
    instanceProfileName: nodeRole.instanceProfile.name,
    controllerRoleArn: controllerRole.role.arn,
    ...(identity.kind === 'irsa' ? { irsaRoleArn: controllerRole.role.arn } : {}),
    ...(queue ? { interruptionQueueName: queue.queue.name } : {}),
    dependencies: controllerRoleResources(controllerRole),
  };
}
