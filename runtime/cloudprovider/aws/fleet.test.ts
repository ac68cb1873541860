import { CreateFleetCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { NodeOverlayAnnotations } from '../../../sdk/api/nodeoverlay';
import { testNodeClaim } from '../../kube/testing';
import { InsufficientCapacityError } from '../types';
import {
  chooseCapacityType,
  createFleetInput,
  fleetContext,
  fleetPrioritized,
  launchInstance,
  type FleetOffering,
} from './fleet';
import { awsError, ManualClock, testNodeClass } from './testing';
import { UnavailableOfferings } from './unavailable-offerings';

function offering(
  instanceType: string,
  zone: string,
  capacityType: 'spot' | 'on-demand',
  price: number,
): FleetOffering {
  return {
    instanceType,
    zone,
    subnetId: `subnet-${zone.slice(-1)}`,
    capacityType,
    price,
    launchTemplateName: 'karpenter.k8s.aws/lt1',
  };
}

const offerings = [
  offering('m5.large', 'us-east-1a', 'spot', 0.03),
  offering('m5.large', 'us-east-1b', 'spot', 0.04),
  offering('c5.large', 'us-east-1a', 'spot', 0.02),
  offering('m5.large', 'us-east-1a', 'on-demand', 0.096),
];
const tags = { 'karpenter.sh/nodeclaim': 'c1', Name: 'c1' };

describe('createFleetInput', () => {
  it('is an instant fleet of one, price-capacity-optimized spot, overrides type × subnet with Priority = price', () => {
    expect(createFleetInput(offerings, 'spot', 'tok-0', tags)).toEqual({
      Type: 'instant',
      ClientToken: 'tok-0',
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
      SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateName: 'karpenter.k8s.aws/lt1', Version: '$Latest' },
          Overrides: [
            { InstanceType: 'c5.large', SubnetId: 'subnet-a', Priority: 0.02 },
            { InstanceType: 'm5.large', SubnetId: 'subnet-a', Priority: 0.03 },
            { InstanceType: 'm5.large', SubnetId: 'subnet-b', Priority: 0.04 },
          ],
        },
      ],
      TagSpecifications: ['instance', 'volume', 'fleet'].map((ResourceType) => ({
        ResourceType,
        Tags: [
          { Key: 'karpenter.sh/nodeclaim', Value: 'c1' },
          { Key: 'Name', Value: 'c1' },
        ],
      })),
    });
  });

  it("carries the node class's context as Context, and no Context key without one", () => {
    expect(createFleetInput(offerings, 'spot', 't', tags, { context: 'ctx-123' }).Context).toBe('ctx-123');
    expect(createFleetInput(offerings, 'spot', 't', tags)).not.toHaveProperty('Context');
  });

  it('uses lowest-price for on-demand', () => {
    const input = createFleetInput(offerings, 'on-demand', 't', tags);
    expect(input.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
    expect(input.SpotOptions).toBeUndefined();
    expect(input.LaunchTemplateConfigs?.[0]?.Overrides).toHaveLength(1);
  });

  it('goes by the given prices for a claim a NodeOverlay priced, as upstream: prioritized strategies', () => {
    // The overlay made the pricier-in-EC2 m5.large the cheapest: EC2 tries the lowest Priority first.
    const overlaid = [
      offering('c5.large', 'us-east-1a', 'spot', 0.05),
      offering('m5.large', 'us-east-1a', 'spot', 0.01),
    ];
    const spot = createFleetInput(overlaid, 'spot', 't', tags, { prioritized: true });
    expect(spot.SpotOptions).toEqual({ AllocationStrategy: 'capacity-optimized-prioritized' });
    expect(spot.LaunchTemplateConfigs?.[0]?.Overrides?.map((o) => [o.InstanceType, o.Priority])).toEqual([
      ['m5.large', 0.01],
      ['c5.large', 0.05],
    ]);
    const onDemand = createFleetInput(offerings, 'on-demand', 't', tags, { prioritized: true });
    expect(onDemand.OnDemandOptions).toEqual({ AllocationStrategy: 'prioritized' });
    // The annotation's presence decides, as upstream reads it; no annotation, EC2's own prices.
    const annotated = (value: string) =>
      testNodeClaim('c', {
        metadata: { annotations: { [NodeOverlayAnnotations.priceOverlayApplied]: value } },
      });
    expect(fleetPrioritized(annotated('true'))).toBe(true);
    expect(fleetPrioritized(annotated(''))).toBe(true);
    expect(fleetPrioritized(testNodeClaim('c'))).toBe(false);
  });

  it('prefers spot while any spot offering is left', () => {
    expect(chooseCapacityType(offerings)).toBe('spot');
    expect(chooseCapacityType(offerings.filter((o) => o.capacityType === 'on-demand'))).toBe('on-demand');
    expect(chooseCapacityType([])).toBeUndefined();
  });
});

describe('fleetContext', () => {
  const relaxed = (value: string) =>
    testNodeClaim('c1', {
      metadata: { annotations: { 'karpenter.sh/nodeclaim-min-values-relaxed': value } },
    });

  it('is spec.context, except for a claim whose minValues were relaxed (as upstream)', () => {
    const withContext = testNodeClass({ context: 'ctx-123' });
    expect(fleetContext(withContext, testNodeClaim('c1'))).toBe('ctx-123');
    expect(fleetContext(withContext, relaxed('false'))).toBe('ctx-123');
    expect(fleetContext(withContext, relaxed('true'))).toBeUndefined();
    expect(fleetContext(testNodeClass(), testNodeClaim('c1'))).toBeUndefined();
  });
});

describe('launchInstance', () => {
  function setup() {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const clock = new ManualClock();
    return { ec2, m: mockClient(ec2), clock, unavailable: new UnavailableOfferings(clock) };
  }
  const launchedOut = (type: string, subnet: string, lifecycle: 'spot' | 'on-demand') => ({
    Instances: [
      {
        InstanceIds: ['i-0abc'],
        InstanceType: type as 'm5.large',
        Lifecycle: lifecycle,
        LaunchTemplateAndOverrides: { Overrides: { InstanceType: type as 'm5.large', SubnetId: subnet } },
      },
    ],
  });

  it('returns the instance with its zone resolved from the subnet', async () => {
    const { ec2, m, unavailable } = setup();
    m.on(CreateFleetCommand).resolves(launchedOut('c5.large', 'subnet-a', 'spot'));
    await expect(launchInstance({ ec2, unavailable }, offerings, 'uid-1', tags)).resolves.toEqual({
      instanceId: 'i-0abc',
      instanceType: 'c5.large',
      zone: 'us-east-1a',
      subnetId: 'subnet-a',
      capacityType: 'spot',
    });
    expect(m.commandCalls(CreateFleetCommand)[0]?.args[0].input.ClientToken).toBe('uid-1-0');
  });

  it('marks ICE offerings unavailable for 3 minutes and falls back to the next ones (spot, then on-demand)', async () => {
    const { ec2, m, unavailable, clock } = setup();
    const ice = (type: string, subnet: string) => ({
      ErrorCode: 'InsufficientInstanceCapacity',
      ErrorMessage: 'none left',
      Lifecycle: 'spot' as const,
      LaunchTemplateAndOverrides: { Overrides: { InstanceType: type as 'm5.large', SubnetId: subnet } },
    });
    m.on(CreateFleetCommand)
      .resolvesOnce({ Errors: [ice('c5.large', 'subnet-a'), ice('m5.large', 'subnet-a')] })
      .resolvesOnce({ Errors: [{ ...ice('m5.large', 'subnet-b'), ErrorCode: 'UnfulfillableCapacity' }] })
      .resolvesOnce(launchedOut('m5.large', 'subnet-a', 'on-demand'));
    const got = await launchInstance({ ec2, unavailable }, offerings, 'uid-1', tags, { context: 'ctx-123' });
    expect(got.capacityType).toBe('on-demand');
    const inputs = m.commandCalls(CreateFleetCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.ClientToken)).toEqual(['uid-1-0', 'uid-1-1', 'uid-1-2']);
    // Every attempt, fallbacks included, goes with the context.
    expect(inputs.map((i) => i.Context)).toEqual(['ctx-123', 'ctx-123', 'ctx-123']);
    expect(inputs[1]?.LaunchTemplateConfigs?.[0]?.Overrides).toEqual([
      { InstanceType: 'm5.large', SubnetId: 'subnet-b', Priority: 0.04 },
    ]);
    expect(inputs[2]?.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('on-demand');
    expect(unavailable.isUnavailable('spot', 'c5.large', 'us-east-1a')).toBe(true);
    expect(unavailable.isUnavailable('spot', 'm5.large', 'us-east-1b')).toBe(true);
    clock.advance(3 * 60_000);
    expect(unavailable.isUnavailable('spot', 'c5.large', 'us-east-1a')).toBe(false);
  });

  it('throws InsufficientCapacityError when every offering is out of capacity', async () => {
    const { ec2, m, unavailable } = setup();
    m.on(CreateFleetCommand).resolves({
      Errors: [{ ErrorCode: 'MaxSpotInstanceCountExceeded', ErrorMessage: 'limit' }],
    });
    const spotOnly = offerings.filter((o) => o.capacityType === 'spot');
    await expect(launchInstance({ ec2, unavailable }, spotOnly, 'u', tags)).rejects.toBeInstanceOf(
      InsufficientCapacityError,
    );
    expect(m.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it('turns a non-capacity fleet error and a denied call into CloudProviderErrors naming ec2:CreateFleet', async () => {
    const { ec2, m, unavailable } = setup();
    m.on(CreateFleetCommand).resolvesOnce({
      Errors: [{ ErrorCode: 'InvalidLaunchTemplateName.NotFoundException', ErrorMessage: 'gone' }],
    });
    await expect(launchInstance({ ec2, unavailable }, offerings, 'u', tags)).rejects.toMatchObject({
      reason: 'InvalidParameter',
      action: 'ec2:CreateFleet',
    });
    m.on(CreateFleetCommand).rejects(awsError('UnauthorizedOperation', 'denied'));
    await expect(launchInstance({ ec2, unavailable }, offerings, 'u', tags)).rejects.toMatchObject({
      reason: 'AccessDenied',
      message: expect.stringContaining('allow "ec2:CreateFleet"'),
    });
  });
});
