/**
 * The controller's metrics, named as Karpenter names them so existing dashboards and alerts work. Labels are
 * bounded: NodePool, zone, capacity type, reason, method; never a pod's name (Karpenter's per-pod labels on
 * `karpenter_pods_state` are deliberately dropped, see `pods_state` below).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry';

const registers = [registry];

/** Karpenter's label values for why a NodeClaim was created: "provisioned", or the disruption reason. */
export const PROVISIONED_REASON = 'provisioned';

export const nodeClaimsCreatedTotal = new Counter({
  name: 'karpenter_nodeclaims_created_total',
  help: 'Number of nodeclaims created in total by Karpenter. Labeled by reason the nodeclaim was created and the owning nodepool.',
  labelNames: ['reason', 'nodepool'] as const,
  registers,
});

export const nodeClaimsTerminatedTotal = new Counter({
  name: 'karpenter_nodeclaims_terminated_total',
  help: 'Number of nodeclaims terminated in total by Karpenter. Labeled by the owning nodepool, capacity type, and zone.',
  labelNames: ['nodepool', 'capacity_type', 'zone'] as const,
  registers,
});

export const nodeClaimsDisruptedTotal = new Counter({
  name: 'karpenter_nodeclaims_disrupted_total',
  help: 'Number of nodeclaims disrupted in total by Karpenter. Labeled by reason the nodeclaim was disrupted, the owning nodepool and the capacity type.',
  labelNames: ['reason', 'nodepool', 'capacity_type'] as const,
  registers,
});

export const nodesCreatedTotal = new Counter({
  name: 'karpenter_nodes_created_total',
  help: 'Number of nodes created in total by Karpenter. Labeled by owning nodepool and zone.',
  labelNames: ['nodepool', 'zone'] as const,
  registers,
});

export const nodesTerminatedTotal = new Counter({
  name: 'karpenter_nodes_terminated_total',
  help: 'Number of nodes terminated in total by Karpenter. Labeled by owning nodepool and zone.',
  labelNames: ['nodepool', 'zone'] as const,
  registers,
});

export const podsEvictionRequestsTotal = new Counter({
  name: 'karpenter_pods_eviction_requests_total',
  help: 'The total number of pod eviction requests made by Karpenter, labeled by response code.',
  labelNames: ['code'] as const,
  registers,
});

export const schedulingDurationSeconds = new Histogram({
  name: 'karpenter_scheduler_scheduling_duration_seconds',
  help: 'Duration of scheduling simulations used for deprovisioning and provisioning in seconds.',
  labelNames: ['controller'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers,
});

export const unschedulablePodsCount = new Gauge({
  name: 'karpenter_scheduler_unschedulable_pods_count',
  help: 'The number of unschedulable Pods.',
  labelNames: ['controller'] as const,
  registers,
});

export const voluntaryDisruptionDecisionsTotal = new Counter({
  name: 'karpenter_voluntary_disruption_decisions_total',
  help: 'Number of disruption decisions performed. Labeled by disruption decision, reason, and consolidation type.',
  labelNames: ['decision', 'reason', 'consolidation_type'] as const,
  registers,
});

export const nodePoolsAllowedDisruptions = new Gauge({
  name: 'karpenter_nodepools_allowed_disruptions',
  help: 'The number of nodes for a given NodePool that can be concurrently disrupting at a point in time. Labeled by NodePool and reason.',
  labelNames: ['nodepool', 'reason'] as const,
  registers,
});

export const interruptionReceivedMessagesTotal = new Counter({
  name: 'karpenter_interruption_received_messages_total',
  help: 'Count of messages received from the SQS queue. Broken down by message type.',
  labelNames: ['message_type'] as const,
  registers,
});

export const interruptionDeletedMessagesTotal = new Counter({
  name: 'karpenter_interruption_deleted_messages_total',
  help: 'Count of messages deleted from the SQS queue.',
  registers,
});

export const cloudProviderDurationSeconds = new Histogram({
  name: 'karpenter_cloudprovider_duration_seconds',
  help: 'Duration of cloud provider method calls. Labeled by the controller, method name and provider.',
  labelNames: ['controller', 'method', 'provider'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

export const cloudProviderErrorsTotal = new Counter({
  name: 'karpenter_cloudprovider_errors_total',
  help: 'Total number of errors returned from CloudProvider calls.',
  labelNames: ['controller', 'method', 'provider', 'error'] as const,
  registers,
});

/** Scrape-time gauges over the cluster state: filled by `cluster-gauges.ts` when a state is bound. */
export const nodesAllocatable = new Gauge({
  name: 'karpenter_nodes_allocatable',
  help: 'Node allocatable are the resources allocatable by nodes.',
  labelNames: ['node_name', 'nodepool', 'resource_type', 'instance_type', 'capacity_type', 'zone'] as const,
  registers,
});

export const nodesTotalPodRequests = new Gauge({
  name: 'karpenter_nodes_total_pod_requests',
  help: 'Node total pod requests are the resources requested by pods bound to nodes, including the DaemonSet pods.',
  labelNames: ['node_name', 'nodepool', 'resource_type', 'instance_type', 'capacity_type', 'zone'] as const,
  registers,
});

/**
 * Karpenter labels this per pod (name, namespace, node...); that is unbounded, so here it counts pods by phase,
 * NodePool and capacity type instead. Sum by phase for the same answers without a series per pod.
 */
export const podsState = new Gauge({
  name: 'karpenter_pods_state',
  help: 'Number of pods by phase, owning NodePool of their node (empty while unbound) and capacity type.',
  labelNames: ['phase', 'nodepool', 'capacity_type'] as const,
  registers,
});

export const clusterStateNodeCount = new Gauge({
  name: 'karpenter_cluster_state_node_count',
  help: 'Current count of nodes in cluster state',
  registers,
});

export const leaderElectionMasterStatus = new Gauge({
  name: 'leader_election_master_status',
  help: 'Gauge of if the reporter is master (1) or not (0). Labeled by the lease name.',
  labelNames: ['name'] as const,
  registers,
});

export const buildInfo = new Gauge({
  name: 'karpenter_build_info',
  help: "A metric with a constant '1' value labeled by version from which karpenter was built.",
  labelNames: ['version', 'nodeversion'] as const,
  registers,
});

/** Upstream's client request counter (client-go's result metric), so API-load dashboards carry over. */
export const clientGoRequestTotal = new Counter({
  name: 'client_go_request_total',
  help: 'Number of HTTP requests, partitioned by status code and method.',
  labelNames: ['code', 'method'] as const,
  registers,
});
