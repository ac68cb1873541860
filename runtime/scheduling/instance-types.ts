/**
 * What the scheduler knows of an instance type: its labels as requirements, its capacity and allocatable, and its
 * offerings (zone, capacity type, price). Cloud providers build these (CloudProvider.getInstanceTypes); the
 * scheduler only reads them, so the types live here and runtime/cloudprovider depends on runtime/scheduling,
 * never the other way.
 */
import { Labels, type CapacityType } from '../../sdk/api/well-known';
import type { Requirement, Requirements } from './requirements';
import type { Resources } from './resources';

export interface Offering {
  capacityType: CapacityType;
  zone: string;
  /** USD per hour. */
  price: number;
  available: boolean;
  /** A NodeOverlay set this price (controllers/nodeoverlay). @default false */
  priceOverlaid?: boolean;
  /** Set on a `reserved` offering: the capacity reservation it launches into. */
  reservation?: OfferingReservation;
  /**
   * In a zone under an active zonal shift (ENABLE_ZONAL_SHIFT): unavailable, and not a topology domain, since no
   * node can be launched there until the shift ends. @default false
   */
  zonalShift?: boolean;
}

export interface OfferingReservation {
  id: string;
  /** `default` (an On-Demand Capacity Reservation) or `capacity-block`. */
  type: 'default' | 'capacity-block';
  interruptible: boolean;
  /** Instances the reservation has room for, as the cloud last counted them. */
  capacity: number;
}

export interface InstanceType {
  name: string;
  /** The labels a node of this type carries, as requirements (zone and capacity type span its offerings). */
  requirements: Requirements;
  /** Raw capacity: cpu in millicores, memory in bytes, pods, gpus. */
  capacity: Resources;
  /** What the kubelet keeps back: kubeReserved + systemReserved + eviction threshold. */
  overhead: Resources;
  /** capacity − overhead: what pods can request. */
  allocatable: Resources;
  offerings: Offering[];
  /** A NodeOverlay added extended resources to capacity (controllers/nodeoverlay). @default false */
  capacityOverlaid?: boolean;
}

/** The cheapest available offering that satisfies the requirements, if any. */
export function cheapestOffering(it: InstanceType, reqs: Requirements): Offering | undefined {
  let best: Offering | undefined;
  for (const o of compatibleOfferings(it, reqs)) if (!best || o.price < best.price) best = o;
  return best;
}

export function compatibleOfferings(
  it: InstanceType,
  reqs: Requirements,
  opts: { unavailable?: boolean } = {},
): Offering[] {
  const zone = reqs.get('topology.kubernetes.io/zone');
  const ct = reqs.get('karpenter.sh/capacity-type');
  const rid = reqs.get(Labels.capacityReservationId);
  const rtype = reqs.get(Labels.capacityReservationType);
  const rint = reqs.get(Labels.capacityReservationInterruptible);
  return it.offerings.filter(
    (o) =>
      (o.available || opts.unavailable === true) &&
      (!zone || zone.has(o.zone)) &&
      (!ct || ct.has(o.capacityType)) &&
      (!(rid || rtype || rint) || reservationMatches(o.reservation, rid, rtype, rint)),
  );
}

/** An offering's reservation labels (absent on spot and on-demand offerings) against requirements on them. */
function reservationMatches(
  r: OfferingReservation | undefined,
  ...reqs: [Requirement | undefined, Requirement | undefined, Requirement | undefined]
): boolean {
  const values = r ? [r.id, r.type, String(r.interruptible)] : [undefined, undefined, undefined];
  return reqs.every((req, i) => {
    const v = values[i];
    return !req || (v === undefined ? req.allowsAbsent() : req.has(v));
  });
}

/**
 * Labels only some instance types carry (those of a node class with a placement group): a type without one meets a
 * requirement on it only if the requirement accepts the label being absent.
 */
const OPTIONAL_TYPE_LABELS = [Labels.placementGroupId, Labels.placementGroupPartition];

/**
 * The instance type's labels agree with every requirement on keys it defines, and an offering matches (an
 * available one, unless `unavailable`).
 */
export function instanceTypeCompatible(
  it: InstanceType,
  reqs: Requirements,
  opts: { unavailable?: boolean } = {},
): boolean {
  for (const r of it.requirements.values()) {
    const want = reqs.get(r.key);
    if (want && !want.intersects(r)) return false;
  }
  for (const key of OPTIONAL_TYPE_LABELS) {
    const want = reqs.get(key);
    if (want && !it.requirements.has(key) && !want.allowsAbsent()) return false;
  }
  return compatibleOfferings(it, reqs, opts).length > 0;
}
