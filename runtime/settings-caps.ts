/**
 * The cluster-wide caps (karpenter-ts only, issue 22): total nodes, vCPU, memory and USD/hour across every
 * NodePool, enforced like a NodePool's limits and spend cap (runtime/scheduling/limits.ts, spend.ts). Each is a
 * controller setting in runtime/settings.ts's style; unset means no cap.
 */
import { z } from 'zod';
import { CLUSTER_LIMIT_SETTINGS } from './scheduling/limits';
import { parseQuantity, type Resources } from './scheduling/resources';
import { CostPerHourLimit } from './scheduling/spend';
import type { SettingSpec } from './settings';

export interface ClusterCapSettings {
  /** CLUSTER_MAX_NODES: nodes (NodeClaims) across all NodePools. @default no cap */
  clusterMaxNodes?: number;
  /** CLUSTER_MAX_CPU: vCPU capacity across all NodePools, in millicores (the setting is a quantity). @default no cap */
  clusterMaxCpu?: number;
  /** CLUSTER_MAX_MEMORY: memory capacity across all NodePools, in bytes (the setting is a quantity). @default no cap */
  clusterMaxMemory?: number;
  /** CLUSTER_MAX_COST_PER_HOUR: USD/hour of every NodePool's nodes, priced as a pool's spend cap. @default no cap */
  clusterMaxCostPerHour?: number;
}

/** A Kubernetes quantity, 0 or more, scaled to runtime units. */
function quantity(scale: number) {
  return z.string().transform((v, ctx) => {
    let n: number;
    try {
      n = parseQuantity(v);
    } catch {
      n = NaN;
    }
    if (!Number.isFinite(n) || n < 0) {
      ctx.addIssue({ code: 'custom', message: 'not a quantity' });
      return z.NEVER;
    }
    return n * scale;
  });
}

const KEYS = {
  clusterMaxNodes: 'nodes',
  clusterMaxCpu: 'cpu',
  clusterMaxMemory: 'memory',
  clusterMaxCostPerHour: CostPerHourLimit,
} as const satisfies Record<keyof ClusterCapSettings, string>;

const env = (k: keyof ClusterCapSettings) => CLUSTER_LIMIT_SETTINGS[KEYS[k]] as string;

export const CLUSTER_CAP_SETTINGS: Record<keyof ClusterCapSettings, SettingSpec> = {
  clusterMaxNodes: {
    env: env('clusterMaxNodes'),
    flag: 'cluster-max-nodes',
    description: 'most nodes across all NodePools; pods past it stay pending (default no cap)',
    schema: z.coerce.number().int().min(0),
    expected: 'a whole number of nodes, 0 or more, e.g. 200',
  },
  clusterMaxCpu: {
    env: env('clusterMaxCpu'),
    flag: 'cluster-max-cpu',
    description: 'most vCPU capacity across all NodePools, as a quantity (default no cap)',
    schema: quantity(1000),
    expected: 'a CPU quantity, 0 or more, e.g. 1000 or 500500m',
  },
  clusterMaxMemory: {
    env: env('clusterMaxMemory'),
    flag: 'cluster-max-memory',
    description: 'most memory capacity across all NodePools, as a quantity (default no cap)',
    schema: quantity(1),
    expected: 'a memory quantity, 0 or more, e.g. 4Ti or 2000Gi',
  },
  clusterMaxCostPerHour: {
    env: env('clusterMaxCostPerHour'),
    flag: 'cluster-max-cost-per-hour',
    description:
      'most USD/hour across all NodePools, instance and volumes as the scheduler prices them, without PER_NODE_COST (default no cap)',
    schema: quantity(1),
    expected: 'a number of USD per hour, 0 or more, e.g. 250',
  },
};

/** The caps that are set, keyed as NodePool limits (see SchedulingNodePool.cluster); undefined when none is. */
export function clusterCaps(settings: ClusterCapSettings): Resources | undefined {
  const out: Resources = {};
  for (const [k, key] of Object.entries(KEYS) as [keyof ClusterCapSettings, string][]) {
    const v = settings[k];
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Only the cluster caps of `settings` that are set, to pass on. */
export function clusterCapSettings(settings: ClusterCapSettings): ClusterCapSettings {
  const out: ClusterCapSettings = {};
  for (const k of Object.keys(KEYS) as (keyof ClusterCapSettings)[]) {
    const v = settings[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
