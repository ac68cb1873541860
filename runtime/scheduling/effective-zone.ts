/**
 * A pending pod's effective zone, as upstream's `karpenter_scheduler_pending_pods_by_effective_zone_count` reports
 * it: the zones its required node affinity and its volumes allow, narrowed by the zones its topology terms leave it
 * before anything is placed. One zone left: that zone; several, or nothing that lists zones: "flexible"; none:
 * "none".
 */
import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../kube/objects';
import type { PodConstraints } from './pod-constraints';
import type { Topology } from './topology';

export const FLEXIBLE_ZONE = 'flexible';
export const NO_ZONE = 'none';

/** `levels` as the scheduler built them, strictest first; none: the pod's constraints contradict each other. */
export function effectiveZone(levels: PodConstraints[] | undefined, topology: Topology): string {
  const strictest = levels?.[0];
  const loosest = levels?.[levels.length - 1];
  if (!strictest || !loosest) return NO_ZONE;
  // Topology as first tried (preferences still count, as upstream's first attempt); requirements as required.
  const byTopology = topology.allowedDomains(strictest).get(Labels.zone);
  if (byTopology?.size === 0) return NO_ZONE;
  const requirements = loosest.alternatives.map((alt) => alt.get(Labels.zone));
  // The zones the requirements list, over the OR'ed alternatives; one that lists none leaves them open.
  let listed: Set<string> | undefined = new Set();
  for (const r of requirements) {
    if (!r || r.complement) {
      listed = undefined;
      break;
    }
    for (const zone of r.values) listed.add(zone);
  }
  const candidates = listed ?? byTopology;
  if (!candidates) return FLEXIBLE_ZONE;
  const left = [...candidates].filter(
    (zone) => (!byTopology || byTopology.has(zone)) && requirements.some((r) => !r || r.has(zone)),
  );
  if (left.length === 0) return NO_ZONE;
  return left.length === 1 ? (left[0] as string) : FLEXIBLE_ZONE;
}

/** Pending pods by effective zone; pods without levels (contradicting constraints) count as "none". */
export function pendingByEffectiveZone(
  pods: Pod[],
  levels: ReadonlyMap<Pod, PodConstraints[]>,
  topology: Topology,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pod of pods) {
    const zone = effectiveZone(levels.get(pod), topology);
    counts.set(zone, (counts.get(zone) ?? 0) + 1);
  }
  return counts;
}
