/**
 * Binds the scrape-time gauges to a running controller: node, NodePool, pod and cluster state gauges computed from
 * the ClusterState at scrape time (instead of being kept up to date on every watch event), the offering gauges
 * from the cloud provider's catalog, and the pod startup tracker fed by the pod cache's events.
 */
import type { CloudProvider } from '../cloudprovider/types';
import type { InstanceType } from '../scheduling/instance-types';
import { withNodePrice } from '../scheduling/node-price';
import type { NodePool, Pod } from '../kube/objects';
import type { StateNode } from '../state/cluster-state';
import { refreshOfferingGauges, priceLookup } from './cloudprovider';
import {
  clusterStateNodeCount,
  clusterStateSynced,
  clusterStateUnsyncedTimeSeconds,
  refreshNodeGauges,
} from './nodes';
import {
  refreshNodePoolCosts,
  refreshNodePoolGauges,
  refreshNodePoolSpend,
  type PriceLookup,
} from './nodepools';
import { PodStartupTracker, refreshPodGauges, type SchedulableTimes } from './pods';
import { onScrape } from './registry';

type PodHandler = (type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: Pod, old: Pod | undefined) => void;

/** What the state source must offer: the ClusterState satisfies it. */
export interface ClusterStateSource {
  stateNodes(): StateNode[];
  pods: { list(): Pod[]; onChange?(handler: PodHandler): void };
  nodePools?: { list(): NodePool[] };
  readonly synced?: boolean;
  /** When the provisioner first found each pending pod a place: the provisioning durations' start. */
  podScheduling?: SchedulableTimes;
}

export interface BindOptions {
  /** The clock for node ages and unsynced time. @default Date.now */
  now?: () => number;
  /** Where the offering gauges and NodePool costs come from; none: they are not exported. */
  cloud?: CloudProvider;
  /** How often the catalog is read again (ms; scrapes in between reuse it). @default 60000 */
  catalogRefreshMs?: number;
}

/** Report this state at every scrape; returns a function that stops reporting it and clears its series. */
export function bindClusterState(state: ClusterStateSource, opts: BindOptions = {}): () => void {
  const now = opts.now ?? Date.now;
  const tracker = new PodStartupTracker(now, state.podScheduling);
  let bound = true;
  state.pods.onChange?.((type, pod) => {
    if (bound) tracker.onPod(type, pod);
  });
  let unsyncedSince: number | undefined;
  let prices: { at: number; lookup: PriceLookup; typesOf: Map<string, InstanceType[]> } | undefined;
  const off = onScrape(async () => {
    refreshClusterGauges(state, now());
    const t = now();
    if (state.synced === false) unsyncedSince ??= t;
    else unsyncedSince = undefined;
    clusterStateUnsyncedTimeSeconds.set(unsyncedSince === undefined ? 0 : (t - unsyncedSince) / 1000);
    if (!opts.cloud || !state.nodePools) return;
    const nodePools = state.nodePools.list();
    if (!prices || t - prices.at >= (opts.catalogRefreshMs ?? 60_000)) {
      const lookup = priceLookup(await refreshOfferingGauges(opts.cloud, nodePools));
      prices = { at: t, lookup, typesOf: await spendCatalog(opts.cloud, nodePools) };
    }
    // Covered nodes of a used-up SAVINGS_PLANS plan bill less than their types show (savings-plans.ts).
    const adjust = opts.cloud.nodePriceAdjustment?.bind(opts.cloud);
    refreshNodePoolCosts(nodePools, state.stateNodes(), prices.lookup, adjust);
    refreshNodePoolSpend(nodePools, state.stateNodes(), prices.typesOf, adjust);
  });
  return () => {
    bound = false;
    off();
    refreshClusterGauges(undefined, now());
  };
}

/** Rewrite the cluster gauges from a state (clearing series of nodes that are gone). */
export function refreshClusterGauges(state: ClusterStateSource | undefined, now: number): void {
  const nodes = state?.stateNodes() ?? [];
  refreshNodeGauges(nodes, now);
  refreshPodGauges(nodes, state?.pods.list() ?? []);
  refreshNodePoolGauges(state?.nodePools?.list() ?? []);
  clusterStateNodeCount.reset();
  clusterStateSynced.reset();
  if (!state) return;
  clusterStateNodeCount.set(nodes.filter((n) => n.node).length);
  clusterStateSynced.set(state.synced === false ? 0 : 1);
}

/** Each pool's instance types priced per node as its spend cap counts them (volumes, no PER_NODE_COST). */
async function spendCatalog(
  cloud: CloudProvider,
  nodePools: NodePool[],
): Promise<Map<string, InstanceType[]>> {
  const out = new Map<string, InstanceType[]>();
  for (const np of nodePools) {
    try {
      out.set(
        np.metadata.name ?? '',
        withNodePrice(await cloud.getInstanceTypes(np), await cloud.nodeOverheadPrice(np)),
      );
    } catch {
      // As for the offering gauges: counted in karpenter_cloudprovider_errors_total; the pool has no series.
    }
  }
  return out;
}
