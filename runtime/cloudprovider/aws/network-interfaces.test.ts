import { CreateLaunchTemplateCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { NetworkInterface } from '../../../sdk/api/ec2nodeclass';
import { testNodeClaim } from '../../kube/testing';
import { instanceType } from '../../scheduling/testing';
import { claimLaunchTemplates, LaunchTemplateProvider } from './launch-templates';
import {
  launchedResources,
  launchEfaCount,
  networkInterfacesCompatible,
  requestsEfa,
  templateNetworkInterfaces,
  type NetworkHardware,
} from './network-interfaces';
import { ManualClock, testNodeClass } from './testing';

const EFA = 'vpc.amazonaws.com/efa';
const nic = (
  networkCardIndex: number,
  deviceIndex: number,
  interfaceType: NetworkInterface['interfaceType'] = 'interface',
): NetworkInterface => ({ networkCardIndex, deviceIndex, interfaceType });

// As DescribeInstanceTypes reports them: p4d.24xlarge (4 cards × 15, 4 EFA), g5.8xlarge (1 card × 8, 1 EFA),
// m5.large (1 card × 3, no EfaInfo), and an old type without ENA.
const P4D: NetworkHardware = {
  enaSupport: 'required',
  networkCards: [0, 1, 2, 3].map((index) => ({ index, maxInterfaces: 15 })),
  maxEfaInterfaces: 4,
};
const G5: NetworkHardware = {
  enaSupport: 'required',
  networkCards: [{ index: 0, maxInterfaces: 8 }],
  maxEfaInterfaces: 1,
};
const M5: NetworkHardware = { enaSupport: 'required', networkCards: [{ index: 0, maxInterfaces: 3 }] };
const NO_ENA: NetworkHardware = { ...M5, enaSupport: 'unsupported' };

describe('networkInterfacesCompatible (upstream networkInterfaceCheck)', () => {
  const primary = [nic(0, 0)];
  const efaOnCard1 = [nic(0, 0), nic(1, 0, 'efa-only')];
  it.each<[string, NetworkHardware, NetworkInterface[] | undefined, boolean]>([
    ['any type when the node class lists none', NO_ENA, undefined, true],
    ['the primary interface alone on an ENA type', M5, primary, true],
    ['an empty list needs network cards and ENA too', NO_ENA, [], false],
    ['no type without ENA', NO_ENA, primary, false],
    ['no type that reports no network cards', { enaSupport: 'required', networkCards: [] }, primary, false],
    ['a device index below the card maximum', M5, [nic(0, 0), nic(0, 2)], true],
    ['no device index at the card maximum', M5, [nic(0, 0), nic(0, 3)], false],
    ['a network card the type has', P4D, efaOnCard1, true],
    ['no network card the type lacks', G5, [nic(0, 0), nic(1, 0)], false],
    [
      'efa-only interfaces up to the EFA devices',
      P4D,
      [...efaOnCard1, nic(2, 0, 'efa-only'), nic(3, 0, 'efa-only')],
      true,
    ],
    [
      'no more efa-only interfaces than EFA devices',
      G5,
      [nic(0, 0), nic(0, 1, 'efa-only'), nic(0, 2, 'efa-only')],
      false,
    ],
    ['no efa-only interface on a type without EfaInfo', M5, [nic(0, 0), nic(0, 1, 'efa-only')], false],
  ])('%s', (_name, hw, interfaces, expected) => {
    expect(networkInterfacesCompatible(hw, interfaces)).toBe(expected);
  });
});

describe('EFA devices a launch attaches, and what the launched claim reports', () => {
  const asking = testNodeClaim('efa', { spec: { resources: { requests: { cpu: '1', [EFA]: '1' } } } });
  const plain = testNodeClaim('plain', { spec: { resources: { requests: { cpu: '1' } } } });
  const p4dType = {
    capacity: { cpu: 96_000, pods: 737, [EFA]: 4 },
    allocatable: { cpu: 95_000, pods: 737, [EFA]: 4 },
  };

  it('takes the request key as asking for EFA, whatever the amount', () => {
    expect(requestsEfa(asking)).toBe(true);
    expect(requestsEfa(testNodeClaim('zero', { spec: { resources: { requests: { [EFA]: '0' } } } }))).toBe(
      true,
    );
    expect(requestsEfa(plain)).toBe(false);
  });

  it("attaches the type's EFA devices for a claim requesting them or a node class listing interfaces", () => {
    expect(launchEfaCount(asking, undefined, p4dType.capacity)).toBe(4);
    expect(launchEfaCount(plain, undefined, p4dType.capacity)).toBe(0);
    // Capacity computed under the node class's interfaces holds its efa-only count.
    expect(launchEfaCount(plain, [nic(0, 0), nic(1, 0, 'efa-only')], { [EFA]: 1 })).toBe(1);
    expect(launchEfaCount(asking, [], {})).toBe(0);
  });

  it('reports vpc.amazonaws.com/efa on the claim only when the launch attached EFA devices', () => {
    expect(launchedResources(p4dType, asking, undefined)).toEqual({
      capacity: { cpu: '96', pods: '737', [EFA]: '4' },
      allocatable: { cpu: '95', pods: '737', [EFA]: '4' },
    });
    expect(launchedResources(p4dType, plain, undefined)).toEqual({
      capacity: { cpu: '96', pods: '737' },
      allocatable: { cpu: '95', pods: '737' },
    });
    expect(launchedResources(p4dType, plain, [nic(0, 0), nic(0, 1, 'efa-only')]).capacity[EFA]).toBe('4');
  });
});

describe('templateNetworkInterfaces (upstream generateNetworkInterfaces)', () => {
  const groups = ['sg-1', 'sg-2'];
  const ct = { udpTimeout: 45 };

  it('writes one interface per node class interface, the efa-only ones without addresses or tracking', () => {
    expect(
      templateNetworkInterfaces({
        securityGroupIds: groups,
        associatePublicIPAddress: false,
        ipv4PrefixCount: 2,
        connectionTracking: ct,
        networkInterfaces: [nic(0, 0), nic(0, 1, 'efa-only'), nic(1, 0, 'efa-only'), nic(1, 1)],
        // The node class's interfaces decide: a claim's EFA count adds nothing.
        efaCount: 4,
      }),
    ).toEqual([
      {
        NetworkCardIndex: 0,
        DeviceIndex: 0,
        InterfaceType: 'interface',
        AssociatePublicIpAddress: false,
        Ipv4PrefixCount: 2,
        ConnectionTrackingSpecification: { UdpTimeout: 45 },
        Groups: groups,
      },
      { NetworkCardIndex: 0, DeviceIndex: 1, InterfaceType: 'efa-only', Groups: groups },
      { NetworkCardIndex: 1, DeviceIndex: 0, InterfaceType: 'efa-only', Groups: groups },
      {
        NetworkCardIndex: 1,
        DeviceIndex: 1,
        InterfaceType: 'interface',
        AssociatePublicIpAddress: false,
        Ipv4PrefixCount: 2,
        ConnectionTrackingSpecification: { UdpTimeout: 45 },
        Groups: groups,
      },
    ]);
  });

  it('gives the addressed interfaces a primary IPv6 address and IPv6 prefixes in an IPv6 cluster', () => {
    expect(
      templateNetworkInterfaces({
        securityGroupIds: groups,
        ipv6: true,
        ipv6PrefixCount: 1,
        networkInterfaces: [nic(0, 0), nic(0, 1, 'efa-only')],
      }),
    ).toEqual([
      {
        NetworkCardIndex: 0,
        DeviceIndex: 0,
        InterfaceType: 'interface',
        Ipv6PrefixCount: 1,
        PrimaryIpv6: true,
        Ipv6AddressCount: 1,
        Groups: groups,
      },
      { NetworkCardIndex: 0, DeviceIndex: 1, InterfaceType: 'efa-only', Groups: groups },
    ]);
  });

  it('writes an efa interface per EFA device otherwise, device index 1 past card 0, with the usual settings', () => {
    expect(
      templateNetworkInterfaces({
        securityGroupIds: groups,
        efaCount: 3,
        ipv4PrefixCount: 1,
        connectionTracking: ct,
      }),
    ).toEqual(
      [0, 1, 2].map((card) => ({
        NetworkCardIndex: card,
        DeviceIndex: card === 0 ? 0 : 1,
        InterfaceType: 'efa',
        Ipv4PrefixCount: 1,
        ConnectionTrackingSpecification: { UdpTimeout: 45 },
        Groups: groups,
      })),
    );
    // An empty list of the node class's is no list: the EFA devices go on as above.
    expect(
      templateNetworkInterfaces({ securityGroupIds: groups, efaCount: 1, networkInterfaces: [] }),
    ).toEqual([{ NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: 'efa', Groups: groups }]);
  });

  it('otherwise writes the primary interface only when a setting or an IPv6 cluster needs it', () => {
    expect(templateNetworkInterfaces({ securityGroupIds: groups })).toBeUndefined();
    expect(templateNetworkInterfaces({ securityGroupIds: groups, efaCount: 0 })).toBeUndefined();
    // An IPv6 cluster's primary interface gets its primary IPv6 address, as upstream's.
    expect(templateNetworkInterfaces({ securityGroupIds: groups, ipv6: true })).toEqual([
      { DeviceIndex: 0, PrimaryIpv6: true, Ipv6AddressCount: 1, Groups: groups },
    ]);
    expect(templateNetworkInterfaces({ securityGroupIds: groups, associatePublicIPAddress: true })).toEqual([
      { DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: groups },
    ]);
  });
});

describe('claimLaunchTemplates with EFA', () => {
  const withEfa = (name: string, count: number) => {
    const it = instanceType(name);
    return {
      ...it,
      capacity: { ...it.capacity, [EFA]: count },
      allocatable: { ...it.allocatable, [EFA]: count },
    };
  };

  async function templates(
    spec: Parameters<typeof testNodeClass>[0],
    requests: Record<string, string>,
    types: ReturnType<typeof instanceType>[],
  ) {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
    m.on(CreateLaunchTemplateCommand).resolves({});
    const templateFor = claimLaunchTemplates(new LaunchTemplateProvider(ec2, new ManualClock()), {
      cluster: { clusterName: 'demo', clusterEndpoint: 'https://api.demo', clusterDNS: '10.100.0.10' },
      nodePoolName: 'general',
      nodeClass: testNodeClass(spec),
      resolved: {
        subnets: [],
        securityGroups: [{ id: 'sg-1' }],
        amis: [],
        instanceProfile: 'p',
        problems: {},
      },
      nodeClaim: testNodeClaim('general-x1', { spec: { resources: { requests } } }),
    });
    const names = await Promise.all(types.map((t) => templateFor(t, { id: 'ami-x86', arch: 'amd64' })));
    const created = m.commandCalls(CreateLaunchTemplateCommand).map((c) => c.args[0].input);
    return { names, interfaces: created.map((c) => c.LaunchTemplateData?.NetworkInterfaces) };
  }

  it('attaches every EFA device of the type for a claim requesting EFA, one template per EFA count', async () => {
    const { names, interfaces } = await templates({ ipPrefixCount: 1 }, { cpu: '1', [EFA]: '1' }, [
      withEfa('m5.large', 2),
      instanceType('c5.large'),
    ]);
    expect(names[0]).not.toBe(names[1]);
    expect(interfaces).toEqual([
      [0, 1].map((card) => ({
        NetworkCardIndex: card,
        DeviceIndex: card,
        InterfaceType: 'efa',
        Ipv4PrefixCount: 1,
        Groups: ['sg-1'],
      })),
      [{ DeviceIndex: 0, Ipv4PrefixCount: 1, Groups: ['sg-1'] }],
    ]);
  });

  it('attaches none for a claim that does not request EFA: one template for types with and without', async () => {
    const { names, interfaces } = await templates({}, { cpu: '1' }, [
      withEfa('m5.large', 2),
      instanceType('c5.large'),
    ]);
    expect(names[0]).toBe(names[1]);
    expect(interfaces).toEqual([undefined]);
  });

  it("launches the node class's own interfaces whether or not the claim requests EFA", async () => {
    const networkInterfaces = [
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' as const },
      { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' as const },
    ];
    const asked = await templates({ networkInterfaces }, { [EFA]: '1' }, [withEfa('m5.large', 1)]);
    const plain = await templates({ networkInterfaces }, {}, [withEfa('m5.large', 1)]);
    expect(asked.names).toEqual(plain.names);
    expect(asked.interfaces).toEqual([
      [
        { NetworkCardIndex: 0, DeviceIndex: 0, InterfaceType: 'interface', Groups: ['sg-1'] },
        { NetworkCardIndex: 1, DeviceIndex: 0, InterfaceType: 'efa-only', Groups: ['sg-1'] },
      ],
    ]);
  });
});
