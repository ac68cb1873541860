/**
 * The simulated account's capacity reservations (Catalog.reservations): which ones a node class's
 * capacityReservationSelectorTerms select, the way DescribeCapacityReservations' filters would (the AWS provider's
 * own pure code), and how many instances each still has room for, counted from the instances running in it.
 */
import type { CapacityReservationStatus } from '../../../sdk/api/ec2nodeclass';
import type { EC2NodeClass } from '../../kube/objects';
import type { OfferingReservation } from '../../scheduling/instance-types';
import {
  expiringIds,
  filterReservations,
  matchesQuery,
  queriesFromTerms,
  reservationStatuses,
} from '../aws/capacity-reservations';
import type { Catalog } from './catalog';

export class SimulatedReservations {
  constructor(
    private readonly catalog: Catalog,
    /** Live instances per reservation id. */
    private readonly used: (id: string) => number,
  ) {}

  /** The reservations the node class selects now, as its status would list them. */
  selected(nodeClass: EC2NodeClass | undefined, now: number): CapacityReservationStatus[] {
    const all = this.catalog.reservations ?? [];
    const queries = queriesFromTerms(nodeClass?.spec.capacityReservationSelectorTerms);
    if (all.length === 0 || queries.length === 0) return [];
    const matched = all.filter((r) => queries.some((q) => matchesQuery(r, q)));
    return reservationStatuses(filterReservations(matched, now), now).reservations;
  }

  /** Capacity blocks among these reservations in their reclaim window. */
  expiring(ids: readonly string[], now: number): Set<string> {
    const wanted = new Set(ids);
    const list = (this.catalog.reservations ?? []).filter((r) => wanted.has(r.CapacityReservationId ?? ''));
    return expiringIds(filterReservations(list, now), now);
  }

  /** Instances the reservation has room for: its size less the instances in it. */
  available(id: string): number {
    const r = (this.catalog.reservations ?? []).find((x) => x.CapacityReservationId === id);
    return Math.max(0, (r?.TotalInstanceCount ?? 0) - this.used(id));
  }

  /** A reservation's labels for a launched instance (no capacity: it is a fact of the plan, not of the node). */
  static launched(r: OfferingReservation): Omit<OfferingReservation, 'capacity'> {
    return { id: r.id, type: r.type, interruptible: r.interruptible };
  }
}
