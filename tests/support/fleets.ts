/**
 * Fleets to consolidate: the realistic benchmark deployments (bench/scheduling/fixtures) scheduled on a lab
 * NodePool first restricted to a few instance types, then opened to every on-demand type, so that only
 * consolidation can change what runs. For tests of how far consolidation gets from a given starting fleet.
 */
import { realisticDeployments } from '../../bench/scheduling/fixtures';
import { gatherCost } from '../../runtime/cost/gather';
import type { KubeApi } from '../../runtime/kube/api';
import { Kinds } from '../../runtime/kube/kinds';
import type { Deployment, NodePool } from '../../runtime/kube/objects';
import type { OperatorSettings } from '../../runtime/operator';
import type { Simulation } from '../../runtime/simulator/simulation';
import { APP_NS, labCluster } from './cluster';

const ON_DEMAND = { key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] };

/** A Deployment of pause pods in the lab's app namespace, each asking for `cpu` and `memory`. */
export function deployment(name: string, replicas: number, cpu: string, memory: string): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: APP_NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'pause', resources: { requests: { cpu, memory } } }] },
      },
    },
  } as Deployment;
}

export interface FleetOptions {
  /** The instance types the fleet is first built of; omitted: every on-demand type (a fresh plan). */
  start?: string[];
  /** realisticDeployments' seed. */
  seed: number;
  settings?: OperatorSettings;
  /** The pool's one node budget. @default "10%" */
  budget?: string;
}

/** The pool's USD/hour at list prices, its nodes, and the benchmark deployments' pods not Running. */
export async function fleetCost(
  sim: Simulation,
): Promise<{ cost: number; nodes: number; notRunning: number }> {
  const report = await gatherCost({
    api: sim.api as unknown as KubeApi,
    cloud: sim.cloud,
    priceOf: sim.priceOf,
    nodes: sim.nodes(),
    pods: sim.pods(),
  });
  const pool = report.pools.find((p) => p.nodePool === 'developers-workshop-pool');
  const notRunning = sim
    .pods()
    .filter((p) => p.metadata.labels?.app?.startsWith('deploy-') && p.status?.phase !== 'Running').length;
  return { cost: pool?.dollarsPerHour ?? NaN, nodes: pool?.nodes ?? 0, notRunning };
}

/** A settled fleet built on `start`, its pool then opened to every on-demand type (not settled again). */
export async function startingFleet(opts: FleetOptions): Promise<Simulation> {
  const disruption: NodePool['spec']['disruption'] = {
    consolidationPolicy: 'WhenEmptyOrUnderutilized',
    consolidateAfter: '0s',
    budgets: [{ nodes: opts.budget ?? '10%' }],
  };
  const sim = await labCluster({
    ...(opts.settings ? { settings: opts.settings } : {}),
    editPool: (pool) => {
      pool.spec.template.spec.requirements = [
        ON_DEMAND,
        ...(opts.start
          ? [{ key: 'node.kubernetes.io/instance-type', operator: 'In' as const, values: opts.start }]
          : []),
      ];
      delete pool.spec.limits;
      pool.spec.disruption = disruption;
    },
  });
  await sim.apply(
    realisticDeployments(20, opts.seed).map((d) =>
      deployment(d.name, d.replicas, d.shape.cpu, d.shape.memory),
    ),
  );
  await sim.settle();
  if (opts.start) {
    const pool = structuredClone(sim.api.peekAll(Kinds.NodePool)[0]) as NodePool;
    pool.spec.template.spec.requirements = [ON_DEMAND];
    await sim.apply([pool]);
  }
  return sim;
}
