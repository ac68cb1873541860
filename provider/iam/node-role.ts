/**
 * The role of the nodes Karpenter launches: trusted by EC2, the four managed policies a worker node needs, an
 * instance profile, and an EKS access entry of type EC2_LINUX so nodes using it can join the cluster.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ec2Trust } from './trust';
import { fitName, IAM_ROLE_NAME_MAX } from './names';

export const NODE_MANAGED_POLICIES = [
  'AmazonEKSWorkerNodePolicy',
  'AmazonEKS_CNI_Policy',
  'AmazonEC2ContainerRegistryPullOnly',
  'AmazonSSMManagedInstanceCore',
] as const;

export function managedPolicyArn(partition: string, policy: string): string {
  return `arn:${partition}:iam::aws:policy/${policy}`;
}

/** The upstream naming convention, which EC2NodeClass.spec.role examples use; cut to IAM's limit (names.ts). */
export function defaultNodeRoleName(clusterName: string): string {
  return fitName(`KarpenterNodeRole-${clusterName}`, IAM_ROLE_NAME_MAX);
}

export interface NodeRoleArgs {
  clusterName: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** @default `KarpenterNodeRole-<clusterName>` (cut to 64 characters with a hash when longer) */
  roleName?: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface NodeRole {
  role: aws.iam.Role;
  attachments: aws.iam.RolePolicyAttachment[];
  instanceProfile: aws.iam.InstanceProfile;
  accessEntry: aws.eks.AccessEntry;
}

export function createNodeRole(name: string, args: NodeRoleArgs, parent: pulumi.Resource): NodeRole {
  const opts = { parent };
  const role = new aws.iam.Role(
    `${name}-node`,
    {
      name: args.roleName ?? pulumi.output(args.clusterName).apply(defaultNodeRoleName),
      description: pulumi.interpolate`Nodes launched by karpenter-ts for cluster ${args.clusterName}`,
      assumeRolePolicy: JSON.stringify(ec2Trust()),
      tags: args.tags,
    },
    opts,
  );
  const attachments = NODE_MANAGED_POLICIES.map(
    (policy) =>
      new aws.iam.RolePolicyAttachment(
        `${name}-node-${policy}`,
        {
          role: role.name,
          policyArn: pulumi.output(args.partition).apply((p) => managedPolicyArn(p, policy)),
        },
        opts,
      ),
  );
  const instanceProfile = new aws.iam.InstanceProfile(
    `${name}-node`,
    { role: role.name, tags: args.tags },
    opts,
  );
  const accessEntry = new aws.eks.AccessEntry(
    `${name}-node`,
    { clusterName: args.clusterName, principalArn: role.arn, type: 'EC2_LINUX', tags: args.tags },
    opts,
  );
  return { role, attachments, instanceProfile, accessEntry };
}
