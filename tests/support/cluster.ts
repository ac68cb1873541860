/** Builders for scenario tests on the embedded simulator. */
import { Kinds } from '../../runtime/kube/kinds';
import { loadLabManifests } from '../../runtime/lab/seed-lab';
import type { Deployment, EC2NodeClass, NodePool, PodDisruptionBudget } from '../../runtime/kube/objects';
import type { Catalog } from '../../runtime/cloudprovider/simulated/catalog';
import type { OperatorSettings } from '../../runtime/operator';
import type { FaultProfile } from '../../runtime/simulator/faults';
import { Simulation } from '../../runtime/simulator/simulation';

export const APP_NS = 'my-cool-app';
export const APP = 'fastapi-deployment';

/** A started simulation with the lab's node class, NodePool (optionally edited) and the app at `replicas`. */
export async function labCluster(
  opts: {
    replicas?: number;
    editPool?: (pool: NodePool) => void;
    editNodeClass?: (nodeClass: EC2NodeClass) => void;
    catalog?: Catalog;
    appCpu?: string;
    faults?: FaultProfile;
    settings?: OperatorSettings;
    /** When the simulated clock starts (ms since the epoch). @default the Simulation's */
    startTime?: number;
  } = {},
): Promise<Simulation> {
  const manifests = loadLabManifests();
  const pool = structuredClone(manifests.nodePool[0]) as NodePool;
  opts.editPool?.(pool);
  const app = structuredClone(manifests.app[0]) as Deployment;
  app.spec.replicas = opts.replicas ?? 1;
  const requests = app.spec.template.spec.containers[0]?.resources?.requests;
  if (opts.appCpu && requests) requests.cpu = opts.appCpu;
  // Scenarios built on the lab are about consolidating what its scale-downs leave, as upstream's ReplicaSets leave
  // it: without pod deletion costs unless a test asks for them.
  const nodeClass = structuredClone(manifests.nodeClass[0]) as EC2NodeClass;
  opts.editNodeClass?.(nodeClass);
  const sim = new Simulation({
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.catalog ? { catalog: opts.catalog } : {}),
    ...(opts.startTime !== undefined ? { startTime: opts.startTime } : {}),
    settings: { podDeletionCost: false, ...opts.settings },
  });
  await sim.start();
  await sim.apply([
    nodeClass,
    ...manifests.nodeClass.slice(1),
    pool,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APP_NS } },
    app,
  ]);
  await sim.settle();
  return sim;
}

export function pdb(name: string, spec: PodDisruptionBudget['spec']): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: APP_NS },
    spec,
  };
}

export function workshopNodes(sim: Simulation) {
  return sim
    .nodes()
    .filter((n) => n.metadata.labels?.['karpenter.sh/nodepool'] === 'developers-workshop-pool');
}

export function podsOn(sim: Simulation, nodeName: string) {
  return sim.pods().filter((p) => p.spec.nodeName === nodeName);
}

/** Another deployment like the lab app (same node selector), with its own name, label, size and replicas. */
export async function applySiblingDeployment(
  sim: Simulation,
  name: string,
  replicas: number,
  cpu: string,
  edit?: (deployment: Deployment) => void,
): Promise<void> {
  const app = sim.api.peek(Kinds.Deployment, APP, APP_NS);
  if (!app) throw new Error(`deployment ${APP_NS}/${APP} not found`);
  const sibling = structuredClone(app);
  sibling.metadata = { name, namespace: APP_NS };
  sibling.spec.replicas = replicas;
  sibling.spec.selector = { matchLabels: { app: name } };
  sibling.spec.template.metadata = { labels: { app: name } };
  const requests = sibling.spec.template.spec.containers[0]?.resources?.requests;
  if (requests) requests.cpu = cpu;
  edit?.(sibling);
  await sim.apply([sibling]);
}

/** Annotate a node karpenter.sh/do-not-disrupt, so a test's question is not blurred by consolidating it. */
export async function protectFromDisruption(sim: Simulation, nodeName: string): Promise<void> {
  await sim.api.patch(Kinds.Node, nodeName, {
    metadata: { annotations: { 'karpenter.sh/do-not-disrupt': 'true' } },
  });
}

/**
 * A small database: a PersistentVolume (in one zone and/or of a CSI driver), a claim in the app's namespace bound
 * to it, and a one-replica Deployment like the app's that mounts it; settled.
 */
export async function applyDatabase(
  sim: Simulation,
  name: string,
  volume: { zone?: string; csiDriver?: string },
): Promise<void> {
  await sim.api.create(Kinds.PersistentVolume, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      ...(volume.csiDriver ? { csi: { driver: volume.csiDriver, volumeHandle: `vol-${name}` } } : {}),
      ...(volume.zone
        ? {
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'topology.kubernetes.io/zone', operator: 'In', values: [volume.zone] },
                    ],
                  },
                ],
              },
            },
          }
        : {}),
    },
  });
  await sim.api.create(Kinds.PersistentVolumeClaim, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: APP_NS },
    spec: { volumeName: name, storageClassName: '' },
  });
  await applySiblingDeployment(sim, name, 1, '100m', (d) => {
    d.spec.template.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: name } }];
  });
  await sim.settle();
}
