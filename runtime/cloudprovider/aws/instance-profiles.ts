/**
 * The instance profile nodes launch with. An EC2NodeClass names either an existing `instanceProfile` (used as is)
 * or a node `role`, for which we create one profile per cluster, region and node class, tagged so the controller's
 * IAM policy can scope create/tag/add-role/delete to it, and keep the role in it.
 */
import { createHash } from 'node:crypto';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  GetInstanceProfileCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
  type InstanceProfile,
} from '@aws-sdk/client-iam';
import { Labels, OwnershipTags } from '../../../sdk/api/well-known';
import { nameOf, type EC2NodeClass } from '../../kube/objects';
import { awsCall, awsErrorCode } from './errors';

export interface InstanceProfileContext {
  clusterName: string;
  region: string;
}

/** `<cluster>_<hash of region and node class>`: stable, unique per node class, within IAM's 128 characters. */
export function instanceProfileName(ctx: InstanceProfileContext, nodeClassName: string): string {
  const h = createHash('sha256').update(`${ctx.region}/${nodeClassName}`).digest('hex').slice(0, 16);
  return `${ctx.clusterName.slice(0, 110)}_${h}`;
}

export function instanceProfileTags(ctx: InstanceProfileContext, nodeClassName: string) {
  return [
    { Key: OwnershipTags.cluster(ctx.clusterName), Value: 'owned' },
    { Key: OwnershipTags.eksClusterName, Value: ctx.clusterName },
    { Key: Labels.ec2NodeClass, Value: nodeClassName },
    { Key: Labels.region, Value: ctx.region },
  ];
}

/** A role given as an ARN or with a path → its bare name, which is what instance profiles take. */
function roleName(role: string): string {
  return role.slice(role.lastIndexOf('/') + 1);
}

async function getProfile(iam: IAMClient, name: string): Promise<InstanceProfile | undefined> {
  try {
    return (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  } catch (err) {
    if (awsErrorCode(err) === 'NoSuchEntity' || awsErrorCode(err) === 'NoSuchEntityException')
      return undefined;
    throw err;
  }
}

/** Ensures the node class's instance profile exists and holds its role; returns the profile name. */
export async function ensureInstanceProfile(
  iam: IAMClient,
  ctx: InstanceProfileContext,
  nodeClass: EC2NodeClass,
): Promise<string> {
  if (nodeClass.spec.instanceProfile) return nodeClass.spec.instanceProfile;
  const role = nodeClass.spec.role;
  if (!role) throw new Error(`EC2NodeClass ${nodeClass.metadata.name} sets neither role nor instanceProfile`);
  const nodeClassName = nameOf(nodeClass);
  const name = instanceProfileName(ctx, nodeClassName);
  let profile = await awsCall('iam:GetInstanceProfile', () => getProfile(iam, name));
  if (!profile) {
    profile = (
      await awsCall('iam:CreateInstanceProfile', () =>
        iam.send(
          new CreateInstanceProfileCommand({
            InstanceProfileName: name,
            Path: '/',
            Tags: instanceProfileTags(ctx, nodeClassName),
          }),
        ),
      )
    ).InstanceProfile;
  }
  const want = roleName(role);
  const roles = (profile?.Roles ?? []).map((r) => r.RoleName).filter((r): r is string => !!r);
  if (roles.includes(want)) return name;
  // A profile holds at most one role: swap out a previous one (the node class's role changed).
  for (const old of roles) {
    await awsCall('iam:RemoveRoleFromInstanceProfile', () =>
      iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: old })),
    );
  }
  await awsCall('iam:AddRoleToInstanceProfile', () =>
    iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: want })),
  );
  return name;
}
