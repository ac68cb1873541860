import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import {
  nodeClassCompatible,
  InstanceTypeProvider,
  INSTANCE_TYPES_TTL_MS,
  specFromEc2,
} from './instance-types';
import type { CapacitySettings, NodeClassShape } from '../../scheduling/allocatable';
import { PricingProvider } from './pricing';
import { ManualClock, silentLogger } from './testing';
import { UnavailableOfferings } from './unavailable-offerings';

const M5_LARGE: InstanceTypeInfo = {
  InstanceType: 'm5.large',
  VCpuInfo: { DefaultVCpus: 2 },
  MemoryInfo: { SizeInMiB: 8192 },
  ProcessorInfo: { SupportedArchitectures: ['x86_64'], Manufacturer: 'Intel' },
  Hypervisor: 'nitro',
  NetworkInfo: {
    MaximumNetworkInterfaces: 3,
    Ipv4AddressesPerInterface: 10,
    EnaSupport: 'required',
    NetworkCards: [{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 3, BaselineBandwidthInGbps: 0.75 }],
  },
  SupportedUsageClasses: ['on-demand', 'spot'],
};
const M7G_LARGE: InstanceTypeInfo = {
  ...M5_LARGE,
  InstanceType: 'm7g.large',
  ProcessorInfo: { SupportedArchitectures: ['arm64'], Manufacturer: 'AWS' },
  SupportedUsageClasses: ['on-demand'],
};
/** EC2 reports nested virtualization on it (as DescribeInstanceTypes does for the 7th-generation Intel types). */
const C7I_LARGE: InstanceTypeInfo = {
  ...M5_LARGE,
  InstanceType: 'c7i.large',
  ProcessorInfo: {
    SupportedArchitectures: ['x86_64'],
    Manufacturer: 'Intel',
    SupportedFeatures: ['nested-virtualization'],
  },
};
/** Four network cards of 15 ENIs each (60 in all); the VPC CNI only uses the default card's. */
const P4D_24XLARGE: InstanceTypeInfo = {
  InstanceType: 'p4d.24xlarge',
  VCpuInfo: { DefaultVCpus: 96 },
  MemoryInfo: { SizeInMiB: 1179648 },
  ProcessorInfo: { SupportedArchitectures: ['x86_64'], Manufacturer: 'Intel' },
  NetworkInfo: {
    MaximumNetworkInterfaces: 60,
    Ipv4AddressesPerInterface: 50,
    DefaultNetworkCardIndex: 0,
    EnaSupport: 'required',
    EfaInfo: { MaximumEfaInterfaces: 4 },
    NetworkCards: [0, 1, 2, 3].map((i) => ({
      NetworkCardIndex: i,
      MaximumNetworkInterfaces: 15,
      BaselineBandwidthInGbps: 100,
    })),
  },
};
const MiB = 2 ** 20;

function setup(capacity?: CapacitySettings, infos: InstanceTypeInfo[] = [M5_LARGE, M7G_LARGE]) {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const ec2Mock = mockClient(ec2);
  const clock = new ManualClock();
  ec2Mock.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: infos });
  ec2Mock.on(DescribeInstanceTypeOfferingsCommand).resolves({
    InstanceTypeOfferings: [
      { InstanceType: 'm5.large', Location: 'us-east-1a', LocationType: 'availability-zone' },
      { InstanceType: 'm5.large', Location: 'us-east-1b', LocationType: 'availability-zone' },
      { InstanceType: 'm5.large', Location: 'us-east-1c', LocationType: 'availability-zone' },
      { InstanceType: 'm7g.large', Location: 'us-east-1a', LocationType: 'availability-zone' },
      { InstanceType: 'c7i.large', Location: 'us-east-1a', LocationType: 'availability-zone' },
    ],
  });
  ec2Mock.on(DescribeSpotPriceHistoryCommand).resolves({
    SpotPriceHistory: [
      { InstanceType: 'm5.large', AvailabilityZone: 'us-east-1a', SpotPrice: '0.031', Timestamp: new Date() },
    ],
  });
  const pricing = new PricingProvider({
    ec2,
    pricing: new PricingClient({ region: 'us-east-1' }),
    region: 'us-east-1',
    clock,
    logger: silentLogger,
    usePricingApi: false,
    fallback: {
      source: 'test',
      generatedAt: '2026-01-01',
      region: 'us-east-1',
      onDemand: { 'm5.large': 0.096, 'm7g.large': 0.0816, 'c7i.large': 0.08925 },
    },
  });
  const unavailable = new UnavailableOfferings(clock);
  const provider = new InstanceTypeProvider({
    ec2,
    pricing,
    unavailable,
    clock,
    region: 'us-east-1',
    ...(capacity ? { capacity } : {}),
  });
  return { ec2Mock, clock, provider, unavailable };
}

describe('specFromEc2', () => {
  it('reads family, generation, category, arch and ENI limits', () => {
    expect(specFromEc2(M5_LARGE)).toMatchObject({
      name: 'm5.large',
      family: 'm5',
      size: 'large',
      category: 'm',
      generation: 5,
      arch: 'amd64',
      cpuManufacturer: 'intel',
      memoryMiB: 8192,
      maxENIs: 3,
      ipv4PerENI: 10,
      networkBandwidthMbps: 750,
      supportsSpot: true,
    });
  });
  it("counts the default network card's ENIs, not every card's", () => {
    expect(specFromEc2(P4D_24XLARGE)).toMatchObject({ maxENIs: 15, ipv4PerENI: 50 });
    expect(
      specFromEc2({
        ...P4D_24XLARGE,
        NetworkInfo: { ...P4D_24XLARGE.NetworkInfo, DefaultNetworkCardIndex: 1 },
      })?.maxENIs,
    ).toBe(15);
  });
  it('reads ENA support, each network card and the EFA devices, none without EfaInfo', () => {
    expect(specFromEc2(P4D_24XLARGE)).toMatchObject({
      enaSupport: 'required',
      networkCards: [0, 1, 2, 3].map((index) => ({ index, maxInterfaces: 15 })),
      maxEfaInterfaces: 4,
    });
    const m5 = specFromEc2(M5_LARGE);
    expect(m5?.networkCards).toEqual([{ index: 0, maxInterfaces: 3 }]);
    expect(m5).not.toHaveProperty('maxEfaInterfaces');
  });
  it("keeps the processor's supported features, none when EC2 lists none", () => {
    expect(specFromEc2(C7I_LARGE)?.processorFeatures).toEqual(['nested-virtualization']);
    expect(specFromEc2(M5_LARGE)?.processorFeatures).toEqual([]);
  });
  it('skips entries without sizes or a supported architecture', () => {
    expect(specFromEc2({ InstanceType: 'm5.large' })).toBeUndefined();
    expect(specFromEc2({ ...M5_LARGE, ProcessorInfo: { SupportedArchitectures: ['i386'] } })).toBeUndefined();
  });
});

describe('nodeClassCompatible', () => {
  const card = { enaSupport: 'required', networkCards: [{ index: 0, maxInterfaces: 3 }] };
  const nested = { processorFeatures: ['nested-virtualization'], hypervisor: 'nitro', ...card };
  const amdOnly = { processorFeatures: ['amd-sev-snp'], hypervisor: 'nitro', ...card };
  const none = { processorFeatures: [], hypervisor: 'nitro', ...card };
  const xen = { processorFeatures: ['nested-virtualization'], hypervisor: 'xen', ...card };
  const efaOnly = {
    networkInterfaces: [
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' as const },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' as const },
    ],
  };
  const enabled = { nestedVirtualization: 'enabled' as const };
  const tracking = { connectionTracking: { udpTimeout: 45 } };
  it.each([
    ['no settings', undefined, none, true],
    ['empty cpuOptions', { cpuOptions: {} }, none, true],
    [
      'nestedVirtualization disabled',
      { cpuOptions: { nestedVirtualization: 'disabled' as const } },
      none,
      true,
    ],
    ['enabled, feature reported', { cpuOptions: enabled }, nested, true],
    ['enabled, no features', { cpuOptions: enabled }, none, false],
    ['enabled, another feature only', { cpuOptions: enabled }, amdOnly, false],
    ['connectionTracking on a Nitro type', tracking, none, true],
    ['connectionTracking on a Xen type', tracking, xen, false],
    ['a Xen type without connectionTracking', { cpuOptions: enabled }, xen, true],
    [
      'networkInterfaces on a type with the cards and EFA devices',
      efaOnly,
      { ...none, maxEfaInterfaces: 1 },
      true,
    ],
    ['networkInterfaces with efa-only on a type without EFA', efaOnly, none, false],
  ])('%s', (_name, nodeClass, spec, expected) => {
    expect(nodeClassCompatible(spec, nodeClass)).toBe(expected);
  });
});

describe('InstanceTypeProvider', () => {
  it('describes hvm x86_64/arm64 types and per-zone offerings', async () => {
    const { ec2Mock, provider } = setup();
    await provider.list(['us-east-1a', 'us-east-1b'], {});
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: 'supported-virtualization-type', Values: ['hvm'] },
        { Name: 'processor-info.supported-architecture', Values: ['x86_64', 'arm64'] },
      ],
      MaxResults: 100,
      NextToken: undefined,
    });
    expect(ec2Mock.commandCalls(DescribeInstanceTypeOfferingsCommand)[0]?.args[0].input).toEqual({
      LocationType: 'availability-zone',
      MaxResults: 1000,
      NextToken: undefined,
    });
  });

  it('offers each type in the node class zones it is sold in, priced, with labels and shared-formula allocatable', async () => {
    const { provider } = setup();
    const kubelet = { systemReserved: { cpu: '100m' } };
    const types = await provider.list(['us-east-1a', 'us-east-1b'], { kubelet, amiFamily: 'AL2023' });
    const m5 = types.find((t) => t.name === 'm5.large');
    expect(m5?.offerings.map((o) => `${o.capacityType}:${o.zone}:${o.price}`).sort()).toEqual([
      'on-demand:us-east-1a:0.096',
      'on-demand:us-east-1b:0.096',
      'spot:us-east-1a:0.031',
      // No spot price known for 1b yet: the on-demand price stands in.
      'spot:us-east-1b:0.096',
    ]);
    expect(m5?.requirements.get('karpenter.k8s.aws/instance-family')?.has('m5')).toBe(true);
    expect(m5?.requirements.get('kubernetes.io/arch')?.has('amd64')).toBe(true);
    // 8192Mi less ceil(8192 × 0.075) = 615Mi of VM overhead; 3 ENIs × 9 + 2 pods; the label keeps 8192.
    expect(m5?.capacity).toMatchObject({ cpu: 2000, memory: 7577 * MiB, pods: 29 });
    expect(m5?.requirements.get('karpenter.k8s.aws/instance-memory')?.has('8192')).toBe(true);
    // 70m kubeReserved + 100m systemReserved; 7577 − (11 × 29 + 255) − 100 eviction.
    expect(m5?.allocatable).toMatchObject({ cpu: 1830, memory: 6903 * MiB, pods: 29 });
    const m7g = types.find((t) => t.name === 'm7g.large');
    expect(m7g?.offerings.map((o) => o.capacityType)).toEqual(['on-demand']);
    // Graviton: 64Mi CMA first, then ceil(8128 × 0.075) = 610Mi.
    expect(m7g?.capacity.memory).toBe(7518 * MiB);
  });

  it('sizes capacity with VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS', async () => {
    const { provider } = setup({ vmMemoryOverheadPercent: 0.1, reservedENIs: 1 });
    const m5 = (await provider.list(['us-east-1a'], {})).find((t) => t.name === 'm5.large');
    // 8192 − ceil(819.2); 2 usable ENIs × 9 + 2.
    expect(m5?.capacity).toMatchObject({ memory: 7372 * MiB, pods: 20 });
    // kubeReserved memory stays sized for all 3 ENIs (AL2023 rules): 7372 − 574 − 100.
    expect(m5?.allocatable.memory).toBe(6698 * MiB);
  });

  it("applies the node class's AMI family and kubelet pod settings, caching each apart", async () => {
    const { provider } = setup();
    const podsOf = async (node: NodeClassShape) =>
      (await provider.list(['us-east-1a'], node)).find((t) => t.name === 'm5.large')?.capacity.pods;
    expect(await podsOf({ amiFamily: 'AL2023', kubelet: { podsPerCore: 4 } })).toBe(8);
    expect(await podsOf({ amiFamily: 'Bottlerocket', kubelet: { podsPerCore: 4 } })).toBe(29);
    expect(await podsOf({ amiFamily: 'AL2023', kubelet: { maxPods: 110 } })).toBe(110);
  });

  it('offers only the types EC2 reports nested virtualization on when a node class enables it', async () => {
    const { ec2Mock, provider } = setup(undefined, [M5_LARGE, M7G_LARGE, C7I_LARGE]);
    const names = async (cpuOptions?: { nestedVirtualization?: 'enabled' | 'disabled' }) =>
      (await provider.list(['us-east-1a'], {}, cpuOptions ? { cpuOptions } : undefined))
        .map((t) => t.name)
        .sort();
    expect(await names({ nestedVirtualization: 'enabled' })).toEqual(['c7i.large']);
    // Cached apart: the narrowed list does not stand in for node classes without the setting.
    expect(await names()).toEqual(['c7i.large', 'm5.large', 'm7g.large']);
    expect(await names({ nestedVirtualization: 'disabled' })).toEqual(['c7i.large', 'm5.large', 'm7g.large']);
    expect(await names({ nestedVirtualization: 'enabled' })).toEqual(['c7i.large']);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
  });

  it('offers only Nitro types to a node class with connectionTracking', async () => {
    // An older Xen generation under a priced name, so only the hypervisor tells the two apart.
    const xen: InstanceTypeInfo = { ...M7G_LARGE, Hypervisor: 'xen' };
    const { provider } = setup(undefined, [M5_LARGE, xen]);
    const names = async (compat?: { connectionTracking: { tcpEstablishedTimeout: number } }) =>
      (await provider.list(['us-east-1a'], {}, compat)).map((t) => t.name).sort();
    expect(await names({ connectionTracking: { tcpEstablishedTimeout: 600 } })).toEqual(['m5.large']);
    expect(await names()).toEqual(['m5.large', 'm7g.large']);
  });

  it('offers a node class with networkInterfaces the types that fit them, with its EFA devices and pods', async () => {
    // g5.8xlarge-like: one card of 8 ENIs, 30 addresses each, one EFA device; m5.large has no EfaInfo.
    const g5: InstanceTypeInfo = {
      ...M5_LARGE,
      InstanceType: 'm7g.large',
      ProcessorInfo: { SupportedArchitectures: ['arm64'], Manufacturer: 'AWS' },
      NetworkInfo: {
        EnaSupport: 'required',
        Ipv4AddressesPerInterface: 30,
        EfaInfo: { MaximumEfaInterfaces: 1 },
        NetworkCards: [{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 8 }],
      },
    };
    const { ec2Mock, provider } = setup(undefined, [M5_LARGE, g5]);
    const interfaces = [
      { networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' as const },
      { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' as const },
    ];
    const list = (networkInterfaces?: typeof interfaces) =>
      provider.list(
        ['us-east-1a'],
        networkInterfaces ? { networkInterfaces } : {},
        networkInterfaces ? { networkInterfaces } : undefined,
      );
    const withEfa = await list(interfaces);
    expect(withEfa.map((t) => t.name)).toEqual(['m7g.large']);
    // One efa-only interface on card 0 takes an ENI from pods: (8 − 1) × 29 + 2.
    expect(withEfa[0]?.capacity).toMatchObject({ 'vpc.amazonaws.com/efa': 1, pods: 205 });
    // Cached apart: without interfaces both types, all 8 ENIs for pods, and the type's own EFA device.
    const plain = await list();
    expect(plain.map((t) => t.name).sort()).toEqual(['m5.large', 'm7g.large']);
    expect(plain.find((t) => t.name === 'm7g.large')?.capacity).toMatchObject({
      'vpc.amazonaws.com/efa': 1,
      pods: 234,
    });
    expect(plain.find((t) => t.name === 'm5.large')?.capacity).not.toHaveProperty('vpc.amazonaws.com/efa');
    expect((await list(interfaces.slice(0, 1))).map((t) => t.name).sort()).toEqual(['m5.large', 'm7g.large']);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
  });

  it('marks offerings unavailable while the ICE cache holds them', async () => {
    const { provider, unavailable, clock } = setup();
    unavailable.mark('spot', 'm5.large', 'us-east-1a');
    let m5 = (await provider.list(['us-east-1a'], {})).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.find((o) => o.capacityType === 'spot')?.available).toBe(false);
    clock.advance(3 * 60_000);
    m5 = (await provider.list(['us-east-1a'], {})).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.find((o) => o.capacityType === 'spot')?.available).toBe(true);
  });

  it('caches the EC2 answers for 5 minutes', async () => {
    const { ec2Mock, provider, clock } = setup();
    await provider.list(['us-east-1a'], {});
    await provider.list(['us-east-1b'], {});
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
    clock.advance(INSTANCE_TYPES_TTL_MS);
    await provider.list(['us-east-1a'], {});
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(2);
    expect(ec2Mock.commandCalls(DescribeInstanceTypeOfferingsCommand)).toHaveLength(2);
  });
});
