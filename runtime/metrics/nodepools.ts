/**
 * NodePool metrics: limits and usage (from the NodePool's spec and the status the NodePool status controller keeps),
 * the estimated cost of each pool's nodes, and the disruption budget gauges the disruption controller sets. One
 * series per pool and resource.
 */
import { Gauge } from 'prom-client';
import { CostPerHourLimit, Labels } from '../../sdk/api/well-known';
import type { InstanceType } from '../scheduling/instance-types';
import { poolSpend, spendCap, type PriceAdjustment } from '../scheduling/spend';
import type { NodePool } from '../kube/objects';
import { nameOf } from '../kube/objects';
import { fromResourceList } from '../scheduling/resources';
import type { StateNode } from '../state/cluster-state';
import { registers } from './metrics';
import { resourceTypeLabel, toBaseUnit } from './nodes';

export const nodePoolsLimit = new Gauge({
  name: 'karpenter_nodepools_limit',
  help: 'Limits specified on the nodepool that restrict the quantity of resources provisioned. Labeled by nodepool name and resource type.',
  labelNames: ['resource_type', 'nodepool'] as const,
  registers,
});

export const nodePoolsUsage = new Gauge({
  name: 'karpenter_nodepools_usage',
  help: 'The amount of resources that have been provisioned for a nodepool. Labeled by nodepool name and resource type.',
  labelNames: ['resource_type', 'nodepool'] as const,
  registers,
});

export const nodePoolsCostTotal = new Gauge({
  name: 'karpenter_nodepools_cost_total',
  help: "Total cost of the nodepool from Karpenter's perspective. Units are determined by the cloud provider. Not an authoritative source for billing.",
  labelNames: ['nodepool'] as const,
  registers,
});

export const nodePoolsCostPerHour = new Gauge({
  name: 'karpenter_nodepools_cost_per_hour',
  help: "USD per hour of the nodepool's nodes and NodeClaims as its spend cap counts them (karpenter-ts): instance and volumes as the scheduler prices them, without PER_NODE_COST. Labeled by nodepool.",
  labelNames: ['nodepool'] as const,
  registers,
});

export const nodePoolsCostLimit = new Gauge({
  name: 'karpenter_nodepools_cost_limit',
  help: 'The nodepool\'s spend cap in USD per hour, spec.limits["karpenter-ts.sh/cost-per-hour"] (karpenter-ts); no series without one. Labeled by nodepool.',
  labelNames: ['nodepool'] as const,
  registers,
});

export const nodePoolsAllowedDisruptions = new Gauge({
  name: 'karpenter_nodepools_allowed_disruptions',
  help: 'The number of nodes for a given NodePool that can be concurrently disrupting at a point in time. Labeled by NodePool. Note that allowed disruptions can change very rapidly, as new nodes may be created and others may be deleted at any point.',
  labelNames: ['nodepool', 'reason'] as const,
  registers,
});

export const nodePoolsNodesConsumingBudgets = new Gauge({
  name: 'karpenter_nodepools_nodes_consuming_budgets',
  help: 'The number of nodes consuming the budget of a nodepool at a point in time. Labeled by NodePool.',
  labelNames: ['nodepool', 'reason'] as const,
  registers,
});

export interface NodePoolSample {
  nodepool: string;
  resource_type: string;
  value: number;
}

function samples(nodePool: NodePool, list: Record<string, string | number> | undefined): NodePoolSample[] {
  // The spend cap's key is dollars, not a resource: karpenter_nodepools_cost_limit / _cost_per_hour carry it.
  const resources = Object.fromEntries(Object.entries(list ?? {}).filter(([k]) => k !== CostPerHourLimit));
  return Object.entries(fromResourceList(resources)).map(([resource, v]) => ({
    nodepool: nameOf(nodePool),
    resource_type: resourceTypeLabel(resource),
    value: toBaseUnit(resource, v),
  }));
}

/** The pool's limits (none: no series, as upstream) and its usage as its status reports it. */
export function nodePoolSamples(nodePools: NodePool[]): { limit: NodePoolSample[]; usage: NodePoolSample[] } {
  return {
    limit: nodePools.flatMap((np) => samples(np, np.spec.limits)),
    usage: nodePools.flatMap((np) => samples(np, np.status?.resources)),
  };
}

/** An offering's price, by instance type, capacity type and zone; undefined when the catalog does not know it. */
export type PriceLookup = (instanceType: string, capacityType: string, zone: string) => number | undefined;

/** Each pool's hourly cost: the price of every node or claim it owns that is not being deleted. */
export function nodePoolCosts(
  nodePools: NodePool[],
  nodes: StateNode[],
  price: PriceLookup,
  adjust?: PriceAdjustment,
): Map<string, number> {
  const out = new Map<string, number>(nodePools.map((np) => [nameOf(np), 0]));
  for (const n of nodes) {
    if (!n.managed || n.deleting || !n.nodePoolName || !out.has(n.nodePoolName)) continue;
    const p = price(
      n.labels[Labels.instanceType] ?? '',
      n.labels[Labels.capacityType] ?? '',
      n.labels[Labels.zone] ?? '',
    );
    const billed = p === undefined ? 0 : p + (adjust?.(n) ?? 0);
    out.set(n.nodePoolName, (out.get(n.nodePoolName) ?? 0) + billed);
  }
  return out;
}

export function refreshNodePoolGauges(nodePools: NodePool[]): void {
  nodePoolsLimit.reset();
  nodePoolsUsage.reset();
  nodePoolsCostLimit.reset();
  for (const np of nodePools) {
    const cap = spendCap(np);
    if (cap !== undefined) nodePoolsCostLimit.set({ nodepool: nameOf(np) }, cap);
  }
  const { limit, usage } = nodePoolSamples(nodePools);
  for (const { value, ...labels } of limit) nodePoolsLimit.set(labels, value);
  for (const { value, ...labels } of usage) nodePoolsUsage.set(labels, value);
}

export function refreshNodePoolCosts(
  nodePools: NodePool[],
  nodes: StateNode[],
  price: PriceLookup,
  adjust?: PriceAdjustment,
): void {
  nodePoolsCostTotal.reset();
  for (const [nodepool, cost] of nodePoolCosts(nodePools, nodes, price, adjust))
    nodePoolsCostTotal.set({ nodepool }, cost);
}

/** karpenter_nodepools_cost_per_hour: each pool's nodes priced by its own (overlaid, per-node) instance types. */
export function refreshNodePoolSpend(
  nodePools: NodePool[],
  nodes: StateNode[],
  typesOf: ReadonlyMap<string, readonly InstanceType[]>,
  adjust?: PriceAdjustment,
): void {
  nodePoolsCostPerHour.reset();
  for (const np of nodePools) {
    const types = typesOf.get(nameOf(np));
    if (types)
      nodePoolsCostPerHour.set({ nodepool: nameOf(np) }, poolSpend(nodes, nameOf(np), types, 0, adjust));
  }
}
