/**
 * The simulated cloud's ARC zonal shift: a test or scenario impairs a zone until a time, and the zonal shift
 * controller (ENABLE_ZONAL_SHIFT) reads the shifts as it would read ARC's GetManagedResource.
 */
import type { ZonalShiftRecord, ZonalShiftSource } from '../zonal-shift';
import type { Catalog } from './catalog';

/**
 * A zone ID for a simulated zone, shaped like AWS's (us-east-1a → use1-az1). Real accounts map IDs to names in
 * their own order; the simulated account maps them in letter order.
 */
export function simulatedZoneId(zone: string): string {
  const m = /^([a-z]+)-([a-z]+)-(\d+)([a-z])$/.exec(zone);
  if (!m) return zone;
  const [, area = '', dir = '', n = '', letter = 'a'] = m;
  return `${area}${dir[0] ?? ''}${n}-az${letter.charCodeAt(0) - 96}`;
}

export class SimulatedZonalShifts implements ZonalShiftSource {
  private readonly shifts = new Map<string, ZonalShiftRecord>();

  constructor(private readonly catalog: Catalog) {}

  /**
   * Put a zone under a zonal shift until `untilMs` (simulated time), as an operator or autoshift would in ARC.
   * `appliedStatus` NOT_APPLIED records a shift ARC holds but does not apply. A second call replaces the first.
   */
  shiftZone(zone: string, untilMs: number, appliedStatus = 'APPLIED'): ZonalShiftRecord {
    if (!this.catalog.specs.some((s) => s.zones.includes(zone)))
      throw new Error(`shiftZone: the simulated catalog offers nothing in zone "${zone}"`);
    const record = {
      zoneId: simulatedZoneId(zone),
      zone,
      appliedStatus,
      expiresAt: untilMs,
      shiftId: `shift-${zone}-${untilMs}`,
    };
    this.shifts.set(zone, record);
    return record;
  }

  /** End a zone's zonal shift before its expiry (ARC's CancelZonalShift). */
  cancelZonalShift(zone: string): void {
    this.shifts.delete(zone);
  }

  /** The shifts ARC would list for the cluster, expired ones included (ARC keeps them a while). */
  zonalShifts(): Promise<ZonalShiftRecord[]> {
    return Promise.resolve([...this.shifts.values()].map((r) => ({ ...r })));
  }
}
