/**
 * What the node viewer shows, computed from plain Nodes and Pods: requests (not usage) against allocatable per
 * node, its price and status, and a cluster summary. Works for any cluster: the simulator or a kubeconfig.
 */
import { Labels, Taints } from '../../sdk/api/well-known';
import { nameOf, type Node, type Pod } from '../kube/objects';
import { matchesSelector, parseSelectorString } from '../kube/selectors';
import { addInto, fromResourceList, podRequests, type Resources } from '../scheduling/resources';
import { computeCoverage, type SavingsPlan } from '../scheduling/savings-plans';

export interface ViewerNode {
  name: string;
  nodePool?: string;
  instanceType: string;
  capacityType: string;
  zone: string;
  price?: number;
  allocatable: Resources;
  requested: Resources;
  pods: number;
  ready: boolean;
  deleting: boolean;
  cordoned: boolean;
  createdAt?: string;
  labels: Record<string, string>;
}

export interface ViewerModel {
  nodes: ViewerNode[];
  pods: { total: number; pending: number; running: number; bound: number };
}

/** A node's USD/hour by its instance type, capacity type, zone and (for a Karpenter node) NodePool. */
export type PriceLookup = (
  instanceType: string,
  capacityType: string,
  zone: string,
  nodePool?: string,
) => number | undefined;

export interface ViewerOptions {
  /** Label selector string, e.g. "workload-type=developers-workshop". */
  nodeSelector?: string;
  /** Sort order of node rows. @default "creation" */
  sort?: 'creation' | 'name' | 'price' | 'cpu';
  /** SAVINGS_PLANS: covered nodes are shown at what they bill (coverage over these nodes). @default none */
  savingsPlans?: readonly SavingsPlan[];
}

export function buildViewerModel(
  nodes: Node[],
  pods: Pod[],
  priceOf: PriceLookup,
  opts: ViewerOptions = {},
): ViewerModel {
  const selector = opts.nodeSelector ? parseSelectorString(opts.nodeSelector) : undefined;
  const live = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const byNode = new Map<string, Pod[]>();
  for (const pod of live) {
    if (!pod.spec.nodeName) continue;
    const list = byNode.get(pod.spec.nodeName) ?? [];
    list.push(pod);
    byNode.set(pod.spec.nodeName, list);
  }
  const rows: ViewerNode[] = [];
  for (const node of nodes) {
    const labels = node.metadata.labels ?? {};
    if (selector && !matchesSelector(selector, labels)) continue;
    const onNode = byNode.get(nameOf(node)) ?? [];
    const requested: Resources = {};
    for (const pod of onNode) addInto(requested, podRequests(pod));
    const instanceType = labels[Labels.instanceType] ?? 'unknown';
    const capacityType =
      labels[Labels.capacityType] ??
      labels['eks.amazonaws.com/capacityType']?.toLowerCase().replace('_', '-') ??
      '';
    const zone = labels[Labels.zone] ?? '';
    const price = priceOf(instanceType, capacityType, zone, labels[Labels.nodePool]);
    rows.push({
      name: nameOf(node),
      ...(labels[Labels.nodePool] ? { nodePool: labels[Labels.nodePool] } : {}),
      instanceType,
      capacityType,
      zone,
      ...(price !== undefined ? { price } : {}),
      allocatable: fromResourceList(node.status?.allocatable),
      requested,
      pods: onNode.length,
      ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      deleting:
        Boolean(node.metadata.deletionTimestamp) ||
        (node.spec?.taints ?? []).some((t) => t.key === Taints.disrupted.key),
      cordoned: Boolean(node.spec?.unschedulable),
      ...(node.metadata.creationTimestamp ? { createdAt: node.metadata.creationTimestamp } : {}),
      labels,
    });
  }
  if (opts.savingsPlans?.length) billAsCovered(rows, opts.savingsPlans);
  sortRows(rows, opts.sort ?? 'creation');
  return {
    nodes: rows,
    pods: {
      total: live.length,
      pending: live.filter((p) => (p.status?.phase ?? 'Pending') === 'Pending').length,
      running: live.filter((p) => p.status?.phase === 'Running').length,
      bound: live.filter((p) => p.spec.nodeName).length,
    },
  };
}

/**
 * Each Karpenter node's price as it bills under the plans, nodes oldest first, as the controller assigns coverage
 * (to its own nodes only: the commitment is what is left for them).
 */
function billAsCovered(rows: ViewerNode[], plans: readonly SavingsPlan[]): void {
  const coverage = computeCoverage(
    plans,
    rows.flatMap((r) =>
      r.price === undefined || r.nodePool === undefined
        ? []
        : [{ ...r, price: r.price, since: Date.parse(r.createdAt ?? '') || 0 }],
    ),
  );
  for (const r of rows) if (r.price !== undefined) r.price = coverage.billedPrice(r.name, r.price);
}

function sortRows(rows: ViewerNode[], order: NonNullable<ViewerOptions['sort']>): void {
  const cpuFraction = (n: ViewerNode) => (n.allocatable.cpu ? (n.requested.cpu ?? 0) / n.allocatable.cpu : 0);
  rows.sort((a, b) => {
    switch (order) {
      case 'name':
        return a.name.localeCompare(b.name);
      case 'price':
        return (b.price ?? 0) - (a.price ?? 0) || a.name.localeCompare(b.name);
      case 'cpu':
        return cpuFraction(b) - cpuFraction(a) || a.name.localeCompare(b.name);
      default:
        return (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.name.localeCompare(b.name);
    }
  });
}
