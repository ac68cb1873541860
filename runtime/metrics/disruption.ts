/**
 * Voluntary disruption metrics beyond the decision counter (what the disruption controller evaluated and found,
 * and what failed), and the labels every path that disrupts a NodeClaim counts it under.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { parseDuration } from '../../sdk/api/common';
import { Labels } from '../../sdk/api/well-known';
import type { NodeClaim } from '../kube/objects';
import {
  DURATION_BUCKETS,
  nodeClaimsDisruptedTotal,
  podsDisruptionInitiatedTotal,
  registers,
} from './metrics';

export const voluntaryDisruptionEligibleNodes = new Gauge({
  name: 'karpenter_voluntary_disruption_eligible_nodes',
  help: 'Number of nodes eligible for disruption by Karpenter. Labeled by disruption reason.',
  labelNames: ['reason'] as const,
  registers,
});

export const voluntaryDisruptionDecisionEvaluationDurationSeconds = new Histogram({
  name: 'karpenter_voluntary_disruption_decision_evaluation_duration_seconds',
  help: 'Duration of the disruption decision evaluation process in seconds. Labeled by method and consolidation type.',
  labelNames: ['reason', 'consolidation_type'] as const,
  buckets: DURATION_BUCKETS,
  registers,
});

export const voluntaryDisruptionFailedValidationsTotal = new Counter({
  name: 'karpenter_voluntary_disruption_failed_validations_total',
  help: 'Number of candidates that were selected for disruption but failed validation. Labeled by consolidation type.',
  labelNames: ['consolidation_type'] as const,
  registers,
});

export const voluntaryDisruptionDecisionsByNodePoolTotal = new Counter({
  name: 'karpenter_voluntary_disruption_decisions_by_nodepool_total',
  help: 'Number of disruption decisions performed by nodepool. Labeled by nodepool name, disruption decision, reason, and consolidation type.',
  labelNames: ['nodepool', 'decision', 'reason', 'consolidation_type'] as const,
  registers,
});

/**
 * karpenter-ts's: what consolidation took off each pool's price, so `increase(...[7d])` is the savings it made in a
 * window (issue 22's cost visibility). Drift is left out: its replacements may cost more.
 */
export const CONSOLIDATION_SAVINGS_METRIC = 'karpenter_nodepools_consolidation_savings_per_hour_total';
export const consolidationSavingsPerHourTotal = new Counter({
  name: CONSOLIDATION_SAVINGS_METRIC,
  help: "USD/hour taken off the price of the NodePool's nodes by the consolidation decisions carried out (Empty and Underutilized), as each decision priced them. Labeled by nodepool and reason.",
  labelNames: ['nodepool', 'reason'] as const,
  registers,
});

export const voluntaryDisruptionTerminateFirstDecisionsTotal = new Counter({
  name: 'karpenter_voluntary_disruption_terminate_first_decisions_total',
  help: "Number of terminate-first disruption decisions performed. Labeled by nodepool name, reason, and why the replacement couldn't be staged first.",
  labelNames: ['nodepool', 'reason', 'terminate_first_reason'] as const,
  registers,
});

export const voluntaryDisruptionQueueFailuresTotal = new Counter({
  name: 'karpenter_voluntary_disruption_queue_failures_total',
  help: 'The number of times that an enqueued disruption decision failed. Labeled by disruption method.',
  labelNames: ['decision', 'reason', 'consolidation_type'] as const,
  registers,
});

export const consolidationScore = new Histogram({
  name: 'karpenter_consolidation_score',
  help: 'Score of balanced consolidation moves. Labeled by decision, NodePool, and policy.',
  labelNames: ['decision', 'nodepool', 'policy'] as const,
  buckets: [0.1, 0.25, 0.33, 0.5, 1.0, 2.0, 5.0, 10.0],
  registers,
});

export const consolidationMovesTotal = new Counter({
  name: 'karpenter_consolidation_moves_total',
  help: 'Number of balanced consolidation moves. Labeled by decision, NodePool, and policy.',
  labelNames: ['decision', 'nodepool', 'policy'] as const,
  registers,
});

export const nodeClaimsUnhealthyDisruptedTotal = new Counter({
  name: 'karpenter_nodeclaims_unhealthy_disrupted_total',
  help: 'Number of unhealthy nodeclaims disrupted in total by node repair. Labeled by the condition the node was disrupted on, the owning nodepool, the capacity type, the image ID, and the termination mode.',
  labelNames: ['condition', 'nodepool', 'capacity_type', 'image_id', 'termination_mode'] as const,
  registers,
});

/** Upstream's termination_mode: whether (and how) the NodeClaim's terminationGracePeriod bounds its drain. */
export function terminationMode(claim: NodeClaim): 'graceful' | 'eventual' | 'forceful' {
  const period = claim.spec.terminationGracePeriod;
  if (period === undefined) return 'graceful';
  return parseDuration(period) <= 0 ? 'forceful' : 'eventual';
}

/** "WhenEmptyOrUnderutilized" → "when_empty_or_underutilized", as upstream labels consolidation policies. */
export function snakeCase(value: string): string {
  return value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export interface DisruptedBy {
  /** Upstream's lower-case reason: "underutilized", "expired", "garbage_collected"... */
  reason: string;
  /** The NodePool's policy when a consolidation disrupts the claim; otherwise none (""). */
  consolidationPolicy?: string;
  /** Reschedulable pods on the node (not DaemonSet or mirror pods), counted as pod disruptions initiated. */
  pods?: number;
}

/**
 * Count a NodeClaim this process just deleted under `karpenter_nodeclaims_disrupted_total`, and (when the path
 * knows its pods, as upstream's voluntary disruption, expiration and garbage collection do) the pods it disrupts.
 */
export function recordNodeClaimDisrupted(claim: NodeClaim, by: DisruptedBy): void {
  const labels = {
    reason: by.reason,
    nodepool: claim.metadata.labels?.[Labels.nodePool] ?? '',
    capacity_type: claim.metadata.labels?.[Labels.capacityType] ?? '',
    consolidation_policy: by.consolidationPolicy ? snakeCase(by.consolidationPolicy) : '',
    termination_mode: terminationMode(claim),
  };
  nodeClaimsDisruptedTotal.inc(labels);
  if (by.pods !== undefined) podsDisruptionInitiatedTotal.inc(labels, by.pods);
}

/**
 * Start the failed-validation counter at 0 for each consolidation type, as upstream starts its timeouts counter, so
 * `increase()` and alerts see the first failure instead of a series appearing at 1.
 */
export function initDisruptionCounters(): void {
  for (const consolidation_type of ['', 'empty', 'single', 'multi']) {
    voluntaryDisruptionFailedValidationsTotal.inc({ consolidation_type }, 0);
  }
}
