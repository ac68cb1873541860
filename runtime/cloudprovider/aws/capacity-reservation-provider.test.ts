/**
 * The AWS provider's reserved-capacity path over mocked SDK clients: moto (5.2.1 here) does not emulate
 * DescribeCapacityReservations or launches into a reservation, so the answers below are recorded SDK shapes.
 */
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DescribeCapacityReservationsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { Labels } from '../../../sdk/api/well-known';
import { Kinds } from '../../kube/kinds';
import type { NodeClaim } from '../../kube/objects';
import { InsufficientCapacityError } from '../types';
import { claim, pool, setup } from './provider-testing';
import { testNodeClass } from './testing';

const RESERVATION = {
  CapacityReservationId: 'cr-0aaa',
  OwnerId: '123456789012',
  InstanceType: 'm5.large' as const,
  AvailabilityZone: 'us-east-1a',
  AvailableInstanceCount: 1,
  TotalInstanceCount: 2,
  State: 'active' as const,
  InstanceMatchCriteria: 'targeted' as const,
  ReservationType: 'default' as const,
};
const nodeClass = testNodeClass({ capacityReservationSelectorTerms: [{ id: 'cr-0aaa' }] });

/** CreateFleet's answer for an m5.large in subnet-a. */
const launchedM5 = (id: string) => ({
  Instances: [
    {
      InstanceIds: [id],
      InstanceType: 'm5.large' as const,
      Lifecycle: 'on-demand' as const,
      LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large' as const, SubnetId: 'subnet-a' } },
    },
  ],
});

function reservedClaim(name: string): NodeClaim {
  const c = claim(['reserved', 'on-demand']);
  c.metadata.name = name;
  c.metadata.uid = `uid-${name}`;
  return c;
}

async function reservedSetup(reservedCapacity?: boolean) {
  const s = await setup(nodeClass, reservedCapacity === undefined ? {} : { reservedCapacity });
  s.ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [RESERVATION] });
  s.ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [] });
  s.ec2.on(CreateLaunchTemplateCommand).resolves({});
  return s;
}

describe('AwsCloudProvider with capacity reservations', () => {
  it('writes status.capacityReservations and CapacityReservationsReady, and offers the reservation', async () => {
    const { api, ec2, provider } = await reservedSetup();
    const types = await provider.getInstanceTypes(pool);
    expect(ec2.commandCalls(DescribeCapacityReservationsCommand)[0]?.args[0].input).toMatchObject({
      CapacityReservationIds: ['cr-0aaa'],
      Filters: [{ Name: 'state', Values: ['active'] }],
    });
    const m5 = types.find((t) => t.name === 'm5.large');
    expect(m5?.offerings.filter((o) => o.capacityType === 'reserved')).toEqual([
      expect.objectContaining({
        zone: 'us-east-1a',
        available: true,
        reservation: { id: 'cr-0aaa', type: 'default', interruptible: false, capacity: 1 },
      }),
    ]);
    const nc = await api.get(Kinds.EC2NodeClass, 'default');
    expect(nc?.status?.capacityReservations).toEqual([
      {
        availabilityZone: 'us-east-1a',
        id: 'cr-0aaa',
        instanceMatchCriteria: 'targeted',
        instanceType: 'm5.large',
        ownerID: '123456789012',
        reservationType: 'default',
        interruptible: false,
        state: 'active',
      },
    ]);
    expect(nc?.status?.conditions?.find((c) => c.type === 'CapacityReservationsReady')?.status).toBe('True');
  });

  it('launches into the reservation through a targeting template, labels the claim, and counts the slot', async () => {
    const { ec2, provider } = await reservedSetup();
    ec2.on(CreateFleetCommand).resolves(launchedM5('i-0a1'));
    const out = await provider.create(reservedClaim('r1'));
    expect(out.metadata.labels).toMatchObject({
      [Labels.capacityType]: 'reserved',
      [Labels.capacityReservationId]: 'cr-0aaa',
      [Labels.capacityReservationType]: 'default',
      [Labels.capacityReservationInterruptible]: 'false',
      [Labels.zone]: 'us-east-1a',
    });
    const fleet = ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input;
    expect(fleet?.TargetCapacitySpecification?.DefaultTargetCapacityType).toBe('on-demand');
    expect(fleet?.LaunchTemplateConfigs?.[0]?.Overrides).toEqual([
      expect.objectContaining({ InstanceType: 'm5.large', SubnetId: 'subnet-a' }),
    ]);
    const template = ec2
      .commandCalls(CreateLaunchTemplateCommand)
      .map((c) => c.args[0].input)
      .find(
        (i) =>
          i.LaunchTemplateName ===
          fleet?.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateName,
      );
    expect(template?.LaunchTemplateData?.CapacityReservationSpecification).toEqual({
      CapacityReservationPreference: 'capacity-reservations-only',
      CapacityReservationTarget: { CapacityReservationId: 'cr-0aaa' },
    });
    // The reservation is full now: the next plan sees no reserved offering available.
    expect(provider.reservations.availability.count('cr-0aaa')).toBe(0);
    const m5 = (await provider.getInstanceTypes(pool)).find((t) => t.name === 'm5.large');
    expect(m5?.offerings.find((o) => o.capacityType === 'reserved')?.available).toBe(false);

    // The next claim falls back to on-demand, through templates that opt out of open reservations.
    ec2.on(CreateFleetCommand).resolves(launchedM5('i-0a2'));
    const second = await provider.create(reservedClaim('r2'));
    expect(second.metadata.labels?.[Labels.capacityType]).toBe('on-demand');
    expect(second.metadata.labels?.[Labels.capacityReservationId]).toBeUndefined();
    const plain = ec2
      .commandCalls(CreateLaunchTemplateCommand)
      .map((c) => c.args[0].input.LaunchTemplateData);
    expect(
      plain.some((d) => d?.CapacityReservationSpecification?.CapacityReservationPreference === 'none'),
    ).toBe(true);

    // Terminating the reserved node gives the slot back.
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0a1', State: { Name: 'running' } }] }],
    });
    ec2.on(TerminateInstancesCommand).resolves({});
    await provider.delete(out);
    expect(provider.reservations.availability.count('cr-0aaa')).toBe(1);
  });

  it('a claim pinned to a full reservation gets insufficient capacity, not an on-demand node', async () => {
    const { ec2, provider } = await reservedSetup();
    ec2.on(DescribeCapacityReservationsCommand).resolves({
      CapacityReservations: [{ ...RESERVATION, AvailableInstanceCount: 0 }],
    });
    const c = reservedClaim('r3');
    c.spec.requirements = [
      { key: Labels.capacityType, operator: 'In', values: ['reserved'] },
      { key: Labels.capacityReservationId, operator: 'In', values: ['cr-0aaa'] },
      { key: Labels.instanceType, operator: 'In', values: ['m5.large'] },
    ];
    await expect(provider.create(c)).rejects.toBeInstanceOf(InsufficientCapacityError);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(0);
  });

  it('reads an instance launched into a reservation back as reserved, only with the gate on', async () => {
    const instance = {
      InstanceId: 'i-0a9',
      InstanceType: 'm5.large' as const,
      State: { Name: 'running' as const },
      Placement: { AvailabilityZone: 'us-east-1a' },
      CapacityReservationId: 'cr-0aaa',
      CapacityReservationSpecification: {
        CapacityReservationPreference: 'capacity-reservations-only' as const,
      },
    };
    for (const [gate, ct] of [
      [true, 'reserved'],
      [false, 'on-demand'],
    ] as const) {
      const { ec2, provider } = await reservedSetup(gate);
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance] }] });
      const got = await provider.get('aws:///us-east-1a/i-0a9');
      expect(got.metadata.labels?.[Labels.capacityType]).toBe(ct);
    }
  });

  it('with the gate off, neither resolves the terms nor offers reserved capacity nor reports the condition', async () => {
    const { api, ec2, provider } = await reservedSetup(false);
    const types = await provider.getInstanceTypes(pool);
    expect(ec2.commandCalls(DescribeCapacityReservationsCommand)).toHaveLength(0);
    expect(types.flatMap((t) => t.offerings).some((o) => o.capacityType === 'reserved')).toBe(false);
    const nc = await api.get(Kinds.EC2NodeClass, 'default');
    expect(nc?.status?.capacityReservations).toBeUndefined();
    expect(nc?.status?.conditions?.some((c) => c.type === 'CapacityReservationsReady')).toBe(false);
  });

  it('drifts a reserved node whose reservation the node class no longer selects', async () => {
    const { api, ec2, provider } = await reservedSetup();
    ec2.on(CreateFleetCommand).resolves(launchedM5('i-0a1'));
    const launched = await provider.create(reservedClaim('r1'));
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0a1',
              State: { Name: 'running' },
              ImageId: 'ami-x86',
              SubnetId: 'subnet-a',
              SecurityGroups: [{ GroupId: 'sg-1' }],
            },
          ],
        },
      ],
    });
    expect(await provider.isDrifted(launched)).toBeUndefined();
    const nc = await api.get(Kinds.EC2NodeClass, 'default');
    await api.update(Kinds.EC2NodeClass, {
      ...nc!,
      spec: { ...nc!.spec, capacityReservationSelectorTerms: [{ id: 'cr-0bbb' }] },
    });
    ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: [] });
    expect(await provider.isDrifted(launched)).toBe('CapacityReservationDrift');
  });

  it('names the capacity blocks EC2 is about to reclaim, asking by id; none with the gate off', async () => {
    const { clock, ec2, provider } = await reservedSetup();
    const block = {
      ...RESERVATION,
      CapacityReservationId: 'cr-0b10c',
      ReservationType: 'capacity-block' as const,
      EndDate: new Date(clock.now() + 30 * 60_000),
    };
    ec2.on(DescribeCapacityReservationsCommand, { CapacityReservationIds: ['cr-0b10c'] }).resolves({
      CapacityReservations: [block],
    });
    expect(await provider.expiringReservations(['cr-0b10c', 'cr-0aaa', 'cr-0b10c'])).toEqual(
      new Set(['cr-0b10c']),
    );
    const off = await reservedSetup(false);
    expect(await off.provider.expiringReservations(['cr-0b10c'])).toEqual(new Set());
    expect(off.ec2.commandCalls(DescribeCapacityReservationsCommand)).toHaveLength(0);
  });
});
