/**
 * A NodeClaim planned in this round: the pods it holds, its requirements and its instance-type options. canAdd
 * says whether one more pod (one of its requirement alternatives) fits and what the claim would become; add
 * applies that. Growing a claim onto a pricier type must not cost more than the pod's own node (the budget).
 */
import { Labels } from '../../sdk/api/well-known';
import type { InstanceType } from './instance-types';
import { hostPorts } from './host-ports';
import { hasMinValues, minValuesShortfall, relaxMinValues } from './min-values';
import type { PodConstraints } from './pod-constraints';
import type { MinValuesPolicy, PlannedNodeClaim } from './plan';
import {
  affordableFit,
  filterOptions,
  firstFitting,
  sortByPrice,
  type PricedOptions,
} from './priced-options';
import type { OptionPricing, PoolState } from './pricing';
import { Requirements } from './requirements';
import { affordableOptions, chargeSpend, claimReservation, spendLeft } from './spend';
import { add as addResources, fits, type Resources } from './resources';
import type { Domain, Topology } from './topology';

export interface ClaimSlot {
  plan: PlannedNodeClaim;
  pool: PoolState;
  /** The hostname domain this claim stands for in topology counts. */
  hostname: string;
  /**
   * The options with their prices, cheapest first. Entries from `first` on are a superset of the options that
   * still fit the claim (pruned lazily: requests only grow, so a stale entry never fits again), and
   * options[first] is always the cheapest that fits; solve() trims the rest into the plan at the end.
   */
  options: PricedOptions;
  first: number;
  /** The zone the claim is pinned to, if one: the common topology test reads it without a requirements lookup. */
  zone: string | undefined;
  hostPorts: Set<string>;
  /** USD/hour this claim holds of its pool's spend cap (see spend.ts); absent without a cap. */
  spendReserved?: number;
  /** Pod shapes (see Scheduler.shapeId) this claim refused for good reasons since it last changed: no affordable room, or a hostname topology term. */
  refused: Set<number>;
}

export interface ClaimContext {
  topology: Topology;
  pricing: OptionPricing;
  minValuesPolicy: MinValuesPolicy | undefined;
  /** This round's copy of what the cluster-wide caps still allow (limits.ts clusterRemaining). */
  cluster?: Resources | undefined;
}

/** What the claim becomes with the pod: canAdd's yes, applied by add. */
export interface ClaimFit {
  requirements: Requirements;
  options: PricedOptions;
  first: number;
  total: Resources;
  minValuesRelaxed: boolean;
  /** The claim's new spend reservation, when its pool has a spend cap. */
  spendReserved?: number;
}

/** canAdd's no: a stable refusal holds for pods of the same shape until the claim changes. */
export interface ClaimRefusal {
  stable: boolean;
}

// Shared answers: the scan asks canAdd pods × claims times, and most answers are no.
const REFUSED: ClaimRefusal = { stable: false };
const REFUSED_FOR_GOOD: ClaimRefusal = { stable: true };

/** The claim's price now: the cheapest option that holds what it has. */
export function claimPrice(claim: ClaimSlot): number {
  return claim.options.prices[claim.first] ?? Infinity;
}

/**
 * Can the pod, under one of its requirement alternatives, join the claim for at most `budget` $/hour in all?
 * Taints, host ports and the zones its topology allows are the caller's (constant per pod) tests.
 */
export function canAdd(
  ctx: ClaimContext,
  claim: ClaimSlot,
  level: PodConstraints,
  podReqs: Requirements,
  req: Resources,
  budget: number,
): ClaimFit | ClaimRefusal {
  // Narrowing requirements only removes options or raises prices, so this cheap test comes first and rejects
  // most full claims outright.
  if (!affordableFit(claim.options, claim.first, claim.plan.requests, req, budget)) return REFUSED_FOR_GOOD;
  if (claim.plan.requirements.incompatibility(podReqs, { allowUndefinedWellKnown: true })) return REFUSED;
  let merged = claim.plan.requirements.narrowedBy(podReqs.values())
    ? claim.plan.requirements.intersect(podReqs)
    : claim.plan.requirements;
  const verdict = ctx.topology.evaluate(level, {
    kind: 'claim',
    hostname: claim.hostname,
    requirements: merged,
  });
  if ('reason' in verdict) return verdict.stable ? REFUSED_FOR_GOOD : REFUSED;
  if (merged.narrowedBy(verdict.requirements))
    merged = merged.intersect(new Requirements(verdict.requirements));
  const narrowed = merged !== claim.plan.requirements;
  if (narrowed && merged.values().some((r) => r.isEmpty())) return REFUSED;
  const total = addResources(claim.plan.requests, req);
  const strict = ctx.minValuesPolicy !== 'BestEffort';
  let sorted = claim.options;
  let first: number;
  let minValuesRelaxed = false;
  let spendReserved: number | undefined;
  if (!claim.pool.remaining && !ctx.cluster) {
    // The claim's options are the pool's types compatible with its requirements (a cached, price-ordered list
    // when they just narrowed), of which the cheapest that fits decides the budget test, and those that fit the
    // minValues count (entries before `first` fit no more).
    if (narrowed) sorted = ctx.pricing.compatibleOptions(claim.pool, merged);
    first = firstFitting(sorted, narrowed ? 0 : claim.first, total);
    if (first < 0 || (sorted.prices[first] as number) > budget) return REFUSED;
    if (hasMinValues(merged)) {
      const fitting = (it: InstanceType) => fits(total, it.allocatable);
      if (minValuesShortfall(sorted.types, merged, fitting)) {
        if (strict) return REFUSED;
        merged = relaxMinValues(sorted.types, merged, fitting);
        minValuesRelaxed = true;
      }
    }
  } else if (narrowed || hasMinValues(merged) || claim.spendReserved !== undefined) {
    // Limits fixed the options at creation, and a minValues count or a spend reservation needs the exact
    // remaining options.
    const priceOf = narrowed ? ctx.pricing.priceUnder(merged) : undefined;
    const keep = (it: InstanceType) => fits(total, it.allocatable) && (!priceOf || priceOf(it) !== null);
    const kept = filterOptions(claim.options, claim.first, keep);
    if (kept.types.length === 0) return REFUSED;
    sorted = priceOf ? sortByPrice(kept.types, priceOf) : kept;
    if (claim.spendReserved !== undefined) {
      // Only what the reservation and the pool's spend left cover; the claim then reserves its new dearest.
      const unbilled = claim.pool.input.unbilledPerNode ?? 0;
      const left = claim.spendReserved + (spendLeft(claim.pool, ctx.cluster) ?? 0);
      sorted = affordableOptions(sorted, left, unbilled);
      if (sorted.types.length === 0) return REFUSED;
      spendReserved = claimReservation(sorted, unbilled);
    }
    first = 0;
    if ((sorted.prices[0] ?? Infinity) > budget) return REFUSED;
    if (minValuesShortfall(sorted.types, merged)) {
      if (strict) return REFUSED;
      merged = relaxMinValues(sorted.types, merged);
      minValuesRelaxed = true;
    }
  } else {
    first = firstFitting(claim.options, claim.first, total);
    if (first < 0 || (claim.options.prices[first] as number) > budget) return REFUSED;
  }
  return {
    requirements: merged,
    options: sorted,
    first,
    total,
    minValuesRelaxed,
    ...(spendReserved !== undefined ? { spendReserved } : {}),
  };
}

/** Put the pod on the claim as canAdd found it would fit. */
export function add(ctx: ClaimContext, claim: ClaimSlot, level: PodConstraints, fit: ClaimFit): void {
  if (fit.minValuesRelaxed) claim.plan.minValuesRelaxed = true;
  claim.plan.requirements = fit.requirements;
  claim.zone = fit.requirements.get(Labels.zone)?.single;
  claim.plan.requests = fit.total;
  claim.plan.pods.push(level.pod);
  for (const port of hostPorts(level.pod)) claim.hostPorts.add(port);
  claim.options = fit.options;
  claim.first = fit.first;
  if (fit.spendReserved !== undefined && claim.spendReserved !== undefined) {
    chargeSpend(claim.pool, ctx.cluster, fit.spendReserved - claim.spendReserved);
    claim.spendReserved = fit.spendReserved;
  }
  claim.refused.clear();
  ctx.topology.record(level.pod, { kind: 'claim', hostname: claim.hostname, requirements: fit.requirements });
}

/**
 * Every key the pod's topology restricts still has an allowed domain the claim's requirements accept; when not,
 * the topology evaluation would refuse the claim.
 */
export function domainsLeft(allowed: [string, Set<Domain>][], reqs: Requirements): boolean {
  for (const [key, domains] of allowed) {
    const r = reqs.get(key);
    if (!r) {
      if (domains.size === 0) return false;
      continue;
    }
    let any = false;
    if (r.complement) {
      for (const d of domains) if (r.has(d)) any = true;
    } else if (r.single !== undefined) {
      any = domains.has(r.single);
    } else {
      for (const d of r.values) if (domains.has(d) && r.has(d)) any = true;
    }
    if (!any) return false;
  }
  return true;
}

/** After a claim gained a pod, move it right past claims with fewer pods: the list stays ordered by pod count. */
export function reposition(claims: ClaimSlot[], claim: ClaimSlot): void {
  let i = claims.indexOf(claim);
  while (i + 1 < claims.length && (claims[i + 1] as ClaimSlot).plan.pods.length < claim.plan.pods.length) {
    claims[i] = claims[i + 1] as ClaimSlot;
    claims[++i] = claim;
  }
}

/** Insert a new claim after every claim with as few pods, keeping the list ordered by pod count. */
export function insertOrdered(claims: ClaimSlot[], claim: ClaimSlot): void {
  let i = claims.length;
  while (i > 0 && (claims[i - 1] as ClaimSlot).plan.pods.length > claim.plan.pods.length) i--;
  claims.splice(i, 0, claim);
}
