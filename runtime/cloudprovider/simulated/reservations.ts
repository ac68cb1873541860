/**
 * The simulated account's capacity reservations (Catalog.reservations): which ones a node class's
 * capacityReservationSelectorTerms select, the way DescribeCapacityReservations' filters would (the AWS provider's
 * own pure code), and how many instances each still has room for, counted from the instances running in it.
 */
import type { CapacityReservationStatus } from '../../../sdk/api/ec2nodeclass';
import type { EC2NodeClass } from '../../kube/objects';
import type { InstanceType, OfferingReservation } from '../../scheduling/instance-types';
import {
  expiringIds,
  filterReservations,
  matchesQuery,
  queriesFromTerms,
  reservationStatuses,
  withReservedOfferings,
} from '../aws/capacity-reservations';
import type { Catalog } from './catalog';

export class SimulatedReservations {
  private readonly warned = new Set<string>();

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

  /** The types with reserved offerings of the reservations the node class selects (the gate on). */
  offer(
    types: InstanceType[],
    nodeClass: EC2NodeClass | undefined,
    now: number,
    enabled: boolean,
    warn?: (message: string) => void,
  ): InstanceType[] {
    if (!enabled) {
      this.ignored(nodeClass, warn);
      return types;
    }
    return withReservedOfferings(types, this.selected(nodeClass, now), (id) => this.available(id));
  }

  /** With the ReservedCapacity gate off the terms are ignored, as upstream does: said once per node class. */
  ignored(nodeClass: EC2NodeClass | undefined, warn: ((message: string) => void) | undefined): void {
    const name = nodeClass?.metadata.name ?? '';
    if (!nodeClass?.spec.capacityReservationSelectorTerms?.length || this.warned.has(name)) return;
    this.warned.add(name);
    warn?.(
      `EC2NodeClass ${name}: spec.capacityReservationSelectorTerms is ignored while FEATURE_GATES has ReservedCapacity=false: remove the terms, or enable the gate to launch into the reservations`,
    );
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
