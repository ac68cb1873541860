/** SAVINGS_PLANS (karpenter-ts, issue 22): each plan's commitment and how much of it the cluster's nodes use. */
import { Gauge } from 'prom-client';
import { registers } from './metrics';

export const savingsPlanCommitment = new Gauge({
  name: 'karpenter_savings_plans_commitment_per_hour',
  help: "A SAVINGS_PLANS plan's commitment in USD per hour at its own rates (karpenter-ts). Labeled by savings_plan.",
  labelNames: ['savings_plan'] as const,
  registers,
});

export const savingsPlanUsed = new Gauge({
  name: 'karpenter_savings_plans_used_per_hour',
  help: "USD per hour of a SAVINGS_PLANS plan's commitment the NodeClaims it covers use, at its rates (karpenter-ts); below the commitment, the rest is paid unused. Labeled by savings_plan.",
  labelNames: ['savings_plan'] as const,
  registers,
});

export const savingsPlanCoveredNodes = new Gauge({
  name: 'karpenter_savings_plans_covered_nodes',
  help: 'NodeClaims a SAVINGS_PLANS plan covers, wholly or in part (karpenter-ts). Labeled by savings_plan.',
  labelNames: ['savings_plan'] as const,
  registers,
});
