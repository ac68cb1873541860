import type { CapacityReservation } from '@aws-sdk/client-ec2';
import { Labels } from '../../../sdk/api/well-known';
import { compatibleOfferings } from '../../scheduling/instance-types';
import { Requirement, Requirements } from '../../scheduling/requirements';
import { instanceType } from '../../scheduling/testing';
import {
  CAPACITY_BLOCK_EXPIRATION_MS,
  describeInput,
  filterReservations,
  matchesQuery,
  queriesFromTerms,
  reservationStatus,
  reservationStatuses,
  withReservedOfferings,
} from './capacity-reservations';

const NOW = Date.UTC(2026, 0, 1);

/** A DescribeCapacityReservations entry as the SDK returns it (recorded shape, trimmed to what is read). */
function ec2Reservation(over: Partial<CapacityReservation> = {}): CapacityReservation {
  return {
    CapacityReservationId: 'cr-0123456789abcdef0',
    OwnerId: '123456789012',
    InstanceType: 'm5.large',
    AvailabilityZone: 'us-east-1a',
    AvailableInstanceCount: 2,
    TotalInstanceCount: 3,
    State: 'active',
    InstanceMatchCriteria: 'targeted',
    ReservationType: 'default',
    Tags: [{ Key: 'team', Value: 'ml' }],
    ...over,
  };
}

describe('queriesFromTerms', () => {
  it('queries an id alone, and owner, tags and match criteria together', () => {
    expect(
      queriesFromTerms([
        { id: 'cr-1' },
        { tags: { team: 'ml' }, ownerID: '123456789012' },
        { instanceMatchCriteria: 'open' },
      ]),
    ).toEqual([
      { id: 'cr-1' },
      { ownerID: '123456789012', tags: { team: 'ml' } },
      { instanceMatchCriteria: 'open' },
    ]);
    expect(queriesFromTerms(undefined)).toEqual([]);
  });
});

describe('describeInput', () => {
  it('asks for active reservations by id, or by owner, tags ("*": any value) and match criteria', () => {
    expect(describeInput({ id: 'cr-1' })).toEqual({
      Filters: [{ Name: 'state', Values: ['active'] }],
      CapacityReservationIds: ['cr-1'],
    });
    expect(
      describeInput({
        ownerID: '123456789012',
        tags: { team: 'ml', env: '*' },
        instanceMatchCriteria: 'targeted',
      }),
    ).toEqual({
      Filters: [
        { Name: 'state', Values: ['active'] },
        { Name: 'owner-id', Values: ['123456789012'] },
        { Name: 'tag-key', Values: ['env'] },
        { Name: 'tag:team', Values: ['ml'] },
        { Name: 'instance-match-criteria', Values: ['targeted'] },
      ],
      MaxResults: 1000,
    });
  });

  it('matches reservations the way those filters do (the simulated cloud)', () => {
    const cr = ec2Reservation();
    expect(matchesQuery(cr, { id: 'cr-0123456789abcdef0' })).toBe(true);
    expect(matchesQuery(cr, { id: 'cr-other' })).toBe(false);
    expect(matchesQuery(cr, { tags: { team: '*' } })).toBe(true);
    expect(matchesQuery(cr, { tags: { team: 'web' } })).toBe(false);
    expect(matchesQuery(cr, { tags: { team: 'ml' }, ownerID: '999999999999' })).toBe(false);
    expect(matchesQuery(cr, { instanceMatchCriteria: 'open' })).toBe(false);
    expect(matchesQuery({ ...cr, State: 'expired' }, { id: 'cr-0123456789abcdef0' })).toBe(false);
  });
});

describe('reservation status', () => {
  it('carries upstream’s fields, defaults and an end time', () => {
    const end = new Date(NOW + 3_600_000);
    expect(reservationStatus(ec2Reservation({ EndDate: end }), NOW)).toEqual({
      availabilityZone: 'us-east-1a',
      endTime: end.toISOString(),
      id: 'cr-0123456789abcdef0',
      instanceMatchCriteria: 'targeted',
      instanceType: 'm5.large',
      ownerID: '123456789012',
      reservationType: 'default',
      interruptible: false,
      state: 'active',
    });
  });

  it('marks a capacity block expiring 40 minutes before its end, and only a capacity block', () => {
    const end = new Date(NOW + CAPACITY_BLOCK_EXPIRATION_MS - 1);
    const block = reservationStatus(ec2Reservation({ ReservationType: 'capacity-block', EndDate: end }), NOW);
    expect(block).toMatchObject({ reservationType: 'capacity-block', state: 'expiring' });
    const later = reservationStatus(
      ec2Reservation({
        ReservationType: 'capacity-block',
        EndDate: new Date(NOW + CAPACITY_BLOCK_EXPIRATION_MS + 1),
      }),
      NOW,
    );
    expect(later).toMatchObject({ state: 'active' });
    expect(reservationStatus(ec2Reservation({ EndDate: end }), NOW)).toMatchObject({ state: 'active' });
  });

  it('skips what Karpenter does not know, sorts by id, drops ended and duplicate reservations', () => {
    const { reservations, errors } = reservationStatuses(
      [
        ec2Reservation({ CapacityReservationId: 'cr-b' }),
        ec2Reservation({ CapacityReservationId: 'cr-a' }),
        ec2Reservation({ CapacityReservationId: 'cr-c', InstanceMatchCriteria: 'future' as 'open' }),
      ],
      NOW,
    );
    expect(reservations.map((r) => r.id)).toEqual(['cr-a', 'cr-b']);
    expect(errors.map((e) => e.message)).toEqual([
      'capacity reservation cr-c: unsupported instance match criteria "future"',
    ]);
    const kept = filterReservations(
      [
        ec2Reservation({ CapacityReservationId: 'cr-a' }),
        ec2Reservation({ CapacityReservationId: 'cr-a' }),
        ec2Reservation({ CapacityReservationId: 'cr-old', EndDate: new Date(NOW - 1) }),
      ],
      NOW,
    );
    expect(kept.map((r) => r.CapacityReservationId)).toEqual(['cr-a']);
  });
});

describe('withReservedOfferings', () => {
  const m5 = instanceType('m5.large');
  const status = (over: object = {}) => ({
    ...(reservationStatus(ec2Reservation(), NOW) as Exclude<ReturnType<typeof reservationStatus>, Error>),
    ...over,
  });

  it('adds a reserved offering at a ten-millionth of on-demand, available while the reservation has room', () => {
    const [it] = withReservedOfferings([m5], [status()], () => 2);
    const od = m5.offerings.find((o) => o.capacityType === 'on-demand')?.price ?? 0;
    const reserved = it?.offerings.filter((o) => o.capacityType === 'reserved') ?? [];
    expect(reserved).toEqual([
      {
        capacityType: 'reserved',
        zone: 'us-east-1a',
        price: od / 10_000_000,
        available: true,
        reservation: { id: 'cr-0123456789abcdef0', type: 'default', interruptible: false, capacity: 2 },
      },
    ]);
    expect(it?.requirements.get(Labels.capacityType)?.has('reserved')).toBe(true);
    const [full] = withReservedOfferings([m5], [status()], () => 0);
    expect(full?.offerings.find((o) => o.capacityType === 'reserved')?.available).toBe(false);
    const [expiring] = withReservedOfferings([m5], [status({ state: 'expiring' })], () => 2);
    expect(expiring?.offerings.find((o) => o.capacityType === 'reserved')?.available).toBe(false);
    const [elsewhere] = withReservedOfferings([m5], [status({ availabilityZone: 'mars-1a' })], () => 2);
    expect(elsewhere?.offerings.find((o) => o.capacityType === 'reserved')?.available).toBe(false);
  });

  it('leaves other types alone, and reservation requirements pick offerings', () => {
    const c5 = instanceType('c5.large');
    const [m, c] = withReservedOfferings([m5, c5], [status()], () => 1);
    expect(c).toBe(c5);
    const only = (r: Requirement) => compatibleOfferings(m!, new Requirements([r]));
    expect(
      only(Requirement.in(Labels.capacityReservationId, ['cr-0123456789abcdef0'])).map((o) => o.capacityType),
    ).toEqual(['reserved']);
    expect(only(Requirement.in(Labels.capacityReservationId, ['cr-other']))).toEqual([]);
    expect(
      only(Requirement.doesNotExist(Labels.capacityReservationId)).some((o) => o.capacityType === 'reserved'),
    ).toBe(false);
    expect(only(Requirement.in(Labels.capacityReservationType, ['capacity-block']))).toEqual([]);
  });
});
