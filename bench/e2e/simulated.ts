/**
 * The e2e scenario (./workload) on the embedded simulator: the same DaemonSets, Deployments, PDB, NodePool and
 * node class, scaled up and then down to 30 %, in simulated time. Not a stand-in for the real control plane, but
 * quick enough for a test to hold the scale-down's churn; pods arrive (and go) at once unless `podWrites`
 * spaces them out at a controller-manager's pace.
 */
import type { KubeObject } from '../../runtime/kube/objects';
import type { OperatorSettings } from '../../runtime/operator';
import { Simulation } from '../../runtime/simulator/simulation';
import { createLogger } from '../../runtime/logging';
import { Labels, Taints } from '../../sdk/api/well-known';
import { addInto, fromResourceList, podRequests, type Resources } from '../../runtime/scheduling/resources';
import { podDeletionCostWritesTotal } from '../../runtime/metrics/pods';
import { nodeHourlyCost } from './catalog';
import {
  APPS,
  DAEMONSETS,
  NAMESPACE,
  ROOT_VOLUME_GIB,
  SCALE_DOWN_TO,
  daemonSet,
  deployment,
  ec2NodeClass,
  nodePool,
  pdb,
  replicasFor,
} from './workload';

export interface SimulatedPhase {
  nodes: number;
  costPerHour: number;
  settled: boolean;
  /** Each node as "instance-type cpu-requested/cpu-allocatable", for reading a result. */
  fleet: string[];
}

export interface SimulatedRun {
  up: SimulatedPhase;
  down: SimulatedPhase;
  /** Eviction requests the API server admitted during the scale-down. */
  evictions: number;
  /** Pods left without a Running node at the end. */
  notRunning: number;
  /** Nodes still carrying the consolidation-candidate taint at the end. */
  steered: number;
  /** Pod-deletion-cost annotations written over the whole run. */
  costWrites: number;
}

export interface SimulatedE2eOptions {
  pods: number;
  /** Pods created and deleted at this rate (kube-controller-manager's 20 QPS, burst 30, is the real bench's), not at once. */
  podWrites?: { qps: number; burst: number };
  settings?: OperatorSettings;
  /** Scale down to 30 % after the scale-up. @default true */
  scaleDown?: boolean;
}

export async function simulateE2e(opts: SimulatedE2eOptions): Promise<SimulatedRun> {
  const sim = new Simulation({
    ...(process.env.SIM_LOG ? { logger: createLogger('info') } : {}),
    ...(opts.podWrites ? { podWrites: opts.podWrites } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
  });
  let evictions = 0;
  // The counter is the process's: count this run's part of it.
  const writes = async () =>
    (await podDeletionCostWritesTotal.get()).values
      .filter((v) => v.labels.result === 'updated')
      .reduce((sum, v) => sum + v.value, 0);
  const writesBefore = await writes();
  const evict = sim.api.evict.bind(sim.api);
  sim.api.evict = async (name, namespace) => {
    await evict(name, namespace);
    evictions++;
  };
  const phase = (settled: boolean): SimulatedPhase => {
    const nodes = sim.nodes().filter((n) => !n.metadata.deletionTimestamp);
    const costPerHour = nodes.reduce((sum, n) => sum + nodeHourlyCost(n, ROOT_VOLUME_GIB), 0);
    const fleet = nodes.map((n) => {
      const requested: Resources = {};
      for (const p of sim.pods()) if (p.spec.nodeName === n.metadata.name) addInto(requested, podRequests(p));
      const cpu = fromResourceList(n.status?.allocatable).cpu ?? 0;
      const cores = (m: number) => (m / 1000).toFixed(1);
      return `${process.env.SIM_LOG ? `${n.metadata.name} ${n.metadata.labels?.[Labels.zone] ?? '-'} ` : ''}${n.metadata.labels?.[Labels.instanceType]} ${cores(requested.cpu ?? 0)}/${cores(cpu)}`;
    });
    return { nodes: nodes.length, costPerHour, settled, fleet: fleet.sort() };
  };
  try {
    await sim.start();
    const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } };
    await sim.apply([namespace, ...DAEMONSETS.map((d) => daemonSet(d.name, d.cpu, d.memory))]);
    const nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };
    await sim.apply([ec2NodeClass(), nodePool(nodeClassRef), pdb()]);
    const replicas = replicasFor(opts.pods);
    await sim.apply(APPS.map((app) => deployment(app, replicas[app.name] ?? 0)));
    const up = phase((await sim.settle()).settled);
    if (opts.scaleDown === false) {
      const notRunning = sim.pods().filter((p) => p.status?.phase !== 'Running').length;
      return {
        up,
        down: up,
        evictions: 0,
        notRunning,
        steered: 0,
        costWrites: (await writes()) - writesBefore,
      };
    }
    evictions = 0;
    const down = replicasFor(opts.pods, SCALE_DOWN_TO);
    for (const app of APPS) await sim.scale('Deployment', NAMESPACE, app.name, down[app.name] ?? 0);
    const settled = await sim.settle({ quietMs: 120_000, maxMs: 90 * 60_000 });
    return {
      up,
      down: phase(settled.settled),
      evictions,
      notRunning: sim.pods().filter((p) => p.status?.phase !== 'Running').length,
      steered: sim
        .nodes()
        .filter((n) => n.spec?.taints?.some((t) => t.key === Taints.consolidationCandidate.key)).length,
      costWrites: (await writes()) - writesBefore,
    };
  } finally {
    sim.stop();
  }
}
