import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  GetInstanceProfileCommand,
  IAMClient,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { ensureInstanceProfile, instanceProfileName } from './instance-profiles';
import { awsError, testNodeClass } from './testing';

const ctx = { clusterName: 'demo', region: 'us-east-1' };
const created = new Date(0);

describe('ensureInstanceProfile', () => {
  it('uses a named instance profile as is, without IAM calls', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const m = mockClient(iam);
    const nc = testNodeClass({ role: undefined, instanceProfile: 'my-profile' });
    expect(await ensureInstanceProfile(iam, ctx, nc)).toBe('my-profile');
    expect(m.calls()).toHaveLength(0);
  });

  it('creates a tagged profile for the role and adds the role', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const m = mockClient(iam);
    const name = instanceProfileName(ctx, 'default');
    m.on(GetInstanceProfileCommand).rejects(awsError('NoSuchEntity'));
    m.on(CreateInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: name,
        Path: '/',
        InstanceProfileId: 'x',
        Arn: 'arn',
        CreateDate: created,
        Roles: [],
      },
    });
    m.on(AddRoleToInstanceProfileCommand).resolves({});
    expect(await ensureInstanceProfile(iam, ctx, testNodeClass())).toBe(name);
    expect(name).toMatch(/^demo_[0-9a-f]{16}$/);
    expect(m.commandCalls(CreateInstanceProfileCommand)[0]?.args[0].input).toEqual({
      InstanceProfileName: name,
      Path: '/',
      Tags: [
        { Key: 'kubernetes.io/cluster/demo', Value: 'owned' },
        { Key: 'eks:eks-cluster-name', Value: 'demo' },
        { Key: 'karpenter.k8s.aws/ec2nodeclass', Value: 'default' },
        { Key: 'topology.kubernetes.io/region', Value: 'us-east-1' },
      ],
    });
    expect(m.commandCalls(AddRoleToInstanceProfileCommand)[0]?.args[0].input).toEqual({
      InstanceProfileName: name,
      RoleName: 'KarpenterNodeRole-test',
    });
  });

  it('swaps the role when the node class names another one', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const m = mockClient(iam);
    const role = (RoleName: string) => ({
      RoleName,
      Path: '/',
      RoleId: 'r',
      Arn: 'arn',
      CreateDate: created,
    });
    m.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: {
        InstanceProfileName: 'p',
        Path: '/',
        InstanceProfileId: 'x',
        Arn: 'arn',
        CreateDate: created,
        Roles: [role('old')],
      },
    });
    await ensureInstanceProfile(iam, ctx, testNodeClass({ role: 'arn:aws:iam::123456789012:role/new' }));
    expect(m.commandCalls(CreateInstanceProfileCommand)).toHaveLength(0);
    expect(m.commandCalls(RemoveRoleFromInstanceProfileCommand)[0]?.args[0].input.RoleName).toBe('old');
    expect(m.commandCalls(AddRoleToInstanceProfileCommand)[0]?.args[0].input.RoleName).toBe('new');
  });

  it('names iam:CreateInstanceProfile when it is denied', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const m = mockClient(iam);
    m.on(GetInstanceProfileCommand).rejects(awsError('NoSuchEntity'));
    m.on(CreateInstanceProfileCommand).rejects(awsError('AccessDenied', 'not authorized'));
    await expect(ensureInstanceProfile(iam, ctx, testNodeClass())).rejects.toMatchObject({
      reason: 'AccessDenied',
      action: 'iam:CreateInstanceProfile',
    });
  });
});
