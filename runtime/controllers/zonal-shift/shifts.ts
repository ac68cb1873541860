/**
 * Zonal shift decisions, pure: which zones are shifted at a time from ARC's records, which NodePools hear of a
 * change (the AWS provider's ZonalShiftActive / ZonalShiftCleared events), and which NodeClaims sit in a shifted
 * zone (they drift, reason ZonalShift, and are replaced within the Drifted budget).
 */
import { Labels } from '../../../sdk/api/well-known';
import type { EC2NodeClass, NodeClaim, NodePool } from '../../kube/objects';
import { Requirements } from '../../scheduling/requirements';
import { ZONAL_SHIFT_DRIFT, type ZonalShiftRecord } from '../../cloudprovider/zonal-shift';

/** ARC's appliedStatus of a shift in effect. */
export const APPLIED = 'APPLIED';

/**
 * The zones shifted away from at `now`, by name, with their zone IDs: a shift counts while it is APPLIED and its
 * expiry is still ahead, as upstream's provider decides.
 */
export function activeShifts(records: readonly ZonalShiftRecord[], now: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) if (r.appliedStatus === APPLIED && r.expiresAt > now) out.set(r.zone, r.zoneId);
  return out;
}

export interface ZonalShiftEvent {
  nodePool: NodePool;
  type: 'Warning' | 'Normal';
  reason: 'ZonalShiftActive' | 'ZonalShiftCleared';
  message: string;
  /** The zone's name. */
  zone: string;
}

/**
 * The zones a NodePool can launch into, as far as its node class tells: the zones of its resolved subnets
 * (`status.subnets`), or undefined when the class reports none (the simulated and kwok clouds).
 */
export function nodeClassZones(nodeClass: EC2NodeClass | undefined): ReadonlySet<string> | undefined {
  const subnets = nodeClass?.status?.subnets;
  return subnets && subnets.length > 0 ? new Set(subnets.map((s) => s.zone)) : undefined;
}

/** Whether a NodePool could launch into the zone: its requirements and its node class's zones allow it. */
export function poolReachesZone(
  nodePool: NodePool,
  classZones: ReadonlySet<string> | undefined,
  zone: string,
  zoneId: string,
): boolean {
  if (classZones && !classZones.has(zone)) return false;
  const reqs = Requirements.fromSelectors(nodePool.spec.template.spec.requirements ?? []);
  const byName = reqs.get(Labels.zone);
  const byId = reqs.get(Labels.zoneId);
  return (!byName || byName.has(zone)) && (!byId || byId.has(zoneId));
}

/**
 * The events a change from `previous` to `current` (zone name → zone ID) gives: ZonalShiftActive (Warning) for each
 * newly shifted zone and ZonalShiftCleared (Normal) for each zone no longer shifted, on every NodePool that can
 * launch there. Nothing when the sets are equal.
 */
export function zonalShiftEvents(
  previous: ReadonlyMap<string, string>,
  current: ReadonlyMap<string, string>,
  pools: readonly { nodePool: NodePool; classZones: ReadonlySet<string> | undefined }[],
): ZonalShiftEvent[] {
  const shifted = [...current].filter(([zone]) => !previous.has(zone));
  const cleared = [...previous].filter(([zone]) => !current.has(zone));
  const out: ZonalShiftEvent[] = [];
  for (const { nodePool, classZones } of pools) {
    for (const [zone, id] of shifted) {
      if (!poolReachesZone(nodePool, classZones, zone, id)) continue;
      out.push({
        nodePool,
        zone,
        type: 'Warning',
        reason: 'ZonalShiftActive',
        message: `Zonal shift detected: offerings in zone ${zone} (${id}) are unavailable for this NodePool`,
      });
    }
    for (const [zone, id] of cleared) {
      if (!poolReachesZone(nodePool, classZones, zone, id)) continue;
      out.push({
        nodePool,
        zone,
        type: 'Normal',
        reason: 'ZonalShiftCleared',
        message: `Zonal shift cleared: offerings in zone ${zone} (${id}) are restored for this NodePool`,
      });
    }
  }
  return out;
}

/** The claim's drift reason under the shifted zones: ZonalShift when its zone is one of them. */
export function zonalShiftDrift(nodeClaim: NodeClaim, shifted: ReadonlySet<string>): string | undefined {
  const zone = nodeClaim.metadata.labels?.[Labels.zone];
  return zone !== undefined && shifted.has(zone) ? ZONAL_SHIFT_DRIFT : undefined;
}

/** The claims in shifted zones (what ZonalShift drift will replace). */
export function claimsInShiftedZones(
  nodeClaims: readonly NodeClaim[],
  shifted: ReadonlySet<string>,
): NodeClaim[] {
  return nodeClaims.filter((c) => zonalShiftDrift(c, shifted) !== undefined);
}
