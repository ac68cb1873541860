import { DeleteLaunchTemplateCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DeleteInstanceProfileCommand,
  GetInstanceProfileCommand,
  IAMClient,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { instanceProfileName } from './instance-profiles';
import { deleteInstanceProfile, deleteLaunchTemplates } from './nodeclass-cleanup';
import { awsError, testNodeClass } from './testing';

const ctx = { clusterName: 'demo', region: 'us-east-1' };

describe('node class cleanup', () => {
  it('deletes the launch templates tagged for the cluster and node class', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeLaunchTemplatesCommand).resolves({
      LaunchTemplates: [{ LaunchTemplateName: 'karpenter.k8s.aws/a' }],
    });
    m.on(DeleteLaunchTemplateCommand).resolves({});
    expect(await deleteLaunchTemplates(ec2, 'demo', 'default')).toEqual(['karpenter.k8s.aws/a']);
    expect(m.commandCalls(DescribeLaunchTemplatesCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: 'tag:kubernetes.io/cluster/demo', Values: ['owned'] },
        { Name: 'tag:karpenter.k8s.aws/ec2nodeclass', Values: ['default'] },
      ],
      NextToken: undefined,
    });
    expect(m.commandCalls(DeleteLaunchTemplateCommand)[0]?.args[0].input).toEqual({
      LaunchTemplateName: 'karpenter.k8s.aws/a',
    });
  });

  it('removes the role from the profile it created, then deletes the profile', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const m = mockClient(iam);
    const name = instanceProfileName(ctx, 'default');
    m.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: name,
        InstanceProfileId: 'x',
        Path: '/',
        Arn: 'arn',
        CreateDate: new Date(0),
        Roles: [{ RoleName: 'node', Path: '/', RoleId: 'r', Arn: 'arn', CreateDate: new Date(0) }],
      },
    });
    expect(await deleteInstanceProfile(iam, ctx, testNodeClass())).toBe(true);
    expect(m.commandCalls(RemoveRoleFromInstanceProfileCommand)[0]?.args[0].input).toEqual({
      InstanceProfileName: name,
      RoleName: 'node',
    });
    expect(m.commandCalls(DeleteInstanceProfileCommand)[0]?.args[0].input).toEqual({
      InstanceProfileName: name,
    });
  });

  it('leaves named profiles alone and treats a missing one as done', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const m = mockClient(iam);
    expect(
      await deleteInstanceProfile(iam, ctx, testNodeClass({ role: undefined, instanceProfile: 'theirs' })),
    ).toBe(false);
    m.on(GetInstanceProfileCommand).rejects(awsError('NoSuchEntity'));
    expect(await deleteInstanceProfile(iam, ctx, testNodeClass())).toBe(false);
    expect(m.commandCalls(DeleteInstanceProfileCommand)).toHaveLength(0);
  });
});
