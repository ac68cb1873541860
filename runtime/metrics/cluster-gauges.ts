/**
 * Gauges that describe the cluster as it is (allocatable and requests per node, pods by phase), computed from the
 * ClusterState at scrape time instead of being kept up to date on every watch event.
 */
import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../kube/objects';
import type { Resources } from '../scheduling/resources';
import type { StateNode } from '../state/cluster-state';
import { clusterStateNodeCount, nodesAllocatable, nodesTotalPodRequests, podsState } from './metrics';
import { onScrape } from './registry';

/** The resources reported per node; others (hugepages, extended resources) would multiply series for little. */
const RESOURCE_TYPES = ['cpu', 'memory', 'pods', 'ephemeral-storage'] as const;

export interface NodeSample {
  labels: {
    node_name: string;
    nodepool: string;
    resource_type: string;
    instance_type: string;
    capacity_type: string;
    zone: string;
  };
  allocatable: number;
  requested: number;
}

/** What the state source must offer: the ClusterState satisfies it. */
export interface ClusterStateSource {
  stateNodes(): StateNode[];
  pods: { list(): Pod[] };
}

/** Kubernetes units on the wire (cpu in cores), from the runtime's millicores. */
function toBaseUnit(resource: string, value: number): number {
  return resource === 'cpu' ? value / 1000 : value;
}

export function nodeSamples(nodes: StateNode[]): NodeSample[] {
  const out: NodeSample[] = [];
  for (const n of nodes) {
    if (!n.node) continue; // a NodeClaim still launching has nothing allocatable yet
    const requested: Resources = { ...n.requested, pods: n.pods.length };
    for (const resource of RESOURCE_TYPES) {
      if (n.allocatable[resource] === undefined) continue;
      out.push({
        labels: {
          node_name: n.name,
          nodepool: n.nodePoolName ?? '',
          resource_type: resource,
          instance_type: n.labels[Labels.instanceType] ?? '',
          capacity_type: n.labels[Labels.capacityType] ?? '',
          zone: n.labels[Labels.zone] ?? '',
        },
        allocatable: toBaseUnit(resource, n.allocatable[resource] ?? 0),
        requested: toBaseUnit(resource, requested[resource] ?? 0),
      });
    }
  }
  return out;
}

export interface PodStateSample {
  labels: { phase: string; nodepool: string; capacity_type: string };
  count: number;
}

export function podStateSamples(nodes: StateNode[], pods: Pod[]): PodStateSample[] {
  const nodeLabels = new Map(nodes.map((n) => [n.name, n.labels]));
  const counts = new Map<string, PodStateSample>();
  for (const pod of pods) {
    const labels = pod.spec.nodeName ? nodeLabels.get(pod.spec.nodeName) : undefined;
    const sample = {
      phase: pod.status?.phase ?? 'Pending',
      nodepool: labels?.[Labels.nodePool] ?? '',
      capacity_type: labels?.[Labels.capacityType] ?? '',
    };
    const key = `${sample.phase}/${sample.nodepool}/${sample.capacity_type}`;
    const entry = counts.get(key) ?? { labels: sample, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** Report this state at every scrape; returns a function that stops reporting it and clears its series. */
export function bindClusterState(state: ClusterStateSource): () => void {
  const off = onScrape(() => refreshClusterGauges(state));
  return () => {
    off();
    refreshClusterGauges(undefined);
  };
}

/** Rewrite the cluster gauges from a state (clearing series of nodes that are gone). */
export function refreshClusterGauges(state: ClusterStateSource | undefined): void {
  nodesAllocatable.reset();
  nodesTotalPodRequests.reset();
  podsState.reset();
  clusterStateNodeCount.reset();
  if (!state) return;
  const nodes = state.stateNodes();
  for (const s of nodeSamples(nodes)) {
    nodesAllocatable.set(s.labels, s.allocatable);
    nodesTotalPodRequests.set(s.labels, s.requested);
  }
  for (const s of podStateSamples(nodes, state.pods.list())) podsState.set(s.labels, s.count);
  clusterStateNodeCount.set(nodes.filter((n) => n.node).length);
}
