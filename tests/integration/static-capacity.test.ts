/**
 * A static NodePool (spec.replicas, StaticCapacity on) on a real control plane with kwok nodes: the generated CRD's
 * scale subresource is what `kubectl scale nodepool` uses, and the operator follows it up and down. The API
 * server's own CEL refuses switching the pool to dynamic.
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { InvalidError } from '../../runtime/kube/api';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import { nameOf, type NodePool } from '../../runtime/kube/objects';
import { clusterApi, describeWithCluster, kubeconfigPath, waitFor } from './support/kube';
import { createRun, startKwokOperator, tearDownRun, type KwokOperator, type Run } from './support/run';
import { runNodePool } from './support/workload';

const RUN = `st${Date.now().toString(36)}`;
const STATIC = `${RUN}-static`;
const SCALE = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools', name: STATIC };

let api: ClientNodeApi;
let custom: CustomObjectsApi;
let operator: KwokOperator;
let run: Run;

async function staticClaims(): Promise<string[]> {
  const { items } = await api.list(Kinds.NodeClaim, { labelSelector: `karpenter.sh/nodepool=${STATIC}` });
  return items.filter((c) => !c.metadata.deletionTimestamp).map((c) => nameOf(c));
}

async function staticNodes(): Promise<number> {
  const { items } = await api.list(Kinds.Node, { labelSelector: `karpenter.sh/nodepool=${STATIC}` });
  return items.filter((n) => !n.metadata.deletionTimestamp).length;
}

/** Waits until the pool has exactly `n` live claims and nodes, and holds them for a few seconds (no overshoot). */
async function exactly(n: number): Promise<void> {
  await waitFor(
    `${n} static NodeClaims and Nodes`,
    async () => (await staticClaims()).length === n && (await staticNodes()) === n,
    90_000,
  );
  await new Promise((r) => setTimeout(r, 3000));
  expect(await staticClaims()).toHaveLength(n);
}

/** `kubectl scale nodepool <name> --replicas=n`: a read and a replace of the scale subresource. */
async function scale(n: number): Promise<void> {
  const current = (await custom.getClusterCustomObjectScale(SCALE)) as { spec?: { replicas?: number } };
  await custom.replaceClusterCustomObjectScale({ ...SCALE, body: { ...current, spec: { replicas: n } } });
}

describeWithCluster('a static NodePool on a real control plane (kwok nodes)', () => {
  beforeAll(async () => {
    api = clusterApi();
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath as string);
    custom = kc.makeApiClient(CustomObjectsApi);
    run = await createRun(api, RUN);
    operator = await startKwokOperator(api, { staticCapacity: true });
    const pool: NodePool = runNodePool(RUN);
    pool.metadata = { name: STATIC };
    delete pool.spec.limits;
    delete pool.spec.weight;
    pool.spec.replicas = 2;
    await api.create(Kinds.NodePool, pool);
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    await api.delete(Kinds.NodePool, STATIC).catch(() => undefined);
    for (const name of await staticClaims().catch(() => [])) {
      await api.delete(Kinds.NodeClaim, name).catch(() => undefined);
    }
    await waitFor(
      'the static NodeClaims to be gone',
      async () => (await staticClaims()).length === 0,
      60_000,
    ).catch((err: unknown) => console.warn(String(err)));
    await tearDownRun(api, run, 'none', operator.stop);
  }, 120_000);

  it('launches replicas nodes, and no dynamic ones', async () => {
    await exactly(2);
    expect(await run.claims()).toEqual([]);
  }, 120_000);

  it('follows the scale subresource up and down, and reports the count in it', async () => {
    await scale(4);
    await exactly(4);
    await waitFor(
      'the scale subresource to report 4',
      async () =>
        ((await custom.getClusterCustomObjectScale(SCALE)) as { status?: { replicas?: number } }).status
          ?.replicas === 4,
      30_000,
    );
    await scale(1);
    await exactly(1);
  }, 240_000);

  it('is refused a switch to dynamic by the API server', async () => {
    const pool = (await api.get(Kinds.NodePool, STATIC)) as NodePool;
    delete pool.spec.replicas;
    await expect(api.update(Kinds.NodePool, pool)).rejects.toBeInstanceOf(InvalidError);
    await expect(api.update(Kinds.NodePool, pool)).rejects.toThrow(
      /Cannot transition NodePool between static/,
    );
  });
});
