/**
 * Capacity reservations (On-Demand Capacity Reservations and capacity blocks), the pure part: the
 * DescribeCapacityReservations queries an EC2NodeClass's capacityReservationSelectorTerms make, the status entry
 * each reservation becomes, and the `reserved` offerings they add to an instance type. Upstream's facts (AWS
 * provider v1.14: pkg/providers/capacityreservation/types.go, pkg/apis/v1/ec2nodeclass_status.go,
 * pkg/providers/instancetype/offering/reserved_capacity_resolver.go).
 */
import type {
  CapacityReservation,
  DescribeCapacityReservationsCommandInput,
  Filter,
} from '@aws-sdk/client-ec2';
import type { CapacityReservationStatus } from '../../../sdk/api/ec2nodeclass';
import { Labels } from '../../../sdk/api/well-known';
import type { EC2NodeClass } from '../../kube/objects';
import { Requirement, Requirements } from '../../scheduling/requirements';
import type { InstanceType, Offering, OfferingReservation } from '../../scheduling/instance-types';

export type CapacityReservationTerm = NonNullable<
  EC2NodeClass['spec']['capacityReservationSelectorTerms']
>[number];

/** A capacity block is `expiring` from 40 minutes before its end: EC2 reclaims its instances then. */
export const CAPACITY_BLOCK_EXPIRATION_MS = 40 * 60_000;
/** A reserved offering costs the on-demand price divided by this, so the scheduler always prefers it. */
export const RESERVED_PRICE_DIVISOR = 10_000_000;

/** One DescribeCapacityReservations query: an id alone, or owner/tags/match criteria together. */
export interface ReservationQuery {
  id?: string;
  ownerID?: string;
  tags?: Record<string, string>;
  instanceMatchCriteria?: string;
}

/** A term with an id queries that id; one with tags or instanceMatchCriteria queries those (with its ownerID). */
export function queriesFromTerms(terms: CapacityReservationTerm[] = []): ReservationQuery[] {
  const out: ReservationQuery[] = [];
  for (const t of terms) {
    if (t.id) out.push({ id: t.id });
    if ((t.tags && Object.keys(t.tags).length > 0) || t.instanceMatchCriteria) {
      out.push({
        ...(t.ownerID ? { ownerID: t.ownerID } : {}),
        ...(t.tags ? { tags: t.tags } : {}),
        ...(t.instanceMatchCriteria ? { instanceMatchCriteria: t.instanceMatchCriteria } : {}),
      });
    }
  }
  return out;
}

/** Only active reservations; a tag value "*" matches any value of the key. */
export function describeInput(q: ReservationQuery): DescribeCapacityReservationsCommandInput {
  const Filters: Filter[] = [{ Name: 'state', Values: ['active'] }];
  if (q.id) return { Filters, CapacityReservationIds: [q.id] };
  if (q.ownerID) Filters.push({ Name: 'owner-id', Values: [q.ownerID] });
  for (const [k, v] of Object.entries(q.tags ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    Filters.push(v === '*' ? { Name: 'tag-key', Values: [k] } : { Name: `tag:${k}`, Values: [v] });
  }
  if (q.instanceMatchCriteria)
    Filters.push({ Name: 'instance-match-criteria', Values: [q.instanceMatchCriteria] });
  return { Filters, MaxResults: 1000 };
}

/** Whether a reservation matches one query, as DescribeCapacityReservations' filters would (for the simulated cloud). */
export function matchesQuery(cr: CapacityReservation, q: ReservationQuery): boolean {
  if (cr.State !== 'active') return false;
  if (q.id) return cr.CapacityReservationId === q.id;
  if (q.ownerID && cr.OwnerId !== q.ownerID) return false;
  if (q.instanceMatchCriteria && cr.InstanceMatchCriteria !== q.instanceMatchCriteria) return false;
  const tags = new Map((cr.Tags ?? []).map((t) => [t.Key, t.Value]));
  return Object.entries(q.tags ?? {}).every(([k, v]) => tags.has(k) && (v === '*' || tags.get(k) === v));
}

/** Distinct by id, and without the ones whose end date has passed. */
export function filterReservations(list: CapacityReservation[], now: number): CapacityReservation[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const id = r.CapacityReservationId;
    if (!id || seen.has(id)) return false;
    seen.add(id);
    return !r.EndDate || r.EndDate.getTime() > now;
  });
}

/**
 * The status entry for a reservation, or an error naming what EC2 answered that Karpenter does not know (a new
 * instance match criteria or reservation type), as upstream skips those.
 */
export function reservationStatus(cr: CapacityReservation, now: number): CapacityReservationStatus | Error {
  const id = cr.CapacityReservationId ?? '(no id)';
  const criteria = cr.InstanceMatchCriteria;
  if (criteria !== 'open' && criteria !== 'targeted')
    return new Error(`capacity reservation ${id}: unsupported instance match criteria "${String(criteria)}"`);
  const type = cr.ReservationType ?? 'default';
  if (type !== 'default' && type !== 'capacity-block')
    return new Error(`capacity reservation ${id}: unsupported reservation type "${type}"`);
  const end = cr.EndDate?.getTime();
  const expiring =
    type === 'capacity-block' && end !== undefined && now >= end - CAPACITY_BLOCK_EXPIRATION_MS;
  return {
    availabilityZone: cr.AvailabilityZone ?? '',
    ...(end !== undefined ? { endTime: new Date(end).toISOString() } : {}),
    id,
    instanceMatchCriteria: criteria,
    instanceType: cr.InstanceType ?? '',
    ownerID: cr.OwnerId ?? '',
    reservationType: type,
    interruptible: cr.Interruptible ?? false,
    state: expiring ? 'expiring' : 'active',
  };
}

/** Status entries sorted by id, and the reservations that could not be turned into one. */
export function reservationStatuses(
  list: CapacityReservation[],
  now: number,
): { reservations: CapacityReservationStatus[]; errors: Error[] } {
  const reservations: CapacityReservationStatus[] = [];
  const errors: Error[] = [];
  for (const cr of [...list].sort((a, b) =>
    (a.CapacityReservationId ?? '').localeCompare(b.CapacityReservationId ?? ''),
  )) {
    const s = reservationStatus(cr, now);
    if (s instanceof Error) errors.push(s);
    else reservations.push(s);
  }
  return { reservations, errors };
}

/**
 * The instance types with a `reserved` offering for each reservation of that type: in the reservation's zone, at a
 * ten-millionth of the on-demand price, available while the reservation has instances left, is not expiring and the
 * type is offered in that zone here. Types without a reservation are returned as they are.
 */
export function withReservedOfferings(
  types: InstanceType[],
  reservations: CapacityReservationStatus[],
  availableCount: (id: string) => number,
): InstanceType[] {
  if (reservations.length === 0) return types;
  return types.map((it) => {
    const mine = reservations.filter((r) => r.instanceType === it.name);
    if (mine.length === 0) return it;
    const zones = it.requirements.get(Labels.zone);
    const onDemand = it.offerings.find((o) => o.capacityType === 'on-demand')?.price;
    const reserved: Offering[] = mine.map((r) => {
      const capacity = availableCount(r.id);
      return {
        capacityType: 'reserved',
        zone: r.availabilityZone,
        price: (onDemand ?? 0) / RESERVED_PRICE_DIVISOR,
        available: capacity > 0 && r.state !== 'expiring' && (zones?.has(r.availabilityZone) ?? false),
        reservation: {
          id: r.id,
          type: r.reservationType,
          interruptible: r.interruptible ?? false,
          capacity,
        },
      };
    });
    const capacityTypes = new Set([...it.offerings, ...reserved].map((o) => o.capacityType));
    const requirements = new Requirements(
      it.requirements.values().filter((r) => r.key !== Labels.capacityType),
    ).add(Requirement.in(Labels.capacityType, [...capacityTypes]));
    return { ...it, requirements, offerings: [...it.offerings, ...reserved] };
  });
}

/** The capacity reservation labels of a node launched into one (upstream's). */
export function reservationLabels(
  r: Omit<OfferingReservation, 'capacity'> | undefined,
): Record<string, string> {
  return r
    ? {
        [Labels.capacityReservationId]: r.id,
        [Labels.capacityReservationType]: r.type,
        [Labels.capacityReservationInterruptible]: String(r.interruptible),
      }
    : {};
}

/** The ids among the reservations that are capacity blocks in their reclaim window (state `expiring`). */
export function expiringIds(list: CapacityReservation[], now: number): Set<string> {
  return new Set(
    reservationStatuses(list, now)
      .reservations.filter((r) => r.state === 'expiring')
      .map((r) => r.id),
  );
}
