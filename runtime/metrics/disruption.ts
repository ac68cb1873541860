/** Voluntary disruption metrics beyond the decision counter: what the disruption controller evaluated and found. */
import { Counter, Gauge, Histogram } from 'prom-client';
import { DURATION_BUCKETS, registers } from './metrics';

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
 * Start the failed-validation counter at 0 for each consolidation type, as upstream starts its timeouts counter, so
 * `increase()` and alerts see the first failure instead of a series appearing at 1.
 */
export function initDisruptionCounters(): void {
  for (const consolidation_type of ['', 'single', 'multi']) {
    voluntaryDisruptionFailedValidationsTotal.inc({ consolidation_type }, 0);
  }
}
