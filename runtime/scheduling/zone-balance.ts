/**
 * Zones for the claims a plan leaves free to launch anywhere. Pure.
 *
 * The cloud launches a claim with no zone requirement in its cheapest zone, and on-demand capacity costs the same
 * in every zone, so a large plan would land wholly in the first one. The kube-scheduler then spreads pods over
 * zones (its default soft spread, and any DoNotSchedule spread of the workload itself): the pods of a zone-spread
 * workload find their zones' room taken by pods that could have gone anywhere, and wait for more nodes. So each
 * free claim, largest first, is pinned to the zone with the least CPU (running nodes and the plan so far) among
 * the zones where its cheapest option costs least: balancing never makes a claim dearer.
 */
import { Labels } from '../../sdk/api/well-known';
import { compatibleOfferings, type InstanceType } from './instance-types';
import type { PlannedNodeClaim } from './plan';
import { Requirement, Requirements } from './requirements';

/** Price ties within this relative margin count as equal (prices are floats from a table). */
const PRICE_EPSILON = 1e-9;

/** The zones where the claim's cheapest option is offered at its lowest price. */
function cheapestZones(plan: PlannedNodeClaim): string[] {
  const cheapest = plan.instanceTypeOptions[0];
  if (!cheapest) return [];
  const offerings = compatibleOfferings(cheapest, plan.requirements);
  const min = Math.min(...offerings.map((o) => o.price));
  return [
    ...new Set(offerings.filter((o) => o.price <= min * (1 + PRICE_EPSILON)).map((o) => o.zone)),
  ].sort();
}

function pinned(plan: PlannedNodeClaim): string | undefined {
  return plan.requirements.get(Labels.zone)?.single;
}

/**
 * The plans with every claim not already in one zone pinned to the least loaded of its cheapest zones.
 * `cpuByZone`: CPU (millicores) already in each zone; not modified.
 */
export function balanceZones(
  plans: PlannedNodeClaim[],
  cpuByZone: ReadonlyMap<string, number>,
): PlannedNodeClaim[] {
  const load = new Map(cpuByZone);
  const cpu = (p: PlannedNodeClaim) => p.requests.cpu ?? 0;
  for (const p of plans) {
    const zone = pinned(p);
    if (zone) load.set(zone, (load.get(zone) ?? 0) + cpu(p));
  }
  const free = plans.filter((p) => !pinned(p)).sort((a, b) => cpu(b) - cpu(a));
  const placed = new Map<PlannedNodeClaim, PlannedNodeClaim>();
  for (const plan of free) {
    const zones = cheapestZones(plan);
    if (zones.length < 2) continue;
    const zone = zones.reduce((best, z) => ((load.get(z) ?? 0) < (load.get(best) ?? 0) ? z : best));
    load.set(zone, (load.get(zone) ?? 0) + cpu(plan));
    const requirements = new Requirements(plan.requirements.values()).add(
      Requirement.in(Labels.zone, [zone]),
    );
    const inZone = (it: InstanceType) => compatibleOfferings(it, requirements).length > 0;
    placed.set(plan, { ...plan, requirements, instanceTypeOptions: plan.instanceTypeOptions.filter(inZone) });
  }
  return plans.map((p) => placed.get(p) ?? p);
}
