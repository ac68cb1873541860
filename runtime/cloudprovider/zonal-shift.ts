/**
 * Zonal shift (ENABLE_ZONAL_SHIFT) as the cloud seam sees it: where shift records come from (ARC on AWS, the
 * simulated cloud's impaired zones) and how a provider takes the offerings of shifted zones out of its instance
 * types, so nothing new launches there and topology spread does not count them as domains.
 */
import type { InstanceType, Offering } from '../scheduling/instance-types';

/**
 * One zonal shift on the cluster, as ARC's GetManagedResource reports it (`zonalShifts[]`): traffic is moved away
 * from `zoneId` until `expiresAt`, in effect only while `appliedStatus` is APPLIED.
 */
export interface ZonalShiftRecord {
  /** ARC's `awayFrom`: the availability zone ID, e.g. use1-az1. */
  zoneId: string;
  /** The zone's name in this account (zone IDs map to different names per account), e.g. us-east-1a. */
  zone: string;
  /** ARC's `appliedStatus`: APPLIED or NOT_APPLIED. */
  appliedStatus: string;
  /** ARC's `expiryTime`, in ms since the epoch. */
  expiresAt: number;
  /** ARC's `zonalShiftId`, when it has one (for logs). */
  shiftId?: string;
}

/** Where zonal shifts come from. */
export interface ZonalShiftSource {
  /** The shifts on the cluster now (ARC: GetManagedResource on the cluster's ARN). */
  zonalShifts(): Promise<ZonalShiftRecord[]>;
}

/** The drift reason of a NodeClaim whose zone is under an active zonal shift (a karpenter-ts extension). */
export const ZONAL_SHIFT_DRIFT = 'ZonalShift';

/** The zones under an active zonal shift now, by name; read each time (shifts expire between polls). */
export type ShiftedZones = () => ReadonlySet<string>;

const NONE: ReadonlySet<string> = new Set();

/**
 * Marks offerings in shifted zones unavailable (`zonalShift: true`). Types without such offerings are returned as
 * they are; a changed type is remembered per input object and shifted set, so repeated calls hand out the same
 * objects (the scheduler and the instance-type caches key on identity).
 */
export class ZonalShiftOfferings {
  private shifted: ShiftedZones = () => NONE;
  private readonly memo = new WeakMap<InstanceType, { key: string; out: InstanceType }>();

  use(shifted: ShiftedZones): void {
    this.shifted = shifted;
  }

  apply(types: InstanceType[]): InstanceType[] {
    const zones = this.shifted();
    if (zones.size === 0) return types;
    const key = [...zones].sort().join(',');
    return types.map((it) => {
      if (!it.offerings.some((o) => zones.has(o.zone))) return it;
      const seen = this.memo.get(it);
      if (seen?.key === key) return seen.out;
      const offerings = it.offerings.map((o): Offering =>
        zones.has(o.zone) ? { ...o, available: false, zonalShift: true } : o,
      );
      const out = { ...it, offerings };
      this.memo.set(it, { key, out });
      return out;
    });
  }
}
