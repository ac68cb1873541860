/**
 * The seed lab on the real control plane: the lab's manifests (examples/lab/) applied to kube-apiserver, the
 * real kube-scheduler and controller-manager running the pods and Deployments, kwok playing the kubelets, and the
 * production Operator with the kwok cloud provider. The app is scaled 1 → 9 → 1 → 9 → 8 as in the seed, and the
 * workshop pool must show 1, 2, 1, 2, 1 nodes after each step, with every pod running, as the simulator does.
 */
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from '../../runtime/cloudprovider/kwok/kwok-node';
import { defaultCatalog, specLabels, toInstanceType } from '../../runtime/cloudprovider/simulated/catalog';
import { DEFAULT_CAPACITY_SETTINGS } from '../../runtime/scheduling/allocatable';
import { isAlreadyExists } from '../../runtime/kube/api';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import { nameOf, type KubeObject, type Node } from '../../runtime/kube/objects';
import { LAB_STEPS, loadLabManifests } from '../../runtime/lab/seed-lab';
import { toResourceList } from '../../runtime/scheduling/resources';
import { kindOf } from '../../runtime/simulator/simulation';
import { clusterApi, describeWithCluster, installCrds, waitFor, waitForOrExplain } from './support/kube';
import { startKwokOperator, type KwokOperator } from './support/run';

const manifests = loadLabManifests();
const POOL = manifests.nodePool[0]?.metadata.name as string;
const APP_NS = 'my-cool-app';
const APP = 'fastapi-deployment';

let api: ClientNodeApi;
let operator: KwokOperator | undefined;
const created: KubeObject[] = [];

async function apply(objects: KubeObject[]): Promise<void> {
  for (const obj of objects) {
    try {
      created.push(await api.create(kindOf(obj), obj));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

/** The managed-node-group node of cluster.yaml, as a kwok Node (kwok marks it Ready); not karpenter-ts's. */
function staticNode(spec: (typeof manifests.cluster.staticNodes)[number]): Node {
  const catalogSpec = defaultCatalog.specs.find((s) => s.name === spec.instanceType);
  if (!catalogSpec) throw new Error(`unknown instance type ${spec.instanceType}`);
  const it = toInstanceType(catalogSpec, defaultCatalog.region, {}, DEFAULT_CAPACITY_SETTINGS);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        ...specLabels(catalogSpec, defaultCatalog.region),
        'topology.kubernetes.io/zone': spec.zone ?? 'us-east-1a',
        'karpenter.sh/capacity-type': spec.capacityType ?? 'on-demand',
        'kubernetes.io/hostname': spec.name,
        ...spec.labels,
      },
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE },
    },
    spec: { providerID: `kwok-static://${spec.name}` },
    status: { capacity: toResourceList(it.capacity), allocatable: toResourceList(it.allocatable) },
  };
}

async function allRunning(namespace: string, labelSelector: string): Promise<boolean> {
  const { items } = await api.list(Kinds.Pod, { namespace, labelSelector });
  return items.length > 0 && items.every((p) => p.spec.nodeName && p.status?.phase === 'Running');
}

/**
 * Workshop nodes once the step is over: every app pod running, no claim terminating, unchanged for 60 s (longer
 * than a disruption poll plus its validation delay, so a pending consolidation is not missed).
 */
async function settledWorkshopNodes(replicas: number): Promise<number> {
  let last = '';
  let since = Date.now();
  return waitForOrExplain(
    api,
    `the workshop pool to settle with ${replicas} app pods running`,
    async () => {
      const [nodes, claims, pods] = await Promise.all([
        api.list(Kinds.Node, { labelSelector: `karpenter.sh/nodepool=${POOL}` }),
        api.list(Kinds.NodeClaim, { labelSelector: `karpenter.sh/nodepool=${POOL}` }),
        api.list(Kinds.Pod, { namespace: APP_NS, labelSelector: 'app=fastapi-app' }),
      ]);
      const live = pods.items.filter((p) => !p.metadata.deletionTimestamp);
      const ready =
        live.length === replicas &&
        live.every((p) => p.spec.nodeName && p.status?.phase === 'Running') &&
        claims.items.every((c) => !c.metadata.deletionTimestamp) &&
        nodes.items.every((n) => !n.spec?.taints?.some((t) => t.key === 'karpenter.sh/disrupted'));
      const state = `${ready}:${nodes.items
        .map((n) => n.metadata.name)
        .sort()
        .join(',')}`;
      if (state !== last) {
        last = state;
        since = Date.now();
      }
      return ready && Date.now() - since >= 60_000 && nodes.items.length;
    },
    300_000,
    1000,
  );
}

describeWithCluster('the seed lab on a real control plane (kwok nodes)', () => {
  beforeAll(async () => {
    api = clusterApi();
    await installCrds(api);
    for (const spec of manifests.cluster.staticNodes) await apply([staticNode(spec)]);
    await apply(manifests.cluster.workloads);
    // The system workloads run on the node group before the controller starts, or it would launch a node for them.
    await waitFor(
      'the system workloads to run on the static node',
      () => allRunning('kube-system', 'k8s-app=kube-dns'),
      120_000,
    );
    await apply([...manifests.nodeClass, ...manifests.nodePool]);
    operator = await startKwokOperator(api);
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    // The app and its pool first, so the running operator terminates the nodes it launched.
    await api.delete(Kinds.Namespace, APP_NS).catch(() => undefined);
    await api.delete(Kinds.NodePool, POOL).catch(() => undefined);
    await waitForOrExplain(
      api,
      'the lab NodeClaims to be gone',
      async () =>
        (await api.list(Kinds.NodeClaim, { labelSelector: `karpenter.sh/nodepool=${POOL}` })).items.length ===
        0,
      90_000,
    ).catch((err: unknown) => console.warn(String(err)));
    operator.stop();
    for (const obj of created.reverse()) {
      await api.delete(kindOf(obj), nameOf(obj), obj.metadata.namespace).catch(() => undefined);
    }
  }, 150_000);

  it('shows 1, 2, 1, 2, 1 workshop nodes after the seed lab’s steps, with every pod running', async () => {
    const counts: number[] = [];
    for (const step of LAB_STEPS) {
      if (step.name === 'deploy') {
        await apply(manifests.db);
        await waitForOrExplain(
          api,
          'the database to run',
          () => allRunning(APP_NS, 'app=fastapi-postgres'),
          120_000,
        );
        await apply(manifests.app);
      } else {
        await api.patch(Kinds.Deployment, APP, { spec: { replicas: step.appReplicas } }, APP_NS);
      }
      counts.push(await settledWorkshopNodes(step.appReplicas));
    }
    expect(counts).toEqual(LAB_STEPS.map((s) => s.expectedNodes));
  }, 1_200_000);
});
