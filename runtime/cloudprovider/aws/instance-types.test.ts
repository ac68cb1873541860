import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { allocatableOf, nodeOverhead } from '../../scheduling/allocatable';
import { eniLimitedPods, InstanceTypeProvider, INSTANCE_TYPES_TTL_MS, specFromEc2 } from './instance-types';
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
    NetworkCards: [{ BaselineBandwidthInGbps: 0.75 }],
  },
  SupportedUsageClasses: ['on-demand', 'spot'],
};
const M7G_LARGE: InstanceTypeInfo = {
  ...M5_LARGE,
  InstanceType: 'm7g.large',
  ProcessorInfo: { SupportedArchitectures: ['arm64'], Manufacturer: 'AWS' },
  SupportedUsageClasses: ['on-demand'],
};

function setup() {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const ec2Mock = mockClient(ec2);
  const clock = new ManualClock();
  ec2Mock.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [M5_LARGE, M7G_LARGE] });
  ec2Mock.on(DescribeInstanceTypeOfferingsCommand).resolves({
    InstanceTypeOfferings: [
      { InstanceType: 'm5.large', Location: 'us-east-1a', LocationType: 'availability-zone' },
      { InstanceType: 'm5.large', Location: 'us-east-1b', LocationType: 'availability-zone' },
      { InstanceType: 'm5.large', Location: 'us-east-1c', LocationType: 'availability-zone' },
      { InstanceType: 'm7g.large', Location: 'us-east-1a', LocationType: 'availability-zone' },
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
      onDemand: { 'm5.large': 0.096, 'm7g.large': 0.0816 },
    },
  });
  const unavailable = new UnavailableOfferings(clock);
  const provider = new InstanceTypeProvider({ ec2, pricing, unavailable, clock, region: 'us-east-1' });
  return { ec2Mock, clock, provider, unavailable };
}

describe('specFromEc2', () => {
  it('reads family, generation, category, arch and ENI-limited pods', () => {
    expect(specFromEc2(M5_LARGE)).toMatchObject({
      name: 'm5.large',
      family: 'm5',
      size: 'large',
      category: 'm',
      generation: 5,
      arch: 'amd64',
      cpuManufacturer: 'intel',
      maxPods: 29,
      networkBandwidthMbps: 750,
      supportsSpot: true,
    });
    expect(eniLimitedPods(3, 10)).toBe(29);
  });
  it('skips entries without sizes or a supported architecture', () => {
    expect(specFromEc2({ InstanceType: 'm5.large' })).toBeUndefined();
    expect(specFromEc2({ ...M5_LARGE, ProcessorInfo: { SupportedArchitectures: ['i386'] } })).toBeUndefined();
  });
});

describe('InstanceTypeProvider', () => {
  it('describes hvm x86_64/arm64 types and per-zone offerings', async () => {
    const { ec2Mock, provider } = setup();
    await provider.list(['us-east-1a', 'us-east-1b'], undefined);
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
    const types = await provider.list(['us-east-1a', 'us-east-1b'], { systemReserved: { cpu: '100m' } });
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
    const overhead = nodeOverhead(m5?.capacity ?? {}, 2, { systemReserved: { cpu: '100m' } }).total;
    expect(m5?.allocatable).toEqual(allocatableOf(m5?.capacity ?? {}, overhead));
    expect(m5?.capacity.pods).toBe(29);
    const m7g = types.find((t) => t.name === 'm7g.large');
    expect(m7g?.offerings.map((o) => o.capacityType)).toEqual(['on-demand']);
  });

  it('marks offerings unavailable while the ICE cache holds them', async () => {
    const { provider, unavailable, clock } = setup();
    unavailable.mark('spot', 'm5.large', 'us-east-1a');
    let m5 = (await provider.list(['us-east-1a'], undefined)).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.find((o) => o.capacityType === 'spot')?.available).toBe(false);
    clock.advance(3 * 60_000);
    m5 = (await provider.list(['us-east-1a'], undefined)).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.find((o) => o.capacityType === 'spot')?.available).toBe(true);
  });

  it('caches the EC2 answers for 5 minutes', async () => {
    const { ec2Mock, provider, clock } = setup();
    await provider.list(['us-east-1a'], undefined);
    await provider.list(['us-east-1b'], undefined);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
    clock.advance(INSTANCE_TYPES_TTL_MS);
    await provider.list(['us-east-1a'], undefined);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(2);
    expect(ec2Mock.commandCalls(DescribeInstanceTypeOfferingsCommand)).toHaveLength(2);
  });
});
