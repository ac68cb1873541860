import type { CapacityReservation } from '@aws-sdk/client-ec2';
import { SimClock } from '../../clock/sim-clock';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import { nodePool } from '../../scheduling/testing';
import { testNodeClass } from '../aws/testing';
import { defaultCatalog } from './catalog';
import { SimulatedCloud } from './simulated-cloud';

const START = Date.UTC(2026, 0, 1);
const reservation = (over: Partial<CapacityReservation> = {}): CapacityReservation => ({
  CapacityReservationId: 'cr-0aaa',
  OwnerId: '123456789012',
  InstanceType: 'm5.large',
  AvailabilityZone: 'us-east-1a',
  TotalInstanceCount: 2,
  State: 'active',
  InstanceMatchCriteria: 'targeted',
  Tags: [{ Key: 'team', Value: 'ml' }],
  ...over,
});

async function cloudWith(reservations: CapacityReservation[], reservedCapacity?: boolean) {
  const clock = new SimClock(START);
  const api = new MemoryApiServer({ clock });
  await api.create(
    Kinds.EC2NodeClass,
    testNodeClass({ capacityReservationSelectorTerms: [{ tags: { team: 'ml' } }] }),
  );
  await api.create(Kinds.NodePool, nodePool('default'));
  const warnings: string[] = [];
  const cloud = new SimulatedCloud({
    api,
    clock,
    catalog: { ...defaultCatalog, reservations },
    ...(reservedCapacity === undefined ? {} : { reservedCapacity }),
    warn: (m) => warnings.push(m),
  });
  const reserved = async () =>
    (await cloud.getInstanceTypes(nodePool('default')))
      .flatMap((it) => it.offerings.map((o) => ({ ...o, type: it.name })))
      .filter((o) => o.capacityType === 'reserved');
  return { cloud, clock, warnings, reserved };
}

describe('simulated capacity reservations', () => {
  it('offers the reservations the terms select, with the room left', async () => {
    const { cloud, reserved } = await cloudWith([
      reservation(),
      reservation({ CapacityReservationId: 'cr-0bbb', Tags: [{ Key: 'team', Value: 'web' }] }),
      reservation({ CapacityReservationId: 'cr-0ccc', State: 'expired' }),
    ]);
    expect((await reserved()).map((o) => [o.type, o.reservation?.id, o.reservation?.capacity])).toEqual([
      ['m5.large', 'cr-0aaa', 2],
    ]);
    expect(cloud.reservations.available('cr-0aaa')).toBe(2);
  });

  it('names expiring capacity blocks only', async () => {
    const { cloud } = await cloudWith([
      reservation({ ReservationType: 'capacity-block', EndDate: new Date(START + 30 * 60_000) }),
      reservation({ CapacityReservationId: 'cr-0bbb', EndDate: new Date(START + 30 * 60_000) }),
    ]);
    expect(await cloud.expiringReservations(['cr-0aaa', 'cr-0bbb'])).toEqual(new Set(['cr-0aaa']));
  });

  it('with the gate off offers none and says once that the terms are ignored', async () => {
    const { reserved, warnings, cloud } = await cloudWith([reservation()], false);
    expect(await reserved()).toEqual([]);
    await reserved();
    expect(warnings).toEqual([
      'EC2NodeClass default: spec.capacityReservationSelectorTerms is ignored while FEATURE_GATES has ReservedCapacity=false: remove the terms, or enable the gate to launch into the reservations',
    ]);
    expect(await cloud.expiringReservations(['cr-0aaa'])).toEqual(new Set());
  });
});
