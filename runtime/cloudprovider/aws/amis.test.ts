import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { aliasParameterName, amiPerArch, resolveAmis } from './amis';
import { amiFamilyOf } from './block-devices';
import { awsError, testNodeClass } from './testing';

describe('aliasParameterName', () => {
  it.each([
    [
      'AL2023',
      'latest',
      'amd64',
      '/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id',
    ],
    [
      'AL2023',
      'latest',
      'arm64',
      '/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/image_id',
    ],
    [
      'AL2023',
      'v20250101',
      'amd64',
      '/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.33-v20250101/image_id',
    ],
    ['Bottlerocket', 'latest', 'arm64', '/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id'],
    ['Bottlerocket', 'v1.39.1', 'amd64', '/aws/service/bottlerocket/aws-k8s-1.33/x86_64/1.39.1/image_id'],
    ['AL2', 'latest', 'amd64', '/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id'],
    [
      'AL2',
      'latest',
      'arm64',
      '/aws/service/eks/optimized-ami/1.33/amazon-linux-2-arm64/recommended/image_id',
    ],
  ] as const)('%s@%s on %s', (family, version, arch, want) => {
    expect(aliasParameterName(family, version, '1.33', arch)).toBe(want);
  });

  it('refuses families it has no parameters for', () => {
    expect(() => aliasParameterName('Windows2022', 'latest', '1.33', 'amd64')).toThrow(/not supported/);
  });
});

describe('resolveAmis', () => {
  function clients() {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const ssm = new SSMClient({ region: 'us-east-1' });
    return { ec2, ssm, ec2Mock: mockClient(ec2), ssmMock: mockClient(ssm) };
  }

  it('reads an alias from the public SSM parameters, one per architecture, then describes the images', async () => {
    const { ec2, ssm, ec2Mock, ssmMock } = clients();
    ssmMock
      .on(GetParameterCommand, { Name: aliasParameterName('AL2023', 'latest', '1.33', 'amd64') })
      .resolves({ Parameter: { Value: 'ami-x86' } })
      .on(GetParameterCommand, { Name: aliasParameterName('AL2023', 'latest', '1.33', 'arm64') })
      .resolves({ Parameter: { Value: 'ami-arm' } });
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: 'ami-x86',
          Name: 'al2023-x86',
          Architecture: 'x86_64',
          CreationDate: '2026-01-01T00:00:00Z',
        },
        {
          ImageId: 'ami-arm',
          Name: 'al2023-arm',
          Architecture: 'arm64',
          CreationDate: '2026-01-02T00:00:00Z',
        },
      ],
    });
    const amis = await resolveAmis(ec2, ssm, testNodeClass(), '1.33');
    expect(ec2Mock.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      ImageIds: ['ami-x86', 'ami-arm'],
    });
    expect(amis.map((a) => `${a.arch}:${a.id}`)).toEqual(['arm64:ami-arm', 'amd64:ami-x86']);
    expect([...amiPerArch(amis).keys()].sort()).toEqual(['amd64', 'arm64']);
  });

  it('skips an architecture whose parameter does not exist', async () => {
    const { ec2, ssm, ec2Mock, ssmMock } = clients();
    ssmMock.on(GetParameterCommand).rejects(awsError('ParameterNotFound'));
    ssmMock
      .on(GetParameterCommand, { Name: aliasParameterName('Bottlerocket', 'latest', '1.33', 'amd64') })
      .resolves({ Parameter: { Value: 'ami-br' } });
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });
    const amis = await resolveAmis(
      ec2,
      ssm,
      testNodeClass({ amiSelectorTerms: [{ alias: 'bottlerocket@latest' }] }),
      '1.33',
    );
    expect(amis).toEqual([{ id: 'ami-br', arch: 'amd64' }]);
  });

  it('names ssm:GetParameter when it is denied', async () => {
    const { ec2, ssm, ssmMock } = clients();
    ssmMock.on(GetParameterCommand).rejects(awsError('AccessDeniedException'));
    await expect(resolveAmis(ec2, ssm, testNodeClass(), '1.33')).rejects.toMatchObject({
      reason: 'AccessDenied',
      action: 'ssm:GetParameter',
    });
  });

  it('selects by tags, name (own and Amazon images) and owner, newest first, deprecated last', async () => {
    const { ec2, ssm, ec2Mock } = clients();
    ec2Mock
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [{ ImageId: 'ami-old', Architecture: 'x86_64', CreationDate: '2025-01-01' }] })
      .resolvesOnce({
        Images: [
          { ImageId: 'ami-new', Architecture: 'x86_64', CreationDate: '2026-01-01' },
          {
            ImageId: 'ami-dep',
            Architecture: 'x86_64',
            CreationDate: '2026-06-01',
            DeprecationTime: '2020-01-01T00:00:00Z',
          },
        ],
      });
    const nc = testNodeClass({
      amiFamily: 'AL2023',
      amiSelectorTerms: [{ tags: { team: 'ml' } }, { name: 'my-ami-*', owner: '123456789012' }],
    });
    const amis = await resolveAmis(ec2, ssm, nc, '1.33');
    expect(ec2Mock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: 'tag:team', Values: ['ml'] }] },
      { Filters: [{ Name: 'name', Values: ['my-ami-*'] }], Owners: ['123456789012'] },
    ]);
    expect(amis.map((a) => a.id)).toEqual(['ami-new', 'ami-old', 'ami-dep']);
    expect(amiFamilyOf(nc)).toBe('AL2023');
  });

  it('defaults a name-only term to your own and Amazon images', async () => {
    const { ec2, ssm, ec2Mock } = clients();
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });
    await resolveAmis(
      ec2,
      ssm,
      testNodeClass({ amiFamily: 'AL2023', amiSelectorTerms: [{ name: 'x' }] }),
      '1.33',
    );
    expect(ec2Mock.commandCalls(DescribeImagesCommand)[0]?.args[0].input.Owners).toEqual(['self', 'amazon']);
  });
});
