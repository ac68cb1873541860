/**
 * Binds the scrape-time gauges to a running controller: node, NodePool, pod and cluster state gauges computed from
 * the ClusterState at scrape time (instead of being kept up to date on every watch event), the offering gauges
 * from the cloud provider's catalog, and the pod startup tracker fed by the pod cache's events.
 */
import type { CloudProvider } from '../cloudprovider/types';
import type { NodePool, Pod } from '../kube/objects';
import type { StateNode } from '../state/cluster-state';
import { refreshOfferingGauges, priceLookup } from './cloudprovider';
import {
  clusterStateNodeCount,
  clusterStateSynced,
  clusterStateUnsyncedTimeSeconds,
  refreshNodeGauges,
} from './nodes';
import { refreshNodePoolCosts, refreshNodePoolGauges, type PriceLookup } from './nodepools';
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
  let prices: { at: number; lookup: PriceLookup } | undefined;
  const off = onScrape(async () => {
    refreshClusterGauges(state, now());
    const t = now();
    if (state.synced === false) unsyncedSince ??= t;
    else unsyncedSince = undefined;
    clusterStateUnsyncedTimeSeconds.set(unsyncedSince === undefined ? 0 : (t - unsyncedSince) / 1000);
    if (!opts.cloud || !state.nodePools) return;
    const nodePools = state.nodePools.list();
    if (!prices || t - prices.at >= (opts.catalogRefreshMs ?? 60_000)) {
      prices = { at: t, lookup: priceLookup(await refreshOfferingGauges(opts.cloud, nodePools)) };
    }
    refreshNodePoolCosts(nodePools, state.stateNodes(), prices.lookup);
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
