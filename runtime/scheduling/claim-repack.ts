/**
 * The second pass: pack again, by price, the pods of planned claims that could trade places (see repackClaims).
 * The first pass fills claims one at a time with pods in size order; this finds the plans it cannot, such as one
 * large node where it grew several small ones.
 */
import type { Pod } from '../kube/objects';
import { hostPorts } from './host-ports';
import { hasMinValues, minValuesShortfall } from './min-values';
import type { ClaimContext, ClaimSlot } from './planned-claim';
import type { PodConstraints } from './pod-constraints';
import { firstFitting } from './priced-options';
import { packByPrice } from './repack';
import { add, fits, type Resources } from './resources';

/**
 * Repack claims of one NodePool (without limits) with the same requirements, holding only pods that no topology
 * term counts per hostname, with no host ports and no terms of their own. Each such set of claims is replaced
 * only when the repacked plan costs less and needs no more nodes, so consolidation never sees a plan ask for
 * more than the first pass did. Returns the claims left with no pods.
 */
export function repackClaims(
  ctx: ClaimContext,
  claims: ClaimSlot[],
  levels: Map<Pod, PodConstraints[]>,
  requestsOf: (pod: Pod) => Resources,
): Set<ClaimSlot> {
  const movable = (pod: Pod) =>
    (levels.get(pod) ?? []).every((level) => level.terms.length === 0) &&
    hostPorts(pod).length === 0 &&
    !ctx.topology.countedPerHostname(pod);
  const buckets = new Map<string, ClaimSlot[]>();
  for (const claim of claims) {
    if (claim.pool.remaining || claim.plan.minValuesRelaxed || !claim.plan.pods.every(movable)) continue;
    const key = `${claim.pool.name}|${claim.plan.requirements.toString()}`;
    const bucket = buckets.get(key);
    if (bucket) bucket.push(claim);
    else buckets.set(key, [claim]);
  }
  const dropped = new Set<ClaimSlot>();
  for (const bucket of buckets.values()) {
    if (bucket.length < 2) continue;
    const { pool, plan } = bucket[0] as ClaimSlot;
    const options = ctx.pricing.compatibleOptions(pool, plan.requirements);
    const items = bucket.flatMap((c) => c.plan.pods.map((pod) => ({ item: pod, req: requestsOf(pod) })));
    const bins = packByPrice(
      items,
      options.types.map((it, i) => ({ allocatable: it.allocatable, price: options.prices[i] as number })),
      pool.input.daemonOverhead,
    );
    if (!bins || bins.length > bucket.length) continue;
    const totals = bins.map((bin) => add(pool.input.daemonOverhead, bin.requests));
    const firsts = totals.map((total) => firstFitting(options, 0, total));
    if (firsts.some((f) => f < 0)) continue;
    if (
      hasMinValues(plan.requirements) &&
      totals.some((total) =>
        minValuesShortfall(options.types, plan.requirements, (it) => fits(total, it.allocatable)),
      )
    )
      continue;
    const before = bucket.reduce((sum, c) => sum + (c.options.prices[c.first] as number), 0);
    const after = firsts.reduce((sum, f) => sum + (options.prices[f] as number), 0);
    if (!(after < before - 1e-9)) continue;
    bucket.forEach((claim, i) => {
      const bin = bins[i];
      const first = firsts[i];
      if (!bin || first === undefined) {
        dropped.add(claim);
        return;
      }
      claim.plan.pods = bin.items;
      claim.plan.requests = totals[i] as Resources;
      claim.options = options;
      claim.first = first;
    });
  }
  return dropped;
}
