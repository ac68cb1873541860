/**
 * What a reserved CreateFleet asks for (upstream's launch filters and fleet builder, AWS provider v1.14
 * pkg/providers/instance/filter/filter.go and types.go). One CreateFleet launches into one kind of reservation: plain
 * On-Demand Capacity Reservations first, then capacity blocks, then interruptible reservations. It takes one
 * reservation per instance type and zone (the one with the most room: EC2 takes one override per pool), and a single
 * capacity block (EC2 takes no more in a request).
 */
import type { CreateFleetCommandInput } from '@aws-sdk/client-ec2';
import type { OfferingReservation } from '../../scheduling/instance-types';
import type { FleetOffering } from './fleet';

/** Lower goes first. */
function kindRank(r: OfferingReservation): number {
  if (r.type === 'capacity-block') return 1;
  return r.interruptible ? 2 : 0;
}

/** The reserved offerings one CreateFleet launches into. */
export function reservedLaunchOfferings(offerings: FleetOffering[]): FleetOffering[] {
  const reserved = offerings.filter((o) => o.capacityType === 'reserved' && o.reservation);
  if (reserved.length === 0) return [];
  const rank = Math.min(...reserved.map((o) => kindRank(o.reservation as OfferingReservation)));
  const kind = reserved.filter((o) => kindRank(o.reservation as OfferingReservation) === rank);
  if (rank === 1) {
    const cheapest = kind.reduce((a, b) => (b.price < a.price ? b : a));
    return [cheapest];
  }
  const perPool = new Map<string, FleetOffering>();
  for (const o of kind) {
    const key = `${o.instanceType}/${o.zone}`;
    const have = perPool.get(key);
    if (!have || (o.reservation?.capacity ?? 0) > (have.reservation?.capacity ?? 0)) perPool.set(key, o);
  }
  return [...perPool.values()];
}

/** On-demand (and on-demand reservations): EC2's cheapest, or the given prices' order. */
export function onDemandStrategy(prioritized: boolean): 'prioritized' | 'lowest-price' {
  return prioritized ? 'prioritized' : 'lowest-price';
}

/**
 * The target capacity and options of a reserved launch: a capacity block is its own target capacity type; an
 * interruptible reservation is `reserved-capacity` with that reservation type; an ODCR is launched as on-demand
 * through a launch template that targets it (capacity-reservations-only).
 */
export function reservedFleetOptions(
  chosen: FleetOffering[],
  prioritized = false,
): Pick<
  CreateFleetCommandInput,
  'TargetCapacitySpecification' | 'OnDemandOptions' | 'ReservedCapacityOptions'
> {
  const r = chosen[0]?.reservation;
  if (r?.type === 'capacity-block')
    return {
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'capacity-block' },
    };
  if (r?.interruptible)
    return {
      TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'reserved-capacity' },
      ReservedCapacityOptions: { ReservationTypes: ['interruptible-capacity-reservation'] },
    };
  return {
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
    OnDemandOptions: { AllocationStrategy: onDemandStrategy(prioritized) },
  };
}
