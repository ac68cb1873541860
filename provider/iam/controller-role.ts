/**
 * The controller's role: the scoped policies (one managed policy per concern) attached to a role trusted either by
 * EKS Pod Identity, with the association that binds it to the service account, or, for IRSA, by the cluster's
 * OIDC provider.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  CONTROLLER_POLICY_GROUPS,
  controllerPolicies,
  type ControllerPolicyGroup,
  type ControllerPolicyScope,
} from './controller-policy';
import { irsaTrust, podIdentityTrust } from './trust';
import { fitName, IAM_POLICY_NAME_MAX, IAM_ROLE_NAME_MAX } from './names';

export type ControllerIdentity =
  | {
      kind: 'podIdentity';
      /**
       * Install the `eks-pod-identity-agent` add-on, without which Pod Identity hands out no credentials. Leave it
       * off on a cluster that has the agent already (EKS refuses a second one); KarpenterCluster installs it.
       * @default false
       */
      installAgent?: boolean;
    }
  | { kind: 'irsa'; oidcProviderArn: pulumi.Input<string>; oidcProviderUrl: pulumi.Input<string> };

export interface ControllerRoleArgs {
  scope: {
    [K in Exclude<keyof ControllerPolicyScope, 'interruptionQueueArn'>]: pulumi.Input<
      ControllerPolicyScope[K]
    >;
  } & { interruptionQueueArn?: pulumi.Input<string> };
  /** Whether an interruption queue exists: decides, before its ARN is known, if the SQS policy is created. */
  withInterruptionQueue: boolean;
  identity: ControllerIdentity;
  namespace: string;
  serviceAccount: string;
  /** @default `KarpenterControllerRole-<clusterName>` (cut to 64 characters with a hash when longer) */
  roleName?: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface ControllerRole {
  role: aws.iam.Role;
  policies: Partial<Record<ControllerPolicyGroup, aws.iam.Policy>>;
  podIdentityAssociation?: aws.eks.PodIdentityAssociation;
  podIdentityAgent?: aws.eks.Addon;
}

export function createControllerRole(
  name: string,
  args: ControllerRoleArgs,
  parent: pulumi.Resource,
): ControllerRole {
  const opts = { parent };
  const identity = args.identity;
  const assumeRolePolicy =
    identity.kind === 'podIdentity'
      ? JSON.stringify(podIdentityTrust())
      : pulumi
          .all([identity.oidcProviderArn, identity.oidcProviderUrl])
          .apply(([oidcProviderArn, oidcProviderUrl]) =>
            JSON.stringify(
              irsaTrust({
                oidcProviderArn,
                oidcProviderUrl,
                namespace: args.namespace,
                serviceAccount: args.serviceAccount,
              }),
            ),
          );
  const clusterName = args.scope.clusterName;
  const role = new aws.iam.Role(
    `${name}-controller`,
    {
      name:
        args.roleName ??
        pulumi.output(clusterName).apply((c) => fitName(`KarpenterControllerRole-${c}`, IAM_ROLE_NAME_MAX)),
      description: pulumi.interpolate`The karpenter-ts controller of cluster ${clusterName}`,
      assumeRolePolicy,
      tags: args.tags,
    },
    opts,
  );
  const { interruptionQueueArn, ...rest } = args.scope;
  const documents = pulumi
    .all([pulumi.output(rest), pulumi.output(interruptionQueueArn)])
    .apply(([scope, queueArn]) =>
      controllerPolicies({
        ...scope,
        interruptionQueueArn: args.withInterruptionQueue ? queueArn : undefined,
      }),
    );
  const policies: Partial<Record<ControllerPolicyGroup, aws.iam.Policy>> = {};
  for (const group of Object.keys(CONTROLLER_POLICY_GROUPS) as ControllerPolicyGroup[]) {
    if (group === 'Interruption' && !args.withInterruptionQueue) continue;
    const policy = new aws.iam.Policy(
      `${name}-controller-${group}`,
      {
        name: pulumi
          .output(clusterName)
          .apply((c) => fitName(`KarpenterController${group}-${c}`, IAM_POLICY_NAME_MAX)),
        policy: documents.apply((docs) => JSON.stringify(docs[group])),
        tags: args.tags,
      },
      opts,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-controller-${group}`,
      { role: role.name, policyArn: policy.arn },
      opts,
    );
    policies[group] = policy;
  }
  const podIdentityAgent =
    identity.kind === 'podIdentity' && identity.installAgent
      ? new aws.eks.Addon(
          `${name}-pod-identity-agent`,
          { clusterName, addonName: 'eks-pod-identity-agent', tags: args.tags },
          opts,
        )
      : undefined;
  const podIdentityAssociation =
    identity.kind === 'podIdentity'
      ? new aws.eks.PodIdentityAssociation(
          `${name}-controller`,
          {
            clusterName,
            namespace: args.namespace,
            serviceAccount: args.serviceAccount,
            roleArn: role.arn,
            tags: args.tags,
          },
          opts,
        )
      : undefined;
  return { role, policies, podIdentityAssociation, podIdentityAgent };
}

/** What the controller's credentials are made of: a Deployment depends on these so it never starts without them. */
export function controllerRoleResources(controllerRole: ControllerRole): pulumi.Resource[] {
  return [
    controllerRole.role,
    ...Object.values(controllerRole.policies),
    ...(controllerRole.podIdentityAssociation ? [controllerRole.podIdentityAssociation] : []),
    ...(controllerRole.podIdentityAgent ? [controllerRole.podIdentityAgent] : []),
  ];
}
