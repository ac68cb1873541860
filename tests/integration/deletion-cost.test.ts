/**
 * Pod deletion costs on a real control plane: the operator (POD_DELETION_COST on) writes each node's cost on the
 * pods the real kube-scheduler bound there (but the ReplicaSet's keep tier), and the real ReplicaSet controller, scaling down, gives up the pods of
 * the newer nodes first, so they empty and go as Empty: nothing is evicted.
 */
import { createKwokCloudProvider } from '../../runtime/cloudprovider/kwok';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import type { Pod } from '../../runtime/kube/objects';
import { createLogger } from '../../runtime/logging';
import { Operator } from '../../runtime/operator';
import { Annotations } from '../../sdk/api/well-known';
import { DisposableClock } from './support/clock';
import { clusterApi, describeWithCluster, waitFor } from './support/kube';
import { createRun, tearDownRun, type Run } from './support/run';
import { runDeployment } from './support/workload';

const RUN = `dc${Date.now().toString(36)}`;
const NS = RUN;
const APP = 'inflate';

let api: ClientNodeApi;
let operator: Operator;
let clock: DisposableClock;
let run: Run;
let evictions = 0;

async function livePods(): Promise<Pod[]> {
  const { items } = await api.list(Kinds.Pod, { namespace: NS, labelSelector: `app=${APP}` });
  return items.filter((p) => !p.metadata.deletionTimestamp);
}

describeWithCluster('pod deletion costs on a real control plane (kwok nodes)', () => {
  beforeAll(async () => {
    api = clusterApi();
    run = await createRun(api, RUN);
    clock = new DisposableClock();
    const logger = createLogger(process.env.IT_LOG_LEVEL ?? 'error');
    const cloud = await createKwokCloudProvider({ api, clock, logger });
    const evict = api.evict.bind(api);
    api.evict = async (name, namespace) => {
      evictions++;
      return evict(name, namespace);
    };
    operator = new Operator({
      api,
      cloud,
      clock,
      logger,
      settings: { batchIdleMs: 1000, batchMaxMs: 5000, podDeletionCost: true },
    });
    await operator.start();
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    await tearDownRun(api, run, APP, () => (operator.stop(), clock.dispose()));
  }, 120_000);

  it("writes each node's cost on its pods but the keep tier's; the ReplicaSet's scale-down empties the newer nodes", async () => {
    // Six 700m pods, two per t3a.medium: three nodes. The ReplicaSet's keep tier is its node of highest cost
    // (a quarter of six pods is less than one node's two): its pods keep the 0 of no annotation.
    await api.create(Kinds.Deployment, runDeployment(RUN, NS, APP, 6));
    const costed = await waitFor(
      'six running pods, four with their node’s deletion cost',
      async () => {
        const pods = await livePods();
        const done =
          pods.length === 6 &&
          pods.every((p) => p.status?.phase === 'Running') &&
          pods.filter((p) => p.metadata.annotations?.[Annotations.podDeletionCost]).length === 4;
        return done && pods;
      },
      120_000,
    );
    const costByNode = new Map<string, string | undefined>();
    for (const pod of costed) {
      const cost = pod.metadata.annotations?.[Annotations.podDeletionCost];
      if (cost !== undefined) expect(Number(cost)).toBeLessThan(0);
      const node = pod.spec.nodeName as string;
      if (costByNode.has(node)) expect(cost).toBe(costByNode.get(node));
      costByNode.set(node, cost);
    }
    expect(costByNode.size).toBe(3);
    const kept = [...costByNode].find(([, cost]) => cost === undefined)?.[0];
    // The unwritten node is the one whose NodeClaim has the highest cost.
    const { items: claims } = await api.list(Kinds.NodeClaim);
    const claimCost = (node: string | undefined) =>
      Number(
        claims.find((c) => c.status?.nodeName === node)?.metadata.annotations?.[
          Annotations.nodePodDeletionCost
        ],
      );
    for (const [node, cost] of costByNode) {
      if (node === kept) continue;
      expect(claimCost(node)).toBe(Number(cost));
      expect(claimCost(kept)).toBeGreaterThan(Number(cost));
    }

    await api.patch(Kinds.Deployment, APP, { spec: { replicas: 2 } }, NS);
    // The kube-controller-manager kept the pods of the node with the highest cost; the other two nodes go empty.
    const left = await waitFor(
      'two pods left, on one node, and the other nodes gone',
      async () => {
        const pods = await livePods();
        const nodes = await run.nodes();
        return pods.length === 2 && nodes.length === 1 && pods;
      },
      120_000,
    );
    expect(left.map((p) => p.spec.nodeName)).toEqual([kept, kept]);
    expect((await run.nodes()).map((n) => n.metadata.name)).toEqual([kept]);
    expect(evictions).toBe(0);
  }, 300_000);
});
