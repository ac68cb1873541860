/**
 * The production Operator (ClientNodeApi, RealClock, the kwok cloud provider) against a real control plane:
 * kube-apiserver + etcd, the real kube-scheduler binding pods, kube-controller-manager running Deployments and
 * PodDisruptionBudgets, kwok playing every kubelet. The scenarios share one cluster and one operator and run in
 * order: provision, consolidation blocked by a PDB, consolidation through the Eviction API, apiserver restart.
 */
import { createKwokCloudProvider } from '../../runtime/cloudprovider/kwok';
import { loadVolumeContext } from '../../runtime/controllers/volume-loader';
import { explainNode } from '../../runtime/explain/explain-node';
import { GoneError, TooManyRequestsError } from '../../runtime/kube/api';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { hasCondition } from '../../runtime/kube/conditions';
import { Kinds } from '../../runtime/kube/kinds';
import { nameOf, type Node, type NodeClaim, type Pod } from '../../runtime/kube/objects';
import { createLogger } from '../../runtime/logging';
import { Operator } from '../../runtime/operator';
import { DisposableClock } from './support/clock';
import { runDeployment } from './support/workload';
import { clusterApi, describeWithCluster, killAndRestartApiserver, waitFor } from './support/kube';
import { createRun, tearDownRun, type Run } from './support/run';

const RUN = `it${Date.now().toString(36)}`;
const NS = RUN;
const APP = 'inflate';
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

let api: ClientNodeApi;
let operator: Operator;
let clock: DisposableClock;
/**
 * cloud.create calls for a NodeClaim the API server had already recorded as Launched: a second instance bought
 * from a stale cache. Retries after a failed API call are fine (providers are idempotent); these are not.
 */
const relaunches: string[] = [];

let run: Run;
const claims = (): Promise<NodeClaim[]> => run.claims();
const nodes = (): Promise<Node[]> => run.nodes();

/** The app's pods that are not on their way out. */
async function livePods(): Promise<Pod[]> {
  const { items } = await api.list(Kinds.Pod, { namespace: NS, labelSelector: `app=${APP}` });
  return items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Waits until exactly `n` app pods run, each bound to a node; returns them. */
async function runningPods(n: number, timeoutMs: number): Promise<Pod[]> {
  return waitFor(
    `${n} running, bound ${APP} pods`,
    async () => {
      const pods = await livePods();
      const ok = pods.length === n && pods.every((p) => p.spec.nodeName && p.status?.phase === 'Running');
      return ok && pods;
    },
    timeoutMs,
  );
}

describeWithCluster('the operator on a real control plane (kwok nodes)', () => {
  beforeAll(async () => {
    api = clusterApi();
    run = await createRun(api, RUN);
    clock = new DisposableClock();
    const logger = createLogger(process.env.IT_LOG_LEVEL ?? 'error');
    const cloud = await createKwokCloudProvider({ api, clock, logger });
    const create = cloud.create.bind(cloud);
    cloud.create = async (claim) => {
      const name = nameOf(claim);
      // Unreadable (the API server went down in between): not counted either way.
      const onServer = await api.get(Kinds.NodeClaim, name).catch(() => undefined);
      if (onServer && hasCondition(onServer, 'Launched')) relaunches.push(name);
      return create(claim);
    };
    operator = new Operator({ api, cloud, clock, logger, settings: { batchIdleMs: 1000, batchMaxMs: 5000 } });
    await operator.start();
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    await tearDownRun(api, run, APP, () => (operator.stop(), clock.dispose()));
  }, 120_000);

  it('reads the storage objects volume-aware scheduling needs: claims, volumes, classes and CSINode limits', async () => {
    const csiNode = `${RUN}-csi`;
    await api.create(Kinds.CSINode, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name: csiNode },
      spec: { drivers: [{ name: 'ebs.csi.aws.com', nodeID: 'i-0', allocatable: { count: 25 } }] },
    });
    try {
      const errors: unknown[] = [];
      const mounting: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'db', namespace: NS },
        spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'none' } }] },
      };
      const context = await loadVolumeContext(api, [mounting], (err) => errors.push(err));
      expect(errors).toEqual([]);
      expect(context?.topology(mounting)).toEqual({
        reason: `PersistentVolumeClaim ${NS}/none does not exist`,
      });
      const limits = context?.limitsFor([{ name: csiNode }]).nodes.get(csiNode)?.limits;
      expect(limits).toEqual(new Map([['ebs.csi.aws.com', 25]]));
    } finally {
      await api.delete(Kinds.CSINode, csiNode);
    }
  });

  it('turns pending pods into NodeClaims and kwok Nodes, and the real kube-scheduler binds every pod', async () => {
    await api.create(Kinds.Deployment, runDeployment(RUN, NS, APP, 4));
    const pods = await runningPods(4, 120_000);

    // kwok may run the pods before the lifecycle has recorded Initialized: wait for it.
    const launched = await waitFor(
      'every NodeClaim initialized',
      async () => {
        const all = await claims();
        return all.every((c) => hasCondition(c, 'Initialized')) && all;
      },
      30_000,
    );
    // Two pods per t3a.medium: the provisioner planned exactly two nodes.
    expect(launched).toHaveLength(2);
    for (const claim of launched) {
      expect(['Launched', 'Registered'].filter((t) => hasCondition(claim, t))).toHaveLength(2);
      expect(claim.metadata.labels?.['node.kubernetes.io/instance-type']).toBe('t3a.medium');
    }
    const ours = await nodes();
    expect(ours.map((n) => n.spec?.providerID).sort()).toEqual(
      launched.map((c) => c.status?.providerID).sort(),
    );
    for (const node of ours) {
      expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
      expect(node.spec?.taints ?? []).not.toContainEqual(
        expect.objectContaining({ key: 'karpenter.sh/unregistered' }),
      );
    }
    const nodeNames = new Set(ours.map((n) => n.metadata.name));
    for (const pod of pods) {
      expect(nodeNames.has(pod.spec.nodeName)).toBe(true);
      expect(pod.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'PodScheduled', status: 'True' }),
      );
    }
    // Two on each node.
    const perNode = [...nodeNames].map((n) => pods.filter((p) => p.spec.nodeName === n).length);
    expect(perNode).toEqual([2, 2]);
  }, 180_000);

  it('does not consolidate while a PodDisruptionBudget with maxUnavailable 0 protects the pods, and says why', async () => {
    await api.create(Kinds.PodDisruptionBudget, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: APP, namespace: NS },
      spec: { selector: { matchLabels: { app: APP } }, maxUnavailable: 0 },
    });
    // Scale 4 → 2 leaving one pod per node: the ReplicaSet removes the pods with the lowest deletion cost first.
    const pods = await livePods();
    const byNode = new Map<string, Pod>();
    for (const pod of pods) byNode.set(pod.spec.nodeName as string, pod);
    for (const pod of byNode.values()) {
      await api.patch(Kinds.Pod, nameOf(pod), { metadata: { annotations: { [DELETION_COST]: '-100' } } }, NS);
    }
    await api.patch(Kinds.Deployment, APP, { spec: { replicas: 2 } }, NS);
    const remaining = await runningPods(2, 60_000);
    expect(new Set(remaining.map((p) => p.spec.nodeName)).size).toBe(2);

    // Each node is now half empty: one could go, its pod fitting on the other, but the PDB allows no eviction.
    const explanation = await waitFor(
      'a disruption explanation naming the PDB',
      () =>
        [...operator.disruption.explanations.values()].find((e) =>
          e.includes(`PodDisruptionBudget ${NS}/${APP}`),
        ),
      60_000,
    );
    expect(explanation).toMatch(/allows no disruption/);
    // `karpenter-ts explain node` finds the DisruptionBlocked Event by field selector on the real API server.
    const blocked = [...operator.disruption.explanations].find(([, e]) => e === explanation)?.[0] as string;
    const explained = await waitFor(
      `explain node ${blocked} to report the PDB`,
      async () => {
        const lines = await explainNode(api, blocked, Date.now());
        return (
          lines.some((l) => l.includes('last decision') && l.includes(`PodDisruptionBudget ${NS}/${APP}`)) &&
          lines
        );
      },
      30_000,
    );
    expect(explained[0]).toContain(blocked);
    // The real Eviction API enforces the same budget.
    await expect(api.evict(remaining[0]?.metadata.name as string, NS)).rejects.toBeInstanceOf(
      TooManyRequestsError,
    );
    expect(await nodes()).toHaveLength(2);
  }, 150_000);

  it('consolidates once the PDB is gone, evicting through the Eviction API', async () => {
    const before = await livePods();
    await api.delete(Kinds.PodDisruptionBudget, APP, NS);
    await waitFor(
      'consolidation down to one node',
      async () => (await nodes()).length === 1 && (await claims()).length === 1,
      120_000,
    );
    const [survivor] = await nodes();
    const pods = await runningPods(2, 60_000);
    expect(pods.every((p) => p.spec.nodeName === survivor?.metadata.name)).toBe(true);

    // The pod on the removed node was evicted (gone, replaced by the ReplicaSet) and the operator recorded it.
    const evicted = before.filter((p) => p.spec.nodeName !== survivor?.metadata.name);
    expect(evicted).toHaveLength(1);
    const name = evicted[0]?.metadata.name as string;
    expect(await api.get(Kinds.Pod, name, NS)).toBeUndefined();
    const { items: events } = await api.list(Kinds.Event, { namespace: NS });
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'Evicted', involvedObject: expect.objectContaining({ name }) }),
    );
  }, 180_000);

  it('resumes its watches after the apiserver is killed mid-launch: nothing lost, no claim launched twice', async () => {
    const relistsBefore = operator.state.pods.relists + operator.state.nodeClaims.relists;
    const { resourceVersion: beforeRestart } = await api.list(Kinds.Pod, { namespace: NS });
    // 6 pods need 3 nodes; one runs already, so the provisioner launches two more.
    await api.patch(Kinds.Deployment, APP, { spec: { replicas: 6 } }, NS);
    await waitFor('a new NodeClaim', async () => (await claims()).length > 1, 60_000, 100);
    await killAndRestartApiserver(3_000);
    await waitFor('the apiserver to serve again', async () => !!(await api.list(Kinds.Namespace)), 60_000);

    const pods = await runningPods(6, 180_000);
    // Each NodeClaim has exactly one instance (Node) and each Node one claim: no claim was launched twice.
    const launched = await claims();
    const ours = await nodes();
    const providerIDs = launched.map((c) => c.status?.providerID).sort();
    expect(new Set(providerIDs).size).toBe(launched.length);
    expect(ours.map((n) => n.spec?.providerID).sort()).toEqual(providerIDs);
    const nodeNames = new Set(ours.map((n) => n.metadata.name));
    expect(pods.every((p) => nodeNames.has(p.spec.nodeName))).toBe(true);
    expect(relaunches).toEqual([]);
    // Exactly the claims needed: the one that was there and two new ones. After the restart the launching nodes
    // were seen with node.kubernetes.io/not-ready:NoSchedule for a while: planning must look through such taints.
    expect(launched.map((c) => `${c.metadata.name}@${c.metadata.creationTimestamp}`)).toHaveLength(3);
    // The informers saw their watches end and listed again.
    expect(operator.state.pods.relists + operator.state.nodeClaims.relists).toBeGreaterThan(relistsBefore);

    // A watch from before the restart is too old for the new apiserver's watch cache: 410 Gone, as the informers saw.
    const closed = await new Promise<Error | undefined>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err?: Error): void => {
        clearTimeout(timer);
        resolve(err);
      };
      api
        .watch(Kinds.Pod, { namespace: NS, resourceVersion: beforeRestart, onClose: done }, () => undefined)
        .then((h) => {
          // Still open after 10 s: the watch was accepted, which is the failure this test looks for.
          timer = setTimeout(() => (h.stop(), done(undefined)), 10_000);
        })
        .catch(done);
    });
    expect(closed).toBeInstanceOf(GoneError);
  }, 300_000);
});
