/**
 * A new NodeClaim for a pod that fits nowhere else: the first NodePool (by weight) whose taints, requirements,
 * topology, instance types and limits allow it, with every option that could hold the pod, cheapest first. When
 * no pool can, the reason names what stopped each one.
 */
import { Labels } from '../../sdk/api/well-known';
import type { InstanceType } from './instance-types';
import { usedHostPorts } from './host-ports';
import { clusterLimitReason, describeResources, limitReason, withinLimits } from './limits';

/** New claims draw on the cluster-wide caps: the scheduler takes its round's copy from here. */
export { clusterRemaining } from './limits';
import {
  affordableOptions,
  chargeSpend,
  claimReservation,
  CostPerHourLimit,
  spendLeft,
  spendReason,
} from './spend';
import { minValuesShortfall, relaxMinValues } from './min-values';
import type { ClaimContext, ClaimSlot } from './planned-claim';
import type { PodConstraints } from './pod-constraints';
import { filterOptions, firstFitting } from './priced-options';
import type { PoolState } from './pricing';
import { Requirements } from './requirements';
import { add, exceeded, fits, type Resources } from './resources';
import { formatTaint, untoleratedTaint } from './taints';

/** " in zone a": the zone a claim is pinned to (by the pod, its volumes or its topology), for explanations. */
function where(reqs: Requirements): string {
  const zone = reqs.get(Labels.zone)?.single;
  return zone ? ` in zone ${zone}` : '';
}

/**
 * Open a claim on `pool` for the pod, named `hostname` in topology counts; reserves the pool's limits for it.
 * Returns why not as a string.
 */
export function openClaim(
  ctx: ClaimContext,
  pool: PoolState,
  level: PodConstraints,
  req: Resources,
  hostname: string,
): ClaimSlot | string {
  const taint = untoleratedTaint(level.tolerations, pool.taints, { preferNoSchedule: true });
  if (taint) return `taint ${formatTaint(taint)} is not tolerated`;
  let lastReason = 'incompatible requirements';
  for (const podReqs of level.alternatives) {
    // A new node's name is not known before it launches: a pod that names its node (or no node) needs an
    // existing one, as upstream, which never puts a hostname on a NodeClaim.
    const host = podReqs.get(Labels.hostname);
    if (host && !host.complement) {
      lastReason = `requires ${host.toString()}: a new node's name is not known before it launches`;
      continue;
    }
    const conflict = pool.requirements.incompatibility(podReqs, { allowUndefinedWellKnown: true });
    if (conflict) {
      lastReason = `incompatible requirements: ${conflict}`;
      continue;
    }
    let merged = pool.requirements.intersect(podReqs);
    const verdict = ctx.topology.evaluate(level, { kind: 'claim', hostname, requirements: merged });
    if ('reason' in verdict) {
      lastReason = verdict.reason;
      continue;
    }
    merged = merged.intersect(new Requirements(verdict.requirements));
    const total = add(pool.input.daemonOverhead, req);
    const compatible = ctx.pricing.compatibleOptions(pool, merged);
    if (compatible.types.length === 0) {
      lastReason = `no instance type satisfies requirements [${merged.toString()}]`;
      continue;
    }
    // Without limits the options stay the shared compatible list (see ClaimSlot.first).
    const lazy = !pool.remaining && !ctx.cluster;
    const fitsTotal = (it: InstanceType) => fits(total, it.allocatable);
    const first = firstFitting(compatible, 0, total);
    const fitting =
      lazy || first < 0 ? compatible : filterOptions(compatible, 0, (it) => fits(total, it.allocatable));
    if (first < 0) {
      const largest = compatible.types.reduce((a, b) =>
        (a.allocatable.cpu ?? 0) >= (b.allocatable.cpu ?? 0) ? a : b,
      );
      lastReason =
        `no instance type${where(merged)} has enough resources for ${describeResources(total)} ` +
        `(largest compatible: ${largest.name} with ${describeResources(largest.allocatable)} allocatable; ` +
        `short of ${exceeded(total, largest.allocatable).join(', ')})`;
      continue;
    }
    const withinPool = pool.remaining
      ? filterOptions(fitting, 0, (it) => withinLimits(it, pool.remaining))
      : fitting;
    if (withinPool.types.length === 0) {
      lastReason = limitReason(pool.input.nodePool, pool.remaining ?? {}, fitting.types);
      continue;
    }
    const withinResources = ctx.cluster
      ? filterOptions(withinPool, 0, (it) => withinLimits(it, ctx.cluster))
      : withinPool;
    if (withinResources.types.length === 0) {
      lastReason = clusterLimitReason(ctx.cluster ?? {}, withinPool.types);
      continue;
    }
    const left = spendLeft(pool, ctx.cluster);
    const unbilled = pool.input.unbilledPerNode ?? 0;
    const options = left === undefined ? withinResources : affordableOptions(withinResources, left, unbilled);
    if (options.types.length === 0) {
      lastReason = spendReason(pool, ctx.cluster, withinResources.prices[0] as number, unbilled);
      continue;
    }
    const shortfall = minValuesShortfall(options.types, merged, lazy ? fitsTotal : undefined);
    let relaxed = false;
    if (shortfall) {
      if (ctx.minValuesPolicy !== 'BestEffort') {
        lastReason = shortfall;
        continue;
      }
      merged = relaxMinValues(options.types, merged, lazy ? fitsTotal : undefined);
      relaxed = true;
    }
    // Reserve the largest capacity this claim might launch, so neither the pool nor the cluster overshoots its
    // limits; the spend caps, the claim's price (see spend.ts).
    for (const remaining of [pool.remaining, ctx.cluster]) {
      for (const k of Object.keys(remaining ?? {})) {
        if (!remaining || k === CostPerHourLimit) continue;
        const need = k === 'nodes' ? 1 : Math.max(...options.types.map((it) => it.capacity[k] ?? 0));
        remaining[k] = (remaining[k] as number) - need;
      }
    }
    const spendReserved = left === undefined ? undefined : claimReservation(options, unbilled);
    if (spendReserved !== undefined) chargeSpend(pool, ctx.cluster, spendReserved);
    ctx.topology.open(hostname, true);
    ctx.topology.record(level.pod, { kind: 'claim', hostname, requirements: merged });
    return {
      pool,
      hostname,
      options,
      first: lazy ? first : 0,
      zone: merged.get(Labels.zone)?.single,
      hostPorts: usedHostPorts([level.pod]),
      refused: new Set(),
      ...(spendReserved !== undefined ? { spendReserved } : {}),
      plan: {
        nodePoolName: pool.name,
        requirements: merged,
        taints: pool.taints,
        pods: [level.pod],
        requests: total,
        instanceTypeOptions: lazy ? [] : options.types,
        ...(spendReserved !== undefined ? { spendCapped: true } : {}),
        ...(relaxed ? { minValuesRelaxed: true } : {}),
      },
    };
  }
  return lastReason;
}
