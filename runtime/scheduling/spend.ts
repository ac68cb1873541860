/**
 * Spend caps (karpenter-ts only): a NodePool's `spec.limits["karpenter-ts.sh/cost-per-hour"]` and the cluster-wide
 * CLUSTER_MAX_COST_PER_HOUR, in USD per hour, over the pool's running and planned nodes. Pure: pricing nodes and
 * claims, and what a new claim may offer the cloud so that launching any of its options keeps within the cap.
 *
 * A node costs what the scheduler prices it at (its offering: instance plus the node class's volumes, see
 * node-price.ts) less PER_NODE_COST, which is a weight for packing, not something the cloud bills. A launched node
 * is priced by its instance type, zone and capacity type; a claim not yet launched by the dearest of the instance
 * types it offers, each at its cheapest offering under the claim's requirements; deleting nodes count until they
 * are gone (they bill until then), as for the resource limits.
 *
 * A claim reserves what the scheduler prices it at: its cheapest option that holds its pods (less PER_NODE_COST),
 * reserved again as it grows onto larger types, never past the cap. So that the cloud cannot launch something
 * dearer, a claim of a capped pool offers the cloud only the options at that price (cappedOptions): when those
 * are out of capacity the launch fails, the offering is marked unavailable and the next round plans the next
 * cheapest. Spot offerings of one type can differ by zone; a claim not pinned to a zone counts its cheapest.
 */
import { CostPerHourLimit, Labels } from '../../sdk/api/well-known';
import type { NodeClaim, NodePool } from '../kube/objects';
import { cheapestOffering, instanceTypeCompatible, type InstanceType } from './instance-types';
import { CLUSTER_LIMIT_SETTINGS } from './limits';
import type { PricedOptions } from './priced-options';
import type { PoolState } from './pricing';
import { Requirements } from './requirements';
import { parseQuantity, type Resources } from './resources';

export { CostPerHourLimit };

/** A node or claim as the cluster state holds it: what pricing it needs. */
export interface SpendNode {
  /** Its name in ClusterState, for a price adjustment. */
  name?: string;
  labels: Record<string, string>;
  nodePoolName?: string;
  nodeClaim?: NodeClaim;
}

/** "$1.23/h": a price as explanations and events show it. */
export function formatUsd(perHour: number): string {
  return `$${perHour.toFixed(perHour !== 0 && Math.abs(perHour) < 0.1 ? 4 : 2)}/h`;
}

/** The pool's spend cap in USD/hour, or undefined when it has none. */
export function spendCap(nodePool: NodePool): number | undefined {
  const raw = nodePool.spec.limits?.[CostPerHourLimit];
  return raw === undefined ? undefined : parseQuantity(String(raw));
}

/** USD/hour to add to a launched node's type price to get what it bills (CloudProvider.nodePriceAdjustment). */
export type PriceAdjustment = (n: { name: string; nodeClaim?: NodeClaim }) => number;

/** The USD/hour a node or claim bills, or undefined when its instance types are not in the catalog. */
export function nodeSpend(
  n: SpendNode,
  types: readonly InstanceType[],
  unbilled = 0,
  adjust?: PriceAdjustment,
): number | undefined {
  const typeName = n.labels[Labels.instanceType] ?? n.nodeClaim?.metadata.labels?.[Labels.instanceType];
  if (typeName) {
    const it = types.find((t) => t.name === typeName);
    if (!it) return undefined;
    const zone = n.labels[Labels.zone];
    const ct = n.labels[Labels.capacityType];
    // Any offering, available or not: the node runs whatever the cloud has left to sell now.
    const prices = it.offerings
      .filter((o) => (!zone || o.zone === zone) && (!ct || o.capacityType === ct))
      .map((o) => o.price);
    if (prices.length === 0) return undefined;
    return (
      Math.max(...prices) - unbilled + (adjust && n.name !== undefined ? adjust({ ...n, name: n.name }) : 0)
    );
  }
  // Not launched: the dearest type it may become, each at its cheapest offering under the claim's requirements.
  const reqs = Requirements.fromSelectors(n.nodeClaim?.spec.requirements ?? []);
  const allowed = reqs.get(Labels.instanceType);
  let dearest: number | undefined;
  for (const it of types) {
    if (allowed && !allowed.has(it.name)) continue;
    if (!instanceTypeCompatible(it, reqs)) continue;
    const price = cheapestOffering(it, reqs)?.price;
    if (price !== undefined && (dearest === undefined || price > dearest)) dearest = price;
  }
  return dearest === undefined ? undefined : dearest - unbilled;
}

/** USD/hour of the nodes and claims of `pool` among `nodes` (those not priced add nothing). */
export function poolSpend(
  nodes: readonly SpendNode[],
  pool: string,
  types: readonly InstanceType[],
  unbilled = 0,
  adjust?: PriceAdjustment,
): number {
  let total = 0;
  for (const n of nodes) {
    if (n.nodePoolName !== pool || !n.nodeClaim) continue;
    total += nodeSpend(n, types, unbilled, adjust) ?? 0;
  }
  return total;
}

/** The options whose price (less `unbilled`) is within `left`: a prefix, as options are cheapest first. */
export function affordableOptions(options: PricedOptions, left: number, unbilled: number): PricedOptions {
  let n = 0;
  while (n < options.prices.length && (options.prices[n] as number) - unbilled <= left + 1e-9) n++;
  return n === options.prices.length
    ? options
    : { types: options.types.slice(0, n), prices: options.prices.slice(0, n) };
}

/** What a claim with these options (cheapest first, all holding its pods) reserves: the cheapest. */
export function claimReservation(options: PricedOptions, unbilled: number): number {
  return options.prices.length === 0 ? 0 : (options.prices[0] as number) - unbilled;
}

/**
 * The instance types a claim of a capped pool offers the cloud: those priced (under the claim's requirements) as
 * the cheapest, which is what its reservation counted. `types` are cheapest first, as plans keep them.
 */
export function cappedOptions(types: InstanceType[], reqs: Requirements): InstanceType[] {
  const priceOf = (it: InstanceType) => cheapestOffering(it, reqs)?.price ?? Infinity;
  const first = types[0];
  if (!first) return types;
  const cheapest = priceOf(first);
  return types.filter((it) => priceOf(it) <= cheapest + 1e-9);
}

/** USD/hour a claim may still take: the least the pool's and the cluster's caps leave; undefined with neither. */
export function spendLeft(pool: PoolState, cluster: Resources | undefined): number | undefined {
  const own = pool.remaining?.[CostPerHourLimit];
  const all = cluster?.[CostPerHourLimit];
  if (own === undefined) return all;
  return all === undefined ? own : Math.min(own, all);
}

/** Take `usd` from whichever of the pool's and the cluster's caps are set (a negative amount gives it back). */
export function chargeSpend(pool: PoolState, cluster: Resources | undefined, usd: number): void {
  for (const left of [pool.remaining, cluster]) {
    const now = left?.[CostPerHourLimit];
    if (left && now !== undefined) left[CostPerHourLimit] = now - usd;
  }
}

/** Why no option of a claim fits under the spend caps: the pool's, or else the cluster's. */
export function spendReason(
  pool: PoolState,
  cluster: Resources | undefined,
  cheapest: number,
  unbilled: number,
): string {
  const own = pool.remaining?.[CostPerHourLimit];
  const left = spendLeft(pool, cluster) ?? 0;
  const cap = pool.input.nodePool.spec.limits?.[CostPerHourLimit];
  const which =
    own !== undefined && own <= left
      ? `NodePool limit ${CostPerHourLimit}=${String(cap)}`
      : `cluster limit ${CLUSTER_LIMIT_SETTINGS[CostPerHourLimit]}`;
  return (
    `${which} reached (remaining ${formatUsd(Math.max(0, left))}; ` +
    `the cheapest fitting instance type costs ${formatUsd(cheapest - unbilled)})`
  );
}
