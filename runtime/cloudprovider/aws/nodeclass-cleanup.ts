/**
 * What to delete when an EC2NodeClass goes away: its launch templates (found by tag) and the instance profile we
 * created for its role. Meant for the EC2NodeClass finalizer; instances are terminated through their NodeClaims.
 */
import {
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DeleteInstanceProfileCommand,
  GetInstanceProfileCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { Labels, OwnershipTags } from '../../../sdk/api/well-known';
import { nameOf, type EC2NodeClass } from '../../kube/objects';
import { awsCall, awsErrorCode, classifyAwsError } from './errors';
import { instanceProfileName, type InstanceProfileContext } from './instance-profiles';

export async function deleteLaunchTemplates(
  ec2: EC2Client,
  clusterName: string,
  nodeClassName: string,
): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await awsCall('ec2:DescribeLaunchTemplates', () =>
      ec2.send(
        new DescribeLaunchTemplatesCommand({
          Filters: [
            { Name: `tag:${OwnershipTags.cluster(clusterName)}`, Values: ['owned'] },
            { Name: `tag:${Labels.ec2NodeClass}`, Values: [nodeClassName] },
          ],
          NextToken,
        }),
      ),
    );
    for (const lt of page.LaunchTemplates ?? []) if (lt.LaunchTemplateName) names.push(lt.LaunchTemplateName);
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  for (const LaunchTemplateName of names) {
    await awsCall('ec2:DeleteLaunchTemplate', () =>
      ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName })),
    );
  }
  return names;
}

/** Deletes the profile we created for the node class's role (never one the node class named itself). */
export async function deleteInstanceProfile(
  iam: IAMClient,
  ctx: InstanceProfileContext,
  nodeClass: EC2NodeClass,
): Promise<boolean> {
  if (nodeClass.spec.instanceProfile) return false;
  const InstanceProfileName = instanceProfileName(ctx, nameOf(nodeClass));
  let roles: string[];
  try {
    const out = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName }));
    roles = (out.InstanceProfile?.Roles ?? []).map((r) => r.RoleName).filter((r): r is string => !!r);
  } catch (err) {
    if (awsErrorCode(err) === 'NoSuchEntity' || awsErrorCode(err) === 'NoSuchEntityException') return false;
    throw classifyAwsError(err, 'iam:GetInstanceProfile');
  }
  for (const RoleName of roles) {
    await awsCall('iam:RemoveRoleFromInstanceProfile', () =>
      iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName, RoleName })),
    );
  }
  await awsCall('iam:DeleteInstanceProfile', () =>
    iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName })),
  );
  return true;
}
