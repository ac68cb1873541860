/**
 * Which NodeClaims to delete before EC2 reclaims their capacity block (pure). A capacity block ends at a fixed time
 * and EC2 takes its instances back from 40 minutes before that (upstream, AWS provider v1.14
 * pkg/controllers/capacityreservation/expiration): nodes in one that is `expiring` are deleted then, so their pods
 * are drained and planned elsewhere instead of being lost with the instance.
 */
import { Labels } from '../../../../sdk/api/well-known';
import type { NodeClaim } from '../../../kube/objects';

/** The reservation ids of the live claims launched into one. */
export function reservationIdsOf(claims: readonly NodeClaim[]): string[] {
  const ids = new Set<string>();
  for (const c of claims) {
    const id = c.metadata.labels?.[Labels.capacityReservationId];
    if (id && !c.metadata.deletionTimestamp) ids.add(id);
  }
  return [...ids].sort();
}

/** The live claims in a reservation that is expiring. */
export function claimsToDelete(claims: readonly NodeClaim[], expiring: ReadonlySet<string>): NodeClaim[] {
  return claims.filter((c) => {
    const id = c.metadata.labels?.[Labels.capacityReservationId];
    return id !== undefined && expiring.has(id) && !c.metadata.deletionTimestamp;
  });
}
