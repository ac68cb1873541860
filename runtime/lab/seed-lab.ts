/**
 * The seed lab ("Managing Worker Node Scaling with Karpenter") replayed on the embedded simulator: deploy the
 * database and the FastAPI app, scale 1 → 9 → 1 → 9 → 8, and after each step let the cluster settle and capture
 * what eks-node-viewer would show for the workshop pool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { RecordedEvent } from '../events/recorder';
import type { KubeObject } from '../kube/objects';
import { loadManifestFile } from '../manifests';
import { podKey } from '../scheduling/pod-requirements';
import { Simulation, type StaticNodeSpec } from '../simulator/simulation';
import type { Convergence } from '../simulator/convergence';
import type { FaultProfile } from '../simulator/faults';
import { buildViewerModel, type ViewerModel } from '../viewer/model';
import { totalPrice } from '../viewer/render';
import type { Logger } from '../logging';
import { packageRoot } from '../package-root';
import { gatherCost } from '../cost/gather';
import type { CostReport } from '../cost/report';
import type { SavingsPlan } from '../scheduling/savings-plans';

export const LAB_NODE_SELECTOR = 'workload-type=developers-workshop';
export const DEFAULT_LAB_DIR = join(packageRoot(), 'examples', 'lab');

export interface LabStep {
  name: string;
  /** The kubectl command the seed lab runs for this step. */
  command: string;
  /** Node count the seed shows in the workshop pool after this step settles. */
  expectedNodes: number;
  /** The app's replicas once the step is applied. */
  appReplicas: number;
  run: (sim: Simulation, manifests: LabManifests) => Promise<void>;
}

export interface LabManifests {
  cluster: { staticNodes: StaticNodeSpec[]; workloads: KubeObject[] };
  nodeClass: KubeObject[];
  nodePool: KubeObject[];
  db: KubeObject[];
  app: KubeObject[];
}

export interface LabNodeSummary {
  name: string;
  nodePool: string | null;
  instanceType: string;
  capacityType: string;
  zone: string;
  cpuRequestedMillis: number;
  cpuAllocatableMillis: number;
  pods: number;
  status: 'Ready' | 'NotReady' | 'Deleting';
}

export interface LabFrame {
  step: string;
  command: string;
  nodes: LabNodeSummary[];
  pendingPods: number;
  pricePerHour: number;
  settled: boolean;
  elapsedSeconds: number;
  expectedNodes: number;
  /** What the controller did during the step. */
  events: RecordedEvent[];
  /** Why each pending pod is pending, from FailedScheduling events. */
  unschedulable: string[];
  /** Leaked instances, duplicate launches and orphan Nodes after the step. */
  convergence: Convergence;
  /** Faults injected so far, by `seam.call.fault`, when a fault profile was given. */
  faultsInjected?: Record<string, number>;
  model: ViewerModel;
  /** $/hour per NodePool against the least the same pods could cost (runtime/cost). */
  cost: CostReport;
}

const APP = { namespace: 'my-cool-app', name: 'fastapi-deployment' };

const scaleApp = (replicas: number) => async (sim: Simulation) => {
  await sim.scale('Deployment', APP.namespace, APP.name, replicas);
};

export const LAB_STEPS: LabStep[] = [
  {
    name: 'deploy',
    command:
      'kubectl apply -f eks/deploy-db-python.yaml && kubectl apply -f eks/karpenter/deploy-app-python.yaml',
    expectedNodes: 1,
    appReplicas: 1,
    run: async (sim, m) => {
      await sim.apply(m.db);
      await sim.settle({ quietMs: 5_000 });
      await sim.apply(m.app);
    },
  },
  {
    name: 'scale-to-9',
    command: 'kubectl scale deploy -n my-cool-app fastapi-deployment --replicas=9',
    expectedNodes: 2,
    appReplicas: 9,
    run: scaleApp(9),
  },
  {
    name: 'scale-to-1',
    command: 'kubectl scale deploy -n my-cool-app fastapi-deployment --replicas=1',
    expectedNodes: 1,
    appReplicas: 1,
    run: scaleApp(1),
  },
  {
    name: 'scale-to-9-again',
    command: 'kubectl scale deploy -n my-cool-app fastapi-deployment --replicas=9',
    expectedNodes: 2,
    appReplicas: 9,
    run: scaleApp(9),
  },
  {
    name: 'scale-to-8',
    command: 'kubectl scale deploy -n my-cool-app fastapi-deployment --replicas=8',
    expectedNodes: 1,
    appReplicas: 8,
    run: scaleApp(8),
  },
];

export function loadLabManifests(dir: string = DEFAULT_LAB_DIR): LabManifests {
  const cluster = yaml.load(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as LabManifests['cluster'];
  return {
    cluster: { staticNodes: cluster.staticNodes ?? [], workloads: cluster.workloads ?? [] },
    nodeClass: loadManifestFile(join(dir, 'ec2nodeclass.yaml')),
    nodePool: loadManifestFile(join(dir, 'nodepool.yaml')),
    db: loadManifestFile(join(dir, 'deploy-db.yaml')),
    app: loadManifestFile(join(dir, 'deploy-app.yaml')),
  };
}

function summarize(model: ViewerModel): LabNodeSummary[] {
  return model.nodes.map((n) => ({
    name: n.name,
    nodePool: n.nodePool ?? null,
    instanceType: n.instanceType,
    capacityType: n.capacityType,
    zone: n.zone,
    cpuRequestedMillis: n.requested.cpu ?? 0,
    cpuAllocatableMillis: n.allocatable.cpu ?? 0,
    pods: n.pods,
    status: n.deleting ? 'Deleting' : n.ready ? 'Ready' : 'NotReady',
  }));
}

export interface RunLabOptions {
  manifests?: LabManifests;
  logger?: Logger;
  /** Called with each frame as soon as its step settles. */
  onFrame?: (frame: LabFrame) => void;
  /** Simulated time a step may take before it is reported as not settled. @default 30 min */
  maxStepMs?: number;
  /** Fail a share of the controller's API and cloud calls. @default none */
  faults?: FaultProfile;
  /** Runs after the last step, before the simulation stops (soak checks that look further ahead). */
  afterSteps?: (sim: Simulation) => Promise<void>;
  /** SAVINGS_PLANS for the controller, the viewer's prices and the cost report. @default none */
  savingsPlans?: SavingsPlan[];
}

/** Run the whole lab; returns one frame per step. */
export async function runLab(opts: RunLabOptions = {}): Promise<LabFrame[]> {
  const manifests = opts.manifests ?? loadLabManifests();
  const sim = new Simulation({
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    // The lab replays the seed's run of upstream Karpenter, whose ReplicaSets give up pods from the fuller node
    // (9 → 8 leaves a one-pod node to consolidate); pod deletion costs would empty the newer node instead.
    settings: {
      podDeletionCost: false,
      ...(opts.savingsPlans?.length ? { savingsPlans: opts.savingsPlans } : {}),
    },
  });
  const plans = opts.savingsPlans?.length ? { savingsPlans: opts.savingsPlans } : {};
  const events: RecordedEvent[] = [];
  sim.operator.recorder.subscribe((e) => events.push(e));
  await sim.start();
  const frames: LabFrame[] = [];
  try {
    for (const node of manifests.cluster.staticNodes) await sim.addStaticNode(node);
    await sim.apply([...manifests.nodeClass, ...manifests.nodePool, ...manifests.cluster.workloads]);
    await sim.settle({ quietMs: 5_000 });
    for (const step of LAB_STEPS) {
      events.length = 0;
      await step.run(sim, manifests);
      const result = await sim.settle({ maxMs: opts.maxStepMs ?? 30 * 60_000 });
      const all = buildViewerModel(sim.nodes(), sim.pods(), sim.priceOf, plans);
      const model = buildViewerModel(sim.nodes(), sim.pods(), sim.priceOf, {
        nodeSelector: LAB_NODE_SELECTOR,
        ...plans,
      });
      model.pods = all.pods;
      const pending = sim.pods().filter((p) => !p.spec.nodeName);
      const frame: LabFrame = {
        step: step.name,
        command: step.command,
        nodes: summarize(model),
        pendingPods: pending.length,
        pricePerHour: Number(totalPrice(model).toFixed(4)),
        settled: result.settled,
        elapsedSeconds: Math.round(result.elapsedMs / 1000),
        expectedNodes: step.expectedNodes,
        events: [...events],
        unschedulable: pending.map((p) => {
          const decision = sim.operator.provisioner.lastResult?.unschedulable.get(podKey(p));
          return `${podKey(p)}: ${decision ? decision.reasons.join('; ') : 'waiting for a scheduling decision'}`;
        }),
        convergence: sim.convergence(),
        ...(sim.faults ? { faultsInjected: sim.faults.snapshot() } : {}),
        model,
        cost: await gatherCost({
          api: sim.api,
          cloud: sim.cloud,
          priceOf: sim.priceOf,
          nodes: sim.nodes(),
          pods: sim.pods(),
          ...plans,
        }),
      };
      frames.push(frame);
      opts.onFrame?.(frame);
    }
    await opts.afterSteps?.(sim);
  } finally {
    sim.stop();
  }
  return frames;
}
