/**
 * What the fleet costs per hour, per NodePool and in all, against the least the same pods could cost (the
 * scheduler's lower bound, `bounds.ts`): the numbers behind `karpenter-ts cost`. Pure: nodes, pods, prices and each
 * pool's instance types in, a report out. Nodes are priced as the viewer prices them (instance type, capacity type
 * and zone from their labels); DaemonSet pods are left out of the bound, since they come with every node anyway.
 */
import { Labels } from '../../sdk/api/well-known';
import type { Node, NodePool, Pod } from '../kube/objects';
import { compatibleOfferings, instanceTypeCompatible, type InstanceType } from '../scheduling/instance-types';
import { isDaemonSetPod } from '../scheduling/pod-requirements';
import { computeCoverage, withCoverage, type SavingsPlan } from '../scheduling/savings-plans';
import { nodePoolRequirements } from '../scheduling/scheduler';
import { isTerminalPod } from '../state/cluster-state';
import type { PriceLookup } from '../viewer/model';
import { ratioAwareLowerBound } from './bounds';

/** Nodes no NodePool owns (a managed node group, say) are reported under this name. */
export const UNMANAGED = '(not Karpenter)';

export interface PoolCost {
  nodePool: string;
  nodes: number;
  /** Pods on its nodes, DaemonSet pods aside. */
  pods: number;
  dollarsPerHour: number;
  /** Nodes whose price the catalog does not know (priced as 0). */
  unpriced: number;
  /** The least those pods could cost on the pool's instance types, and the mix that would; absent without types. */
  bound?: { dollarsPerHour: number; mix: string };
}

export interface CostReport {
  pools: PoolCost[];
  dollarsPerHour: number;
  boundDollarsPerHour: number;
}

export interface CostInput {
  nodes: Node[];
  pods: Pod[];
  nodePools: NodePool[];
  priceOf: PriceLookup;
  /** Each pool's instance types, as its cloud offers them. */
  instanceTypes: Map<string, InstanceType[]>;
  /**
   * SAVINGS_PLANS: covered nodes count at what they bill, and the bound prices every covered offering at its plan's
   * rate (as if no commitment were used up: still a lower bound). @default none
   */
  savingsPlans?: readonly SavingsPlan[];
}

/** The pool's instance types with only the offerings it may launch. */
function allowedTypes(nodePool: NodePool, types: InstanceType[]): InstanceType[] {
  const reqs = nodePoolRequirements(nodePool);
  return types
    .filter((it) => instanceTypeCompatible(it, reqs))
    .map((it) => ({ ...it, offerings: compatibleOfferings(it, reqs) }));
}

export function costReport(input: CostInput): CostReport {
  const poolOf = new Map<string, string>();
  for (const n of input.nodes)
    poolOf.set(n.metadata.name ?? '', n.metadata.labels?.[Labels.nodePool] ?? UNMANAGED);
  const rows = new Map<string, PoolCost & { podList: Pod[] }>();
  const row = (name: string) => {
    let r = rows.get(name);
    if (!r)
      rows.set(
        name,
        (r = { nodePool: name, nodes: 0, pods: 0, dollarsPerHour: 0, unpriced: 0, podList: [] }),
      );
    return r;
  };
  for (const pool of input.nodePools) row(pool.metadata.name ?? '');
  const priced = input.nodes.map((n) => {
    const labels = n.metadata.labels ?? {};
    const instanceType = labels[Labels.instanceType] ?? '';
    const capacityType = labels[Labels.capacityType] ?? 'on-demand';
    const price = input.priceOf(instanceType, capacityType, labels[Labels.zone] ?? '');
    const since = Date.parse(n.metadata.creationTimestamp ?? '') || 0;
    return { name: n.metadata.name ?? '', instanceType, capacityType, price, since };
  });
  const coverage = input.savingsPlans?.length
    ? computeCoverage(
        input.savingsPlans,
        // The controller's own nodes only: the commitment is what is left for them.
        priced.flatMap((p) =>
          p.price === undefined || poolOf.get(p.name) === UNMANAGED ? [] : [{ ...p, price: p.price }],
        ),
      )
    : undefined;
  for (const p of priced) {
    const r = row(poolOf.get(p.name) as string);
    r.nodes++;
    if (p.price === undefined) r.unpriced++;
    else r.dollarsPerHour += coverage ? coverage.billedPrice(p.name, p.price) : p.price;
  }
  for (const p of input.pods) {
    const pool = p.spec.nodeName ? poolOf.get(p.spec.nodeName) : undefined;
    if (!pool || isDaemonSetPod(p) || isTerminalPod(p)) continue;
    row(pool).podList.push(p);
  }
  const pools: PoolCost[] = [];
  for (const { podList, ...r } of rows.values()) {
    r.pods = podList.length;
    const nodePool = input.nodePools.find((np) => np.metadata.name === r.nodePool);
    const listed = input.instanceTypes.get(r.nodePool) ?? [];
    const offered = input.savingsPlans?.length
      ? withCoverage(listed, computeCoverage(input.savingsPlans, []))
      : listed;
    const types = nodePool ? allowedTypes(nodePool, offered) : [];
    const capacityTypes = [...new Set(types.flatMap((t) => t.offerings.map((o) => o.capacityType)))];
    if (types.length > 0) {
      const bound =
        podList.length === 0
          ? { dollarsPerHour: 0, mix: '' }
          : ratioAwareLowerBound(podList, types, capacityTypes);
      if (Number.isFinite(bound.dollarsPerHour)) r.bound = bound;
    }
    pools.push(r);
  }
  pools.sort((a, b) => b.dollarsPerHour - a.dollarsPerHour || a.nodePool.localeCompare(b.nodePool));
  return {
    pools,
    dollarsPerHour: pools.reduce((s, p) => s + p.dollarsPerHour, 0),
    boundDollarsPerHour: pools.reduce((s, p) => s + (p.bound?.dollarsPerHour ?? 0), 0),
  };
}

const usd = (n: number) => `$${n.toFixed(3)}`;

/** The report as a table, pools by cost. */
export function renderCostReport(report: CostReport): string {
  const header = ['NodePool', 'nodes', 'pods', '$/hour', 'lower bound for these pods', '× bound'];
  const lines = report.pools.map((p) => [
    p.nodePool,
    String(p.nodes),
    String(p.pods),
    usd(p.dollarsPerHour) + (p.unpriced ? ` (+${p.unpriced} unpriced)` : ''),
    p.bound ? `${usd(p.bound.dollarsPerHour)}${p.bound.mix ? ` (${p.bound.mix})` : ''}` : '—',
    p.bound && p.bound.dollarsPerHour > 0 ? `${(p.dollarsPerHour / p.bound.dollarsPerHour).toFixed(2)}` : '—',
  ]);
  const managed = report.pools.filter((p) => p.bound);
  const managedCost = managed.reduce((s, p) => s + p.dollarsPerHour, 0);
  lines.push([
    'total',
    String(report.pools.reduce((s, p) => s + p.nodes, 0)),
    String(report.pools.reduce((s, p) => s + p.pods, 0)),
    usd(report.dollarsPerHour),
    usd(report.boundDollarsPerHour),
    report.boundDollarsPerHour > 0 ? (managedCost / report.boundDollarsPerHour).toFixed(2) : '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
