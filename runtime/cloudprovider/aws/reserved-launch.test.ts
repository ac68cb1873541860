import { CreateFleetCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { OfferingReservation } from '../../scheduling/instance-types';
import { InsufficientCapacityError } from '../types';
import { chooseCapacityType, createFleetInput, launchInstance, type FleetOffering } from './fleet';
import { launchTemplateData, launchTemplateName, type LaunchTemplateOptions } from './launch-templates';
import { reservedLaunchOfferings } from './reserved-launch';
import { ManualClock } from './testing';
import { UnavailableOfferings } from './unavailable-offerings';

function reserved(
  instanceType: string,
  zone: string,
  reservation: Partial<OfferingReservation> & { id: string },
  price = 0.00000001,
): FleetOffering {
  return {
    instanceType,
    zone,
    subnetId: `subnet-${zone.slice(-1)}`,
    capacityType: 'reserved',
    price,
    launchTemplateName: `lt-${reservation.id}`,
    reservation: { type: 'default', interruptible: false, capacity: 1, ...reservation },
  };
}
const onDemand: FleetOffering = {
  instanceType: 'm5.large',
  zone: 'us-east-1a',
  subnetId: 'subnet-a',
  capacityType: 'on-demand',
  price: 0.096,
  launchTemplateName: 'lt-plain',
};
const tags = { Name: 'c1' };

describe('reserved launches', () => {
  it('prefer reserved capacity over spot and on-demand', () => {
    expect(chooseCapacityType([onDemand, reserved('m5.large', 'us-east-1a', { id: 'cr-1' })])).toBe(
      'reserved',
    );
  });

  it('take one reservation per type and zone, the one with the most room, of the first kind (ODCR first)', () => {
    const chosen = reservedLaunchOfferings([
      reserved('m5.large', 'us-east-1a', { id: 'cr-small', capacity: 1 }),
      reserved('m5.large', 'us-east-1a', { id: 'cr-big', capacity: 5 }),
      reserved('m5.large', 'us-east-1b', { id: 'cr-b', capacity: 1 }),
      reserved('m5.large', 'us-east-1a', { id: 'cr-block', type: 'capacity-block', capacity: 9 }),
      reserved('m5.large', 'us-east-1a', { id: 'cr-int', interruptible: true, capacity: 9 }),
      onDemand,
    ]);
    expect(chosen.map((o) => o.reservation?.id)).toEqual(['cr-big', 'cr-b']);
  });

  it('take a single capacity block, the cheapest, when only capacity blocks are left', () => {
    const chosen = reservedLaunchOfferings([
      reserved('p5.48xlarge', 'us-east-1a', { id: 'cr-x', type: 'capacity-block' }, 0.2),
      reserved('p4d.24xlarge', 'us-east-1a', { id: 'cr-y', type: 'capacity-block' }, 0.1),
    ]);
    expect(chosen.map((o) => o.reservation?.id)).toEqual(['cr-y']);
    const input = createFleetInput(chosen, 'reserved', 't', tags);
    expect(input.TargetCapacitySpecification).toEqual({
      TotalTargetCapacity: 1,
      DefaultTargetCapacityType: 'capacity-block',
    });
    expect(input.OnDemandOptions).toBeUndefined();
  });

  it('launch an ODCR as on-demand through the template that targets it; interruptible as reserved-capacity', () => {
    const input = createFleetInput(
      [reserved('m5.large', 'us-east-1a', { id: 'cr-1' }), onDemand],
      'reserved',
      't',
      tags,
    );
    expect(input.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('on-demand');
    expect(input.OnDemandOptions).toEqual({ AllocationStrategy: 'lowest-price' });
    // Priced by a NodeOverlay: prioritized, as an on-demand launch.
    const overlaid = createFleetInput(
      [reserved('m5.large', 'us-east-1a', { id: 'cr-1' })],
      'reserved',
      't',
      tags,
      {
        prioritized: true,
      },
    );
    expect(overlaid.OnDemandOptions).toEqual({ AllocationStrategy: 'prioritized' });
    expect(input.LaunchTemplateConfigs).toEqual([
      {
        LaunchTemplateSpecification: { LaunchTemplateName: 'lt-cr-1', Version: '$Latest' },
        Overrides: [{ InstanceType: 'm5.large', SubnetId: 'subnet-a', Priority: 0.00000001 }],
      },
    ]);
    const interruptible = createFleetInput(
      [reserved('m5.large', 'us-east-1a', { id: 'cr-i', interruptible: true })],
      'reserved',
      't',
      tags,
    );
    expect(interruptible.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('reserved-capacity');
    expect(interruptible.ReservedCapacityOptions).toEqual({
      ReservationTypes: ['interruptible-capacity-reservation'],
    });
  });

  it('empty a reservation EC2 has no capacity in and fall back to on-demand within the launch', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    const unavailable = new UnavailableOfferings(new ManualClock());
    const counts = new Map([['cr-1', 2]]);
    m.on(CreateFleetCommand)
      .resolvesOnce({
        Errors: [
          {
            ErrorCode: 'InsufficientInstanceCapacity',
            LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large', SubnetId: 'subnet-a' } },
          },
        ],
      })
      .resolves({
        Instances: [
          {
            InstanceIds: ['i-0abc'],
            InstanceType: 'm5.large',
            Lifecycle: 'on-demand',
            LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large', SubnetId: 'subnet-a' } },
          },
        ],
      });
    const got = await launchInstance(
      {
        ec2,
        unavailable,
        reservationCount: (id) => counts.get(id) ?? 0,
        markReservationUnavailable: (id) => counts.set(id, 0),
      },
      [reserved('m5.large', 'us-east-1a', { id: 'cr-1' }), onDemand],
      'uid',
      tags,
    );
    expect(got).toMatchObject({ capacityType: 'on-demand', instanceId: 'i-0abc' });
    expect(got.reservation).toBeUndefined();
    expect(counts.get('cr-1')).toBe(0);
    // The on-demand offering was not marked: the error was the reservation's.
    expect(unavailable.isUnavailable('on-demand', 'm5.large', 'us-east-1a')).toBe(false);
    const types = m
      .commandCalls(CreateFleetCommand)
      .map(
        (c) => c.args[0].input.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateName,
      );
    expect(types).toEqual(['lt-cr-1', 'lt-plain']);
  });

  it('report the reservation of an instance launched into one, and fail when a reserved-only claim finds it full', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1' });
    const m = mockClient(ec2);
    m.on(CreateFleetCommand).resolves({
      Instances: [
        {
          InstanceIds: ['i-0res'],
          InstanceType: 'm5.large',
          Lifecycle: 'on-demand',
          LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large', SubnetId: 'subnet-a' } },
        },
      ],
    });
    const opts = { ec2, unavailable: new UnavailableOfferings(new ManualClock()), reservationCount: () => 1 };
    const got = await launchInstance(opts, [reserved('m5.large', 'us-east-1a', { id: 'cr-1' })], 'u', tags);
    expect(got).toMatchObject({
      capacityType: 'reserved',
      reservation: { id: 'cr-1', type: 'default', interruptible: false },
    });
    await expect(
      launchInstance(
        { ...opts, reservationCount: () => 0 },
        [reserved('m5.large', 'us-east-1a', { id: 'cr-1' })],
        'u',
        tags,
      ),
    ).rejects.toBeInstanceOf(InsufficientCapacityError);
  });
});

describe('reserved launch templates', () => {
  const base: LaunchTemplateOptions = {
    clusterName: 'demo',
    nodePoolName: 'general',
    nodeClassName: 'default',
    amiFamily: 'AL2023',
    amiId: 'ami-123',
    securityGroupIds: ['sg-1'],
    instanceProfile: 'demo_profile',
  };

  it('target one reservation alone; others opt out of open reservations; nothing without the gate', () => {
    const target = { id: 'cr-1', type: 'default' as const, interruptible: false };
    expect(
      launchTemplateData({ ...base, capacityReservation: { target } }).CapacityReservationSpecification,
    ).toEqual({
      CapacityReservationPreference: 'capacity-reservations-only',
      CapacityReservationTarget: { CapacityReservationId: 'cr-1' },
    });
    expect(launchTemplateData({ ...base, capacityReservation: {} }).CapacityReservationSpecification).toEqual(
      {
        CapacityReservationPreference: 'none',
      },
    );
    expect(launchTemplateData(base).CapacityReservationSpecification).toBeUndefined();
    expect(
      launchTemplateData({ ...base, capacityReservation: { target: { ...target, type: 'capacity-block' } } })
        .InstanceMarketOptions,
    ).toEqual({ MarketType: 'capacity-block' });
    expect(
      launchTemplateData({ ...base, capacityReservation: { target: { ...target, interruptible: true } } })
        .InstanceMarketOptions,
    ).toEqual({ MarketType: 'interruptible-capacity-reservation' });
    const names = new Set([
      launchTemplateName(base),
      launchTemplateName({ ...base, capacityReservation: {} }),
      launchTemplateName({ ...base, capacityReservation: { target } }),
      launchTemplateName({ ...base, capacityReservation: { target: { ...target, id: 'cr-2' } } }),
    ]);
    expect(names.size).toBe(4);
  });
});
