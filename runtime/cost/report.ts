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
  for (const n of input.nodes) {
    const labels = n.metadata.labels ?? {};
    const r = row(poolOf.get(n.metadata.name ?? '') as string);
    r.nodes++;
    const price = input.priceOf(
      labels[Labels.instanceType] ?? '',
      labels[Labels.capacityType] ?? 'on-demand',
      labels[Labels.zone] ?? '',
    );
    if (price === undefined) r.unpriced++;
    else r.dollarsPerHour += price;
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
    const types = nodePool ? allowedTypes(nodePool, input.instanceTypes.get(r.nodePool) ?? []) : [];
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
