/**
 * Node metrics: the scrape-time gauges Karpenter's node metrics controller keeps (allocatable, requests and limits of
 * pods and DaemonSet pods, system overhead, age), labelled like upstream (the node's name, phase, whether it is
 * managed, and the well-known labels), plus what node termination observes. One series per node and resource:
 * bounded by the cluster's size, as upstream's are.
 */
import { Counter, Gauge, Histogram, Summary } from 'prom-client';
import { Labels } from '../../sdk/api/well-known';
import type { Pod } from '../kube/objects';
import { isDaemonSetPod } from '../scheduling/pod-requirements';
import { addInto, fromResourceList, podRequests, subtract, type Resources } from '../scheduling/resources';
import type { StateNode } from '../state/cluster-state';
import { registers, SUMMARY } from './metrics';

/**
 * Karpenter's well-known node labels and their metric label names (the key's name part, snake_cased). Upstream's
 * AWS build adds the `karpenter.k8s.aws/instance-*` labels too; they follow from instance_type, so they are left
 * out here (sum by instance_type, or join with karpenter_cloudprovider_instance_type_*).
 */
export const WELL_KNOWN_NODE_LABELS: Record<string, string> = {
  [Labels.nodePool]: 'nodepool',
  [Labels.zone]: 'zone',
  [Labels.region]: 'region',
  [Labels.instanceType]: 'instance_type',
  [Labels.arch]: 'arch',
  [Labels.os]: 'os',
  [Labels.capacityType]: 'capacity_type',
  'node.kubernetes.io/windows-build': 'windows_build',
};

export const NODE_LABEL_NAMES = [
  'node_name',
  'phase',
  'managed',
  ...Object.values(WELL_KNOWN_NODE_LABELS),
] as const;
const WITH_RESOURCE = [...NODE_LABEL_NAMES, 'resource_type'];

function nodeGauge(name: string, help: string, labelNames: readonly string[] = WITH_RESOURCE): Gauge {
  return new Gauge({ name: `karpenter_nodes_${name}`, help, labelNames, registers });
}

export const nodesAllocatable = nodeGauge(
  'allocatable',
  'Node allocatable are the resources allocatable by nodes.',
);
export const nodesTotalPodRequests = nodeGauge(
  'total_pod_requests',
  'Node total pod requests are the resources requested by pods bound to nodes, including the DaemonSet pods.',
);
export const nodesTotalPodLimits = nodeGauge(
  'total_pod_limits',
  'Node total pod limits are the resources specified by pod limits, including the DaemonSet pods.',
);
export const nodesTotalDaemonRequests = nodeGauge(
  'total_daemon_requests',
  'Node total daemon requests are the resource requested by DaemonSet pods bound to nodes.',
);
export const nodesTotalDaemonLimits = nodeGauge(
  'total_daemon_limits',
  'Node total daemon limits are the resources specified by DaemonSet pod limits.',
);
export const nodesSystemOverhead = nodeGauge(
  'system_overhead',
  "Node system daemon overhead are the resources reserved for system overhead, the difference between the node's capacity and allocatable values are reported by the status.",
);
export const nodesCurrentLifetimeSeconds = nodeGauge(
  'current_lifetime_seconds',
  'Node age in seconds',
  NODE_LABEL_NAMES,
);

export const clusterUtilizationPercent = new Gauge({
  name: 'karpenter_cluster_utilization_percent',
  help: 'Utilization of allocatable resources by pod requests',
  labelNames: ['resource_type'] as const,
  registers,
});

export const clusterStateNodeCount = new Gauge({
  name: 'karpenter_cluster_state_node_count',
  help: 'Current count of nodes in cluster state',
  registers,
});

export const clusterStateSynced = new Gauge({
  name: 'karpenter_cluster_state_synced',
  help: "Returns 1 if cluster state is synced and 0 otherwise. Synced checks that nodeclaims and nodes that are stored in the APIServer have the same representation as Karpenter's cluster state",
  registers,
});

export const clusterStateUnsyncedTimeSeconds = new Gauge({
  name: 'karpenter_cluster_state_unsynced_time_seconds',
  help: 'The time for which cluster state is not synced',
  registers,
});

/** Observed by the termination controller when it lets a node go. */
export const nodesTerminationDurationSeconds = new Summary({
  name: 'karpenter_nodes_termination_duration_seconds',
  help: "The time taken between a node's deletion request and the removal of its finalizer",
  labelNames: ['nodepool'] as const,
  ...SUMMARY,
  registers,
});

const HOUR = 3600;
const DAY = 24 * HOUR;

export const nodesLifetimeDurationSeconds = new Histogram({
  name: 'karpenter_nodes_lifetime_duration_seconds',
  help: 'The lifetime duration of the nodes since creation.',
  labelNames: ['nodepool'] as const,
  buckets: [
    ...[15, 30, 45].map((m) => m * 60),
    ...[1, 2, 4, 6, 8, 10, 12, 16, 20].map((h) => h * HOUR),
    ...[1, 2, 3, 5, 10, 15, 20, 25, 30].map((d) => d * DAY),
  ],
  registers,
});

export const nodesDrainedTotal = new Counter({
  name: 'karpenter_nodes_drained_total',
  help: 'The total number of nodes drained by Karpenter',
  labelNames: ['nodepool'] as const,
  registers,
});

/** Observed when a NodeClaim's finalizer is removed: from its deletion request to then. */
export const nodeClaimsTerminationDurationSeconds = new Histogram({
  name: 'karpenter_nodeclaims_termination_duration_seconds',
  help: 'Duration of NodeClaim termination in seconds.',
  labelNames: ['nodepool'] as const,
  buckets: Array.from({ length: 12 }, (_, i) => 2 ** i),
  registers,
});

/** Upstream's resource_type values: the resource name lowercased, dashes as underscores ("ephemeral_storage"). */
export function resourceTypeLabel(resource: string): string {
  return resource.toLowerCase().replace(/-/g, '_');
}

/** Kubernetes units on the wire (cpu in cores), from the runtime's millicores. */
export function toBaseUnit(resource: string, value: number): number {
  return resource === 'cpu' ? value / 1000 : value;
}

/** A pod's limits the way the kube-scheduler sums requests: containers added, the largest init container if bigger. */
export function podLimits(pod: Pod): Resources {
  const total: Resources = {};
  for (const c of pod.spec.containers) addInto(total, fromResourceList(c.resources?.limits));
  for (const c of pod.spec.initContainers ?? []) {
    const r = fromResourceList(c.resources?.limits);
    for (const k in r) total[k] = Math.max(total[k] ?? 0, r[k] as number);
  }
  return total;
}

export type NodeLabels = Record<(typeof NODE_LABEL_NAMES)[number], string>;

export function nodeLabels(n: StateNode): NodeLabels {
  const out: Record<string, string> = {
    node_name: n.name,
    // Kubelets rarely set a Node's phase (deprecated): usually empty, as upstream reports it then.
    phase: (n.node?.status as { phase?: string } | undefined)?.phase ?? '',
    managed: String(n.managed),
  };
  for (const [key, label] of Object.entries(WELL_KNOWN_NODE_LABELS)) out[label] = n.labels[key] ?? '';
  return out as NodeLabels;
}

export interface NodeResourceSample {
  labels: NodeLabels & { resource_type: string };
  allocatable?: number;
  podRequests?: number;
  podLimits?: number;
  daemonRequests?: number;
  daemonLimits?: number;
  systemOverhead?: number;
}

function sum(pods: Pod[], of: (p: Pod) => Resources): Resources {
  const total: Resources = {};
  for (const p of pods) addInto(total, of(p));
  return total;
}

/**
 * One sample per resource a registered node reports, in Kubernetes units. A NodeClaim still launching has no Node
 * and nothing allocatable yet: like upstream, it is skipped.
 */
export function nodeResourceSamples(nodes: StateNode[]): NodeResourceSample[] {
  const out: NodeResourceSample[] = [];
  for (const n of nodes) {
    if (!n.node) continue;
    const labels = nodeLabels(n);
    const daemons = n.pods.filter(isDaemonSetPod);
    // The pod count is in total_pod_requests (every bound pod); DaemonSet requests stay real resources only.
    const daemonReqs = sum(daemons, podRequests);
    delete daemonReqs.pods;
    const values: Record<Exclude<keyof NodeResourceSample, 'labels'>, Resources> = {
      allocatable: n.allocatable,
      podRequests: n.requested,
      podLimits: sum(n.pods, podLimits),
      daemonRequests: daemonReqs,
      daemonLimits: sum(daemons, podLimits),
      systemOverhead: subtract(fromResourceList(n.node.status?.capacity), n.allocatable),
    };
    const resources = new Set(Object.values(values).flatMap((r) => Object.keys(r)));
    for (const resource of [...resources].sort()) {
      const sample: NodeResourceSample = {
        labels: { ...labels, resource_type: resourceTypeLabel(resource) },
      };
      for (const [k, r] of Object.entries(values) as [keyof typeof values, Resources][]) {
        const v = r[resource];
        if (v !== undefined) sample[k] = toBaseUnit(resource, v);
      }
      out.push(sample);
    }
  }
  return out;
}

/** Percent of the cluster's allocatable requested by pods, per resource (upstream's cluster utilization). */
export function clusterUtilization(nodes: StateNode[]): Map<string, number> {
  const allocatable: Resources = {};
  const requested: Resources = {};
  for (const n of nodes) {
    if (!n.node) continue;
    addInto(allocatable, n.allocatable);
    addInto(requested, n.requested);
  }
  const out = new Map<string, number>();
  for (const [resource, total] of Object.entries(allocatable)) {
    if (total === 0) continue;
    out.set(resourceTypeLabel(resource), (100 * (requested[resource] ?? 0)) / total);
  }
  return out;
}

export function refreshNodeGauges(nodes: StateNode[], now: number): void {
  for (const g of [
    nodesAllocatable,
    nodesTotalPodRequests,
    nodesTotalPodLimits,
    nodesTotalDaemonRequests,
    nodesTotalDaemonLimits,
    nodesSystemOverhead,
    nodesCurrentLifetimeSeconds,
    clusterUtilizationPercent,
  ])
    g.reset();
  const gauges = {
    allocatable: nodesAllocatable,
    podRequests: nodesTotalPodRequests,
    podLimits: nodesTotalPodLimits,
    daemonRequests: nodesTotalDaemonRequests,
    daemonLimits: nodesTotalDaemonLimits,
    systemOverhead: nodesSystemOverhead,
  };
  for (const s of nodeResourceSamples(nodes)) {
    for (const [k, g] of Object.entries(gauges) as [keyof typeof gauges, Gauge][]) {
      const v = s[k];
      if (v !== undefined) g.set(s.labels, v);
    }
  }
  for (const n of nodes) {
    const created = Date.parse(n.node?.metadata.creationTimestamp ?? '');
    if (Number.isNaN(created)) continue;
    nodesCurrentLifetimeSeconds.set(nodeLabels(n), Math.max(0, (now - created) / 1000));
  }
  for (const [resource, pct] of clusterUtilization(nodes))
    clusterUtilizationPercent.set({ resource_type: resource }, pct);
}
