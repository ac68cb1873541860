import { Labels } from '../../sdk/api/well-known';
import type { InstanceType } from './instance-types';
import { assignReservations, reservationCapacities } from './reservations';
import { instanceType, plannedClaim } from './testing';

/** m5.large with a reserved offering in us-east-1a of reservation `id` with room for `capacity`. */
function reservedM5(id: string, capacity: number): InstanceType {
  const it = instanceType('m5.large');
  return {
    ...it,
    offerings: [
      ...it.offerings,
      {
        capacityType: 'reserved',
        zone: 'us-east-1a',
        price: 0.0000001,
        available: capacity > 0,
        reservation: { id, type: 'default', interruptible: false, capacity },
      },
    ],
  };
}

const values = (p: ReturnType<typeof assignReservations>[number], key: string) =>
  [...(p.requirements.get(key)?.values ?? [])].sort();

describe('assignReservations', () => {
  it('gives each reservation slot to one claim, pins it, and sends the rest to on-demand', () => {
    const m5 = reservedM5('cr-1', 2);
    const c5 = instanceType('c5.large');
    const plans = [1, 2, 3].map(() => plannedClaim([m5, c5], { capacityTypes: ['reserved', 'on-demand'] }));
    expect(reservationCapacities(plans)).toEqual(new Map([['cr-1', 2]]));
    const out = assignReservations(plans);
    expect(out.map((p) => values(p, Labels.capacityType))).toEqual([
      ['reserved'],
      ['reserved'],
      ['on-demand'],
    ]);
    expect(out.map((p) => values(p, Labels.capacityReservationId))).toEqual([['cr-1'], ['cr-1'], []]);
    // A pinned claim keeps only the types with a reserved offering; the fallback keeps every type, cheapest first.
    expect(out[0]?.instanceTypeOptions.map((it) => it.name)).toEqual(['m5.large']);
    expect(out[2]?.instanceTypeOptions.map((it) => it.name)).toEqual(['c5.large', 'm5.large']);
  });

  it('counts a reservation at the least any offering of it says, and leaves claims without reservations alone', () => {
    const plans = [
      plannedClaim([reservedM5('cr-1', 3)], { capacityTypes: ['reserved', 'on-demand'] }),
      plannedClaim([reservedM5('cr-1', 1)], { capacityTypes: ['reserved', 'on-demand'] }),
      plannedClaim([instanceType('c5.large')], { capacityTypes: ['on-demand'] }),
    ];
    expect(reservationCapacities(plans).get('cr-1')).toBe(1);
    const out = assignReservations(plans);
    expect(values(out[0]!, Labels.capacityType)).toEqual(['reserved']);
    expect(values(out[1]!, Labels.capacityType)).toEqual(['on-demand']);
    expect(out[2]).toBe(plans[2]);
  });

  it('keeps a reserved-only claim as it is when the reservation is full (its launch then fails and it is planned again)', () => {
    const plans = [1, 2].map(() => plannedClaim([reservedM5('cr-1', 1)], { capacityTypes: ['reserved'] }));
    const out = assignReservations(plans);
    expect(values(out[0]!, Labels.capacityReservationId)).toEqual(['cr-1']);
    expect(out[1]).toBe(plans[1]);
  });
});
