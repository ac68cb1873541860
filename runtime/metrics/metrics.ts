/**
 * The controller's metrics, named as Karpenter names them so existing dashboards and alerts work. Labels are
 * bounded: NodePool, zone, capacity type, reason, method; never a pod's name (Karpenter's per-pod labels on
 * `karpenter_pods_state` are deliberately dropped, see `pods_state` below).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry';

export const registers = [registry];

/** Karpenter's buckets for duration histograms (seconds), 5ms to 10 minutes. */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60, 120, 150, 300, 450, 600,
];

/** Karpenter's summary quantiles (min, median, p90, p99, max), over a sliding ten-minute window. */
export const SUMMARY = { percentiles: [0, 0.5, 0.9, 0.99, 1], maxAgeSeconds: 600, ageBuckets: 5 };

/** Karpenter's label values for why a NodeClaim was created: "provisioned", or the disruption reason. */
export const PROVISIONED_REASON = 'provisioned';

export const nodeClaimsCreatedTotal = new Counter({
  name: 'karpenter_nodeclaims_created_total',
  help: 'Number of nodeclaims created in total by Karpenter. Labeled by reason the nodeclaim was created, the owning nodepool, and if min values was relaxed for this nodeclaim.',
  labelNames: ['reason', 'nodepool', 'min_values_relaxed'] as const,
  registers,
});

export const nodeClaimsTerminatedTotal = new Counter({
  name: 'karpenter_nodeclaims_terminated_total',
  help: 'Number of nodeclaims terminated in total by Karpenter. Labeled by the owning nodepool, capacity type, and zone.',
  labelNames: ['nodepool', 'capacity_type', 'zone'] as const,
  registers,
});

/** The labels of a NodeClaim's disruption, shared by the NodeClaim and pod disruption counters. */
export const DISRUPTED_LABELS = [
  'reason',
  'nodepool',
  'capacity_type',
  'consolidation_policy',
  'termination_mode',
] as const;

export const nodeClaimsDisruptedTotal = new Counter({
  name: 'karpenter_nodeclaims_disrupted_total',
  help: 'Number of nodeclaims disrupted in total by Karpenter. Labeled by reason the nodeclaim was disrupted, the owning nodepool, the capacity type, the consolidation policy, and the termination mode.',
  labelNames: DISRUPTED_LABELS,
  registers,
});

export const podsDisruptionInitiatedTotal = new Counter({
  name: 'karpenter_pods_disruption_initiated_total',
  help: 'Number of pod disruptions initiated in total by Karpenter, incremented by the reschedulable pod count whenever the underlying nodeclaim is disrupted. Labeled by reason the nodeclaim was disrupted, the owning nodepool, the capacity type, the consolidation policy, and the termination mode. Pods owned by DaemonSets and mirror pods are excluded.',
  labelNames: DISRUPTED_LABELS,
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

export const podsDrainedTotal = new Counter({
  name: 'karpenter_pods_drained_total',
  help: 'The total number of pods drained during node termination by Karpenter, labeled by reason',
  labelNames: ['reason'] as const,
  registers,
});

export const voluntaryDisruptionDecisionsTotal = new Counter({
  name: 'karpenter_voluntary_disruption_decisions_total',
  help: 'Number of disruption decisions performed. Labeled by disruption decision, reason, and consolidation type.',
  labelNames: ['decision', 'reason', 'consolidation_type'] as const,
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

export const interruptionMessageQueueDurationSeconds = new Histogram({
  name: 'karpenter_interruption_message_queue_duration_seconds',
  help: 'Amount of time an interruption message is on the queue before it is processed by karpenter.',
  buckets: DURATION_BUCKETS,
  registers,
});

export const cloudProviderDurationSeconds = new Histogram({
  name: 'karpenter_cloudprovider_duration_seconds',
  help: 'Duration of cloud provider method calls. Labeled by the controller, method name and provider.',
  labelNames: ['controller', 'method', 'provider'] as const,
  // Prometheus' default buckets, as upstream leaves them.
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const cloudProviderErrorsTotal = new Counter({
  name: 'karpenter_cloudprovider_errors_total',
  help: 'Total number of errors returned from CloudProvider calls.',
  labelNames: ['controller', 'method', 'provider', 'error', 'nodepool'] as const,
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
