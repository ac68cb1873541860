/**
 * The second pass: pack again, by price, the pods of planned claims that could trade places (see repackClaims).
 * The first pass fills claims one at a time with pods in size order; this finds the plans it cannot, such as one
 * large node where it grew several small ones.
 */
import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../kube/objects';
import { hostPorts } from './host-ports';
import { hasMinValues, minValuesShortfall } from './min-values';
import { claimPrice, type ClaimContext, type ClaimSlot } from './planned-claim';
import type { PodConstraints } from './pod-constraints';
import { firstFitting, type PricedOptions } from './priced-options';
import { packByPrice } from './pack-by-price';
import type { Requirements } from './requirements';
import { add, addInto, fits, type Resources } from './resources';

/** A repacked plan for some claims, applied only if it is chosen. */
interface Repacked {
  cost: number;
  apply(): void;
}

/**
 * Repack claims of one NodePool (without limits) with the same requirements, holding only pods that no topology
 * term counts per hostname, with no host ports and no terms of their own but over a domain (a zone) those
 * requirements pin. Then, per pool and requirements but the zone, the claims pinned to no zone may join the
 * claims of one zone they allow (their pods have no zone terms, or the first pass would have pinned them); a
 * claim left holding only such pods stays free of the zone, so zone balancing can still spread it (pinned with
 * the rest, a large plan's zone-free nodes all land in the one zone that saved most).
 * Each set of claims is replaced only when the repacked plan costs less and needs no more nodes, so consolidation
 * never sees a plan ask for more than the first pass did. Returns the claims left with no pods.
 */
export function repackClaims(
  ctx: ClaimContext,
  claims: ClaimSlot[],
  levels: Map<Pod, PodConstraints[]>,
  requestsOf: (pod: Pod) => Resources,
): Set<ClaimSlot> {
  const movable = movableIn(ctx, levels);
  const buckets = new Map<string, ClaimSlot[]>();
  for (const claim of claims) {
    if (claim.pool.remaining || ctx.cluster || claim.plan.minValuesRelaxed) continue;
    if (!claim.plan.pods.every((pod) => movable(pod, claim.plan.requirements))) continue;
    const key = `${claim.pool.name}|${claim.plan.requirements.toString()}`;
    const bucket = buckets.get(key);
    if (bucket) bucket.push(claim);
    else buckets.set(key, [claim]);
  }
  const dropped = new Set<ClaimSlot>();
  const repack = (bucket: ClaimSlot[], target: ClaimSlot, free?: FreeOfZone): Repacked | undefined =>
    repackInto(ctx, bucket, target, requestsOf, dropped, free);
  for (const bucket of buckets.values()) {
    if (bucket.length < 2) continue;
    const plan = repack(bucket, bucket[0] as ClaimSlot);
    if (plan && plan.cost < costOf(bucket) - 1e-9) plan.apply();
  }

  const families = new Map<string, { pinned: ClaimSlot[][]; loose: ClaimSlot[] | undefined }>();
  for (const bucket of buckets.values()) {
    const live = bucket.filter((c) => !dropped.has(c));
    const first = live[0];
    if (!first) continue;
    const reqs = first.plan.requirements;
    const key = `${first.pool.name}|${reqs
      .values()
      .filter((r) => r.key !== Labels.zone)
      .map((r) => r.toString())
      .join(',')}`;
    let family = families.get(key);
    if (!family) families.set(key, (family = { pinned: [], loose: undefined }));
    if (reqs.get(Labels.zone)?.single !== undefined) family.pinned.push(live);
    else family.loose = live;
  }
  for (const { pinned, loose } of families.values()) {
    if (!loose || pinned.length === 0) continue;
    const looseFirst = loose[0] as ClaimSlot;
    const allowed = looseFirst.plan.requirements.get(Labels.zone);
    const free: FreeOfZone = {
      pods: new Set(loose.flatMap((c) => c.plan.pods)),
      requirements: looseFirst.plan.requirements,
      options: ctx.pricing.compatibleOptions(looseFirst.pool, looseFirst.plan.requirements),
    };
    let best: Repacked | undefined;
    let saving = 1e-9;
    for (const zone of pinned) {
      const target = zone[0] as ClaimSlot;
      if (allowed && !allowed.has(target.zone as string)) continue;
      const together = [...zone, ...loose];
      const plan = repack(together, target, free);
      const saved = plan ? costOf(together) - plan.cost : 0;
      if (plan && saved > saving) {
        best = plan;
        saving = saved;
      }
    }
    best?.apply();
  }
  return dropped;
}

/**
 * A pod may trade places among claims that share requirements: its terms over a wider domain (a zone) hold
 * wherever it goes among claims pinned to one domain of that key, and it has no host ports and no per-hostname
 * terms.
 */
function movableIn(ctx: ClaimContext, levels: Map<Pod, PodConstraints[]>) {
  return (pod: Pod, reqs: Requirements) =>
    (levels.get(pod) ?? []).every((level) =>
      level.terms.every((t) => t.key !== Labels.hostname && reqs.get(t.key)?.single !== undefined),
    ) &&
    hostPorts(pod).length === 0 &&
    !ctx.topology.countedPerHostname(pod);
}

/**
 * SchedulingInput.oneNewClaim: when every claim is of one NodePool (without limits) and one set of requirements,
 * holding only pods that may trade places, and one instance type holds all their pods, the first claim takes them
 * all. Returns the claims left with no pods (none when the claims cannot be merged).
 */
export function mergeClaims(
  ctx: ClaimContext,
  claims: ClaimSlot[],
  levels: Map<Pod, PodConstraints[]>,
  requestsOf: (pod: Pod) => Resources,
): Set<ClaimSlot> {
  const target = claims[0];
  if (!target || target.pool.remaining || ctx.cluster) return new Set();
  const movable = movableIn(ctx, levels);
  const reqs = target.plan.requirements.toString();
  const mergeable = claims.every(
    (c) =>
      c.pool === target.pool &&
      !c.plan.minValuesRelaxed &&
      c.plan.requirements.toString() === reqs &&
      c.plan.pods.every((pod) => movable(pod, c.plan.requirements)),
  );
  if (!mergeable) return new Set();
  const pods = claims.flatMap((c) => c.plan.pods);
  const total = { ...target.pool.input.daemonOverhead };
  for (const pod of pods) addInto(total, requestsOf(pod));
  const options = ctx.pricing.compatibleOptions(target.pool, target.plan.requirements);
  const first = firstFitting(options, 0, total);
  if (first < 0) return new Set();
  if (
    hasMinValues(target.plan.requirements) &&
    minValuesShortfall(options.types, target.plan.requirements, (it) => fits(total, it.allocatable))
  )
    return new Set();
  target.plan.pods = pods;
  target.plan.requests = total;
  target.options = options;
  target.first = first;
  return new Set(claims.slice(1));
}

/** The pods of the claims pinned to no zone, with those claims' requirements and options. */
interface FreeOfZone {
  pods: ReadonlySet<Pod>;
  requirements: Requirements;
  options: PricedOptions;
}

function costOf(claims: ClaimSlot[]): number {
  return claims.reduce((sum, c) => sum + claimPrice(c), 0);
}

/**
 * Pack the pods of `bucket` by price onto the requirements of `target` (one of them), needing no more claims
 * than the bucket has; apply() rewrites the claims (those left over are added to `dropped`).
 */
function repackInto(
  ctx: ClaimContext,
  bucket: ClaimSlot[],
  target: ClaimSlot,
  requestsOf: (pod: Pod) => Resources,
  dropped: Set<ClaimSlot>,
  free?: FreeOfZone,
): Repacked | undefined {
  const { pool, plan } = target;
  const options: PricedOptions = ctx.pricing.compatibleOptions(pool, plan.requirements);
  const items = bucket.flatMap((c) => c.plan.pods.map((pod) => ({ item: pod, req: requestsOf(pod) })));
  const pack = (perNode: number) =>
    packByPrice(
      items,
      options.types.map((it, i) => ({
        allocatable: it.allocatable,
        price: (options.prices[i] as number) + perNode,
      })),
      pool.input.daemonOverhead,
    );
  let bins = pack(0);
  // The cheapest price per unit can take many small nodes, more than the first pass planned: charge each node a
  // little (from 1/64 of the bucket's mean claim price, doubling) until the plan fits in as many nodes.
  const mean = costOf(bucket) / bucket.length;
  for (let charge = mean / 64; bins && bins.length > bucket.length && charge <= mean; charge *= 2)
    bins = pack(charge);
  if (!bins || bins.length > bucket.length) return undefined;
  const totals = bins.map((bin) => add(pool.input.daemonOverhead, bin.requests));
  const firsts = totals.map((total) => firstFitting(options, 0, total));
  if (firsts.some((f) => f < 0)) return undefined;
  if (
    hasMinValues(plan.requirements) &&
    totals.some((total) =>
      minValuesShortfall(options.types, plan.requirements, (it) => fits(total, it.allocatable)),
    )
  )
    return undefined;
  return {
    cost: firsts.reduce((sum, f) => sum + (options.prices[f] as number), 0),
    apply: () =>
      bucket.forEach((claim, i) => {
        const bin = bins[i];
        const first = firsts[i];
        if (!bin || first === undefined) {
          dropped.add(claim);
          return;
        }
        claim.plan.pods = bin.items;
        claim.plan.requests = totals[i] as Resources;
        // Every option of the pinned requirements is one of the free ones (they allow that zone), so the free
        // requirements' first fit is no dearer.
        const unpinned = free && bin.items.every((pod) => free.pods.has(pod)) ? free : undefined;
        const freeFirst = unpinned ? firstFitting(unpinned.options, 0, totals[i] as Resources) : -1;
        if (unpinned && freeFirst >= 0) {
          claim.plan.requirements = unpinned.requirements;
          claim.zone = undefined;
          claim.options = unpinned.options;
          claim.first = freeFirst;
          return;
        }
        claim.plan.requirements = plan.requirements;
        claim.zone = target.zone;
        claim.options = options;
        claim.first = first;
      }),
  };
}
