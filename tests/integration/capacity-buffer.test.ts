/**
 * A CapacityBuffer (CapacityBuffer gate on) on a real control plane with kwok nodes: the generated CRD is served,
 * the controller resolves the buffer through client-node and writes its status through the status subresource,
 * the headroom is launched ahead of demand, a scale-up within it is bound by the real kube-scheduler on nodes
 * that were already there, and the used room is bought again.
 */
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import type { CapacityBuffer, Pod } from '../../runtime/kube/objects';
import { clusterApi, describeWithCluster, waitForOrExplain } from './support/kube';
import { createRun, startKwokOperator, tearDownRun, type KwokOperator, type Run } from './support/run';
import { runDeployment } from './support/workload';

const RUN = `buf${Date.now().toString(36)}`;
const APP = 'inflate';
const BUFFER = 'inflate-headroom';

let api: ClientNodeApi;
let operator: KwokOperator;
let run: Run;

const appPods = async (): Promise<Pod[]> =>
  (await api.list(Kinds.Pod, { namespace: RUN })).items.filter((p) => !p.metadata.deletionTimestamp);
const running = (pods: Pod[]) => pods.every((p) => p.spec.nodeName && p.status?.phase === 'Running');

describeWithCluster('a CapacityBuffer on a real control plane (kwok nodes)', () => {
  beforeAll(async () => {
    api = clusterApi();
    run = await createRun(api, RUN);
    operator = await startKwokOperator(api, { capacityBuffer: true, batchIdleMs: 1000, batchMaxMs: 5000 });
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    await api.delete(Kinds.CapacityBuffer, BUFFER, RUN).catch(() => undefined);
    await tearDownRun(api, run, APP, operator.stop);
  }, 120_000);

  it('launches the headroom ahead of demand, a scale-up within it binds on nodes already up, and the room is bought again', async () => {
    // One 700m pod (a t3a.medium holds two) and room for two more: three pods' worth, two nodes.
    await api.create(Kinds.Deployment, runDeployment(RUN, RUN, APP, 1));
    const buffer: CapacityBuffer = {
      apiVersion: 'autoscaling.x-k8s.io/v1beta1',
      kind: 'CapacityBuffer',
      metadata: { name: BUFFER, namespace: RUN },
      spec: { scalableRef: { apiGroup: 'apps', kind: 'Deployment', name: APP }, replicas: 2 },
    } as CapacityBuffer;
    await api.create(Kinds.CapacityBuffer, buffer);
    await waitForOrExplain(
      api,
      'the buffer resolved in its status and two ready nodes for one pod and its headroom',
      async () => {
        const status = (await api.get(Kinds.CapacityBuffer, BUFFER, RUN))?.status;
        const ready = status?.conditions?.find((c) => c.type === 'ReadyForProvisioning');
        const nodes = await run.nodes();
        const pods = await appPods();
        return (
          status?.replicas === 2 &&
          ready?.status === 'True' &&
          pods.length === 1 &&
          running(pods) &&
          nodes.length === 2 &&
          nodes.every((n) => !n.spec?.taints?.some((t) => t.key === 'karpenter.sh/unregistered'))
        );
      },
      120_000,
    );
    const nodesBefore = new Set((await run.nodes()).map((n) => n.metadata.name));
    const claimsBefore = (await run.claims()).length;

    // The scale-up uses the headroom: both new pods bind on the two nodes that were up, no launch needed.
    await api.patch(Kinds.Deployment, APP, { spec: { replicas: 3 } }, RUN);
    const pods = await waitForOrExplain(
      api,
      'three running app pods',
      async () => {
        const p = await appPods();
        return p.length === 3 && running(p) && p;
      },
      60_000,
    );
    for (const pod of pods) expect(nodesBefore.has(pod.spec.nodeName as string)).toBe(true);
    for (const pod of pods) {
      expect(pod.status?.conditions?.some((c) => c.reason === 'Unschedulable')).toBe(false);
    }

    // The used room is bought again: three pods plus two of headroom need a third node.
    await waitForOrExplain(
      api,
      'a third node for the rebuilt headroom',
      async () => (await run.claims()).length > claimsBefore && (await run.nodes()).length === 3,
      120_000,
    );
    // The new node holds no app pod: it is the headroom, and consolidation leaves it.
    await new Promise((r) => setTimeout(r, 20_000));
    expect((await run.nodes()).length).toBe(3);
    const provisioning = (await api.get(Kinds.CapacityBuffer, BUFFER, RUN))?.status?.conditions?.find(
      (c) => c.type === 'Provisioning',
    );
    expect(provisioning).toMatchObject({ status: 'True', reason: 'FitsExistingCapacity' });
  }, 400_000);
});
