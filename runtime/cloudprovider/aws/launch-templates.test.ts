import { CreateLaunchTemplateCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { testNodeClaim } from '../../kube/testing';
import { instanceType } from '../../scheduling/testing';
import {
  claimLaunchTemplates,
  LAUNCH_TEMPLATE_TTL_MS,
  launchTemplateData,
  launchTemplateName,
  LaunchTemplateProvider,
  nodeClassTemplateOptions,
  type LaunchTemplateOptions,
} from './launch-templates';
import { volumeSizeGiB } from './block-devices';
import { awsError, ManualClock, testNodeClass } from './testing';

const base: LaunchTemplateOptions = {
  clusterName: 'demo',
  nodePoolName: 'general',
  nodeClassName: 'default',
  amiFamily: 'AL2023',
  amiId: 'ami-123',
  securityGroupIds: ['sg-1'],
  userData: 'hello',
  instanceProfile: 'demo_profile',
};

describe('launch template options', () => {
  it('names the template by a hash of every option', () => {
    const name = launchTemplateName(base);
    expect(name).toMatch(/^karpenter\.k8s\.aws\/[0-9a-f]{20}$/);
    expect(launchTemplateName({ ...base })).toBe(name);
    expect(launchTemplateName({ ...base, amiId: 'ami-456' })).not.toBe(name);
    expect(launchTemplateName({ ...base, userData: 'other' })).not.toBe(name);
    expect(launchTemplateName({ ...base, metadataOptions: { httpTokens: 'optional' } })).not.toBe(name);
    const names = [
      name,
      launchTemplateName({ ...base, ipv4PrefixCount: 1 }),
      launchTemplateName({ ...base, ipv4PrefixCount: 2 }),
      launchTemplateName({ ...base, ipv6PrefixCount: 1 }),
      launchTemplateName({ ...base, connectionTracking: { udpTimeout: 30 } }),
      launchTemplateName({ ...base, connectionTracking: { udpTimeout: 60 } }),
      launchTemplateName({ ...base, connectionTracking: { udpStreamTimeout: 60 } }),
      launchTemplateName({ ...base, cpuOptions: { nestedVirtualization: 'enabled' } }),
      launchTemplateName({ ...base, cpuOptions: { nestedVirtualization: 'disabled' } }),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  it('requires IMDSv2 with hop limit 1 by default and encodes user data', () => {
    const data = launchTemplateData(base);
    expect(data).toEqual({
      ImageId: 'ami-123',
      IamInstanceProfile: { Name: 'demo_profile' },
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: { VolumeSize: 20, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
        },
      ],
      MetadataOptions: {
        HttpEndpoint: 'enabled',
        HttpProtocolIpv6: 'disabled',
        HttpPutResponseHopLimit: 1,
        HttpTokens: 'required',
      },
      Monitoring: { Enabled: false },
      UserData: Buffer.from('hello').toString('base64'),
      SecurityGroupIds: ['sg-1'],
    });
  });

  it('puts groups on the interface when a public IP choice is made, and maps block devices', () => {
    const data = launchTemplateData({
      ...base,
      associatePublicIPAddress: false,
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', ebs: { volumeSize: '1Ti', volumeType: 'io2', iops: 3000, kmsKeyID: 'k' } },
      ],
    });
    expect(data.SecurityGroupIds).toBeUndefined();
    expect(data.NetworkInterfaces).toEqual([
      { DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-1'] },
    ]);
    expect(data.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 1024, VolumeType: 'io2', Iops: 3000, KmsKeyId: 'k' } },
    ]);
    expect(volumeSizeGiB('100G')).toBe(94);
  });

  it('puts IPv4 prefixes and connection tracking on the primary interface with the groups', () => {
    const data = launchTemplateData({
      ...base,
      ipv4PrefixCount: 2,
      connectionTracking: { tcpEstablishedTimeout: 432_000, udpStreamTimeout: 60, udpTimeout: 30 },
    });
    expect(data.SecurityGroupIds).toBeUndefined();
    expect(data.NetworkInterfaces).toEqual([
      {
        DeviceIndex: 0,
        Ipv4PrefixCount: 2,
        ConnectionTrackingSpecification: {
          TcpEstablishedTimeout: 432_000,
          UdpStreamTimeout: 60,
          UdpTimeout: 30,
        },
        Groups: ['sg-1'],
      },
    ]);
  });

  it('sends only the timeouts that are set, IPv6 prefixes as such, and a prefix count of 0 too', () => {
    expect(
      launchTemplateData({ ...base, ipv6PrefixCount: 1, connectionTracking: { udpTimeout: 45 } })
        .NetworkInterfaces,
    ).toEqual([
      {
        DeviceIndex: 0,
        Ipv6PrefixCount: 1,
        ConnectionTrackingSpecification: { UdpTimeout: 45 },
        Groups: ['sg-1'],
      },
    ]);
    const zero = launchTemplateData({ ...base, ipv4PrefixCount: 0, associatePublicIPAddress: true });
    expect(zero.SecurityGroupIds).toBeUndefined();
    expect(zero.NetworkInterfaces).toEqual([
      { DeviceIndex: 0, AssociatePublicIpAddress: true, Ipv4PrefixCount: 0, Groups: ['sg-1'] },
    ]);
  });

  it("sends cpuOptions' nestedVirtualization, either value, as CpuOptions", () => {
    expect(
      launchTemplateData({ ...base, cpuOptions: { nestedVirtualization: 'enabled' } }).CpuOptions,
    ).toEqual({
      NestedVirtualization: 'enabled',
    });
    expect(
      launchTemplateData({ ...base, cpuOptions: { nestedVirtualization: 'disabled' } }).CpuOptions,
    ).toEqual({ NestedVirtualization: 'disabled' });
    expect(launchTemplateData({ ...base, cpuOptions: {} })).not.toHaveProperty('CpuOptions');
  });

  it('gives Bottlerocket its OS and data volumes', () => {
    const data = launchTemplateData({ ...base, amiFamily: 'Bottlerocket' });
    expect(data.BlockDeviceMappings?.map((b) => `${b.DeviceName}:${b.Ebs?.VolumeSize}`)).toEqual([
      '/dev/xvda:4',
      '/dev/xvdb:20',
    ]);
  });
});

describe('nodeClassTemplateOptions', () => {
  const args = (clusterDNS: string | undefined, spec: Parameters<typeof testNodeClass>[0]) => ({
    cluster: {
      clusterName: 'demo',
      clusterEndpoint: 'https://api.demo',
      ...(clusterDNS ? { clusterDNS } : {}),
    },
    nodePoolName: 'general',
    nodeClass: testNodeClass(spec),
    resolved: { subnets: [], securityGroups: [{ id: 'sg-1' }], amis: [], instanceProfile: 'p', problems: {} },
  });

  it("gives ipPrefixCount to the cluster's IP family, told by the kube-dns ClusterIP (IPv4 when unknown)", () => {
    const opts = (dns: string | undefined) =>
      nodeClassTemplateOptions(args(dns, { ipPrefixCount: 3 }), 'ami-1', undefined);
    expect(opts('10.100.0.10')).toMatchObject({ ipv4PrefixCount: 3 });
    expect(opts('10.100.0.10')).not.toHaveProperty('ipv6PrefixCount');
    expect(opts('fd00:10:96::a')).toMatchObject({ ipv6PrefixCount: 3 });
    expect(opts('fd00:10:96::a')).not.toHaveProperty('ipv4PrefixCount');
    expect(opts(undefined)).toMatchObject({ ipv4PrefixCount: 3 });
  });

  it('carries connectionTracking, and adds neither setting for a node class without them', () => {
    const ct = { tcpEstablishedTimeout: 120 };
    expect(
      nodeClassTemplateOptions(args(undefined, { connectionTracking: ct }), 'ami-1', undefined),
    ).toMatchObject({ connectionTracking: ct });
    const plain = nodeClassTemplateOptions(args('10.100.0.10', {}), 'ami-1', undefined);
    for (const key of ['ipv4PrefixCount', 'ipv6PrefixCount', 'connectionTracking', 'ipv6'])
      expect(plain).not.toHaveProperty(key);
    expect(launchTemplateData(plain).SecurityGroupIds).toEqual(['sg-1']);
  });

  it("carries the node class's network interfaces, and the cluster's IPv6 for every addressed interface", () => {
    const networkInterfaces = [
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' as const },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' as const },
    ];
    const v6 = nodeClassTemplateOptions(args('fd00::a', { networkInterfaces }), 'ami-1', undefined);
    expect(v6).toMatchObject({ networkInterfaces, ipv6: true });
    expect(launchTemplateData(v6).NetworkInterfaces).toEqual([
      {
        NetworkCardIndex: 0,
        DeviceIndex: 0,
        InterfaceType: 'interface',
        PrimaryIpv6: true,
        Ipv6AddressCount: 1,
        Groups: ['sg-1'],
      },
      { NetworkCardIndex: 0, DeviceIndex: 1, InterfaceType: 'efa-only', Groups: ['sg-1'] },
    ]);
    // Without interfaces of its own, an IPv6 cluster's default interface gets its primary IPv6 address too.
    const v6Default = nodeClassTemplateOptions(args('fd00::a', {}), 'ami-1', undefined);
    expect(launchTemplateData(v6Default).NetworkInterfaces).toEqual([
      { DeviceIndex: 0, PrimaryIpv6: true, Ipv6AddressCount: 1, Groups: ['sg-1'] },
    ]);
    const v4 = nodeClassTemplateOptions(args('10.100.0.10', { networkInterfaces }), 'ami-1', undefined);
    expect(v4).not.toHaveProperty('ipv6');
    expect(launchTemplateName(v4)).not.toBe(
      launchTemplateName(nodeClassTemplateOptions(args('10.100.0.10', {}), 'ami-1', undefined)),
    );
    // An empty list launches the default interface, under the same name as no list.
    const empty = nodeClassTemplateOptions(
      args('10.100.0.10', { networkInterfaces: [] }),
      'ami-1',
      undefined,
    );
    expect(empty).not.toHaveProperty('networkInterfaces');
    expect(launchTemplateData(empty).SecurityGroupIds).toEqual(['sg-1']);
  });

  it('carries nestedVirtualization, and an empty cpuOptions names the same template as none', () => {
    const opts = (cpuOptions: { nestedVirtualization?: 'enabled' | 'disabled' } | undefined) =>
      nodeClassTemplateOptions(args(undefined, cpuOptions ? { cpuOptions } : {}), 'ami-1', undefined);
    expect(opts({ nestedVirtualization: 'enabled' })).toMatchObject({
      cpuOptions: { nestedVirtualization: 'enabled' },
    });
    expect(launchTemplateData(opts({ nestedVirtualization: 'disabled' })).CpuOptions).toEqual({
      NestedVirtualization: 'disabled',
    });
    expect(opts({})).not.toHaveProperty('cpuOptions');
    expect(launchTemplateName(opts({}))).toBe(launchTemplateName(opts(undefined)));
  });
});

describe('LaunchTemplateProvider', () => {
  it('creates a missing template with its tags, then trusts the cache for a minute', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeLaunchTemplatesCommand).rejects(awsError('InvalidLaunchTemplateName.NotFoundException'));
    m.on(CreateLaunchTemplateCommand).resolves({});
    const clock = new ManualClock();
    const p = new LaunchTemplateProvider(ec2, clock);
    const name = await p.ensure({ ...base, tags: { team: 'a' } });
    expect(m.commandCalls(DescribeLaunchTemplatesCommand)[0]?.args[0].input).toEqual({
      LaunchTemplateNames: [name],
    });
    expect(m.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input).toEqual({
      LaunchTemplateName: name,
      LaunchTemplateData: launchTemplateData({ ...base, tags: { team: 'a' } }),
      TagSpecifications: [
        {
          ResourceType: 'launch-template',
          Tags: [
            { Key: 'team', Value: 'a' },
            { Key: 'kubernetes.io/cluster/demo', Value: 'owned' },
            { Key: 'eks:eks-cluster-name', Value: 'demo' },
            { Key: 'karpenter.sh/nodepool', Value: 'general' },
            { Key: 'karpenter.k8s.aws/ec2nodeclass', Value: 'default' },
          ],
        },
      ],
    });
    await p.ensure({ ...base, tags: { team: 'a' } });
    expect(m.calls()).toHaveLength(2);
    clock.advance(LAUNCH_TEMPLATE_TTL_MS);
    m.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateName: name }] });
    await p.ensure({ ...base, tags: { team: 'a' } });
    expect(m.commandCalls(DescribeLaunchTemplatesCommand)).toHaveLength(2);
    expect(m.commandCalls(CreateLaunchTemplateCommand)).toHaveLength(1);
  });

  it('accepts a template another launch created meanwhile, and names the call on other failures', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    m.on(CreateLaunchTemplateCommand).rejectsOnce(
      awsError('InvalidLaunchTemplateName.AlreadyExistsException'),
    );
    const p = new LaunchTemplateProvider(ec2, new ManualClock());
    await expect(p.ensure(base)).resolves.toBe(launchTemplateName(base));
    m.on(CreateLaunchTemplateCommand).rejects(awsError('UnauthorizedOperation'));
    await expect(p.ensure({ ...base, amiId: 'ami-9' })).rejects.toMatchObject({
      reason: 'AccessDenied',
      action: 'ec2:CreateLaunchTemplate',
    });
  });
});

describe('claimLaunchTemplates', () => {
  it("builds one template per AMI, its user data told the cluster's DNS, and reuses it for types that share it", async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    m.on(CreateLaunchTemplateCommand).resolves({});
    const templateFor = claimLaunchTemplates(new LaunchTemplateProvider(ec2, new ManualClock()), {
      cluster: { clusterName: 'demo', clusterEndpoint: 'https://api.demo', clusterDNS: '10.100.0.10' },
      nodePoolName: 'general',
      nodeClass: testNodeClass({ userData: '#!/bin/bash\necho mine' }),
      resolved: {
        subnets: [],
        securityGroups: [{ id: 'sg-1' }],
        amis: [],
        instanceProfile: 'p',
        problems: {},
      },
      nodeClaim: testNodeClaim('general-x1'),
    });
    const x86 = { id: 'ami-x86', arch: 'amd64' };
    const names = await Promise.all([
      templateFor(instanceType('m5.large'), x86),
      templateFor(instanceType('c5.large'), x86),
      templateFor(instanceType('m7g.large'), { id: 'ami-arm', arch: 'arm64' }),
    ]);
    expect(names[0]).toBe(names[1]);
    expect(names[2]).not.toBe(names[0]);
    const created = m.commandCalls(CreateLaunchTemplateCommand).map((c) => c.args[0].input);
    expect(created.map((i) => i.LaunchTemplateData?.ImageId)).toEqual(['ami-x86', 'ami-arm']);
    const userData = Buffer.from(created[0]?.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain('echo mine');
    expect(userData).toMatch(/clusterDNS:\n\s+- 10\.100\.0\.10\n/);
    // The pods the scheduler planned with, always written (as upstream), not left to the AMI's own default.
    expect(userData).toContain(`maxPods: ${instanceType('m5.large').capacity.pods}\n`);
  });
});
