/**
 * The production Operator on a real control plane with the simulator's fault injector wrapped around its real
 * seams (ClientNodeApi, the kwok provider): a seeded share of API writes fail (409, 500, 429, timeouts, lost
 * answers), watches drop and end with 410, launches lose their answer, and the kube-apiserver is killed once
 * mid-run. It must still converge: every pod running, each NodeClaim with exactly one Node and each Node with
 * one NodeClaim, no disruption taint left on a node that is staying, nothing left behind after the scale-down.
 */
import { createKwokCloudProvider } from '../../runtime/cloudprovider/kwok';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import type { Node, NodeClaim, Pod } from '../../runtime/kube/objects';
import { createLogger } from '../../runtime/logging';
import { Operator } from '../../runtime/operator';
import { injectFaults, parseFaultSpec, type FaultLog } from '../../runtime/simulator/faults';
import { DisposableClock } from './support/clock';
import { clusterApi, describeWithCluster, killAndRestartApiserver, waitFor } from './support/kube';
import { createRun, tearDownRun, type Run } from './support/run';
import { runDeployment } from './support/workload';

const RUN = `ft${Date.now().toString(36)}`;
const NS = RUN;
const APP = 'inflate';
const PROFILE =
  'api.writes=0.08,api.reads=0.02,cloud.create=0.1,cloud.delete=0.1,watch.drop=0.03,watch.gone=0.1,seed=11';

let api: ClientNodeApi;
let operator: Operator;
let clock: DisposableClock;
let faults: FaultLog;
let run: Run;

const claims = (): Promise<NodeClaim[]> => run.claims();
const nodes = (): Promise<Node[]> => run.nodes();

async function pods(): Promise<Pod[]> {
  const { items } = await api.list(Kinds.Pod, { namespace: NS, labelSelector: `app=${APP}` });
  return items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Each claim ↔ exactly one Node, every pod running on one of them, and no stray disruption taint. */
async function converged(replicas: number, expectedClaims: number): Promise<string | undefined> {
  const [cs, ns, ps] = await Promise.all([claims(), nodes(), pods()]);
  if (cs.length !== expectedClaims) return `${cs.length} NodeClaims, ${expectedClaims} needed`;
  if (ps.length !== replicas || ps.some((p) => !p.spec.nodeName || p.status?.phase !== 'Running'))
    return `${ps.filter((p) => p.status?.phase === 'Running').length}/${replicas} pods running`;
  if (cs.some((c) => c.metadata.deletionTimestamp)) return 'a NodeClaim is still terminating';
  const claimed = cs.map((c) => c.status?.providerID).sort();
  const registered = ns.map((n) => n.spec?.providerID).sort();
  if (new Set(claimed).size !== cs.length) return `two claims share an instance: ${claimed.join(', ')}`;
  if (claimed.join() !== registered.join())
    return `claims [${claimed.join(', ')}] vs nodes [${registered.join(', ')}]`;
  if (ns.some((n) => n.spec?.taints?.some((t) => t.key === 'karpenter.sh/disrupted')))
    return 'a staying node is still tainted karpenter.sh/disrupted';
  const names = new Set(ns.map((n) => n.metadata.name));
  if (ps.some((p) => !names.has(p.spec.nodeName))) return 'a pod runs on a node that is not ours';
  return undefined;
}

async function waitConverged(replicas: number, expectedClaims: number, timeoutMs: number): Promise<void> {
  let last: string | undefined;
  await waitFor(
    `convergence at ${replicas} pods`,
    async () => {
      last = await converged(replicas, expectedClaims);
      return last === undefined;
    },
    timeoutMs,
    1000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last: ${last}; faults: ${JSON.stringify(faults.snapshot())}`);
  });
}

describeWithCluster('the operator on a real control plane, under injected faults', () => {
  beforeAll(async () => {
    api = clusterApi();
    run = await createRun(api, RUN);
    clock = new DisposableClock();
    const logger = createLogger(process.env.IT_LOG_LEVEL ?? 'silent');
    const cloud = await createKwokCloudProvider({ api, clock, logger });
    const seams = injectFaults(api, cloud, parseFaultSpec(PROFILE));
    faults = seams.log;
    operator = new Operator({
      api: seams.api,
      cloud: seams.cloud,
      clock,
      logger,
      settings: { batchIdleMs: 1000, batchMaxMs: 5000 },
    });
    await operator.start();
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    await tearDownRun(api, run, APP, () => (operator.stop(), clock.dispose()), 90_000);
  }, 150_000);

  it('provisions through faults and an apiserver restart, then scales down, converging each time', async () => {
    await api.create(Kinds.Deployment, runDeployment(RUN, NS, APP, 6));
    await waitFor('a first NodeClaim', async () => (await claims()).length > 0, 60_000, 200);
    await killAndRestartApiserver(2_000);
    await waitFor('the apiserver to serve again', async () => !!(await api.list(Kinds.Namespace)), 60_000);
    // Two pods of 700m per node: three nodes, not one more.
    await waitConverged(6, 3, 240_000);

    await api.patch(Kinds.Deployment, APP, { spec: { replicas: 2 } }, NS);
    await waitConverged(2, 1, 300_000);
    const injected = faults.snapshot();
    expect(faults.total).toBeGreaterThan(5);
    // The informers went through dropped watches or 410s, and listed again.
    expect((injected['watch.drop'] ?? 0) + (injected['watch.gone'] ?? 0)).toBeGreaterThan(0);
  }, 600_000);
});
