/**
 * One integration run's objects on the shared cluster: its namespace, EC2NodeClass and NodePool (named after the
 * run), the listings tests check, and the teardown that lets the still-running operator terminate what it
 * launched before anything else goes, so no finalizer is left behind.
 */
import { createKwokCloudProvider } from '../../../runtime/cloudprovider/kwok';
import type { KubeApi } from '../../../runtime/kube/api';
import { Kinds } from '../../../runtime/kube/kinds';
import { nameOf, type EC2NodeClass, type Node, type NodeClaim } from '../../../runtime/kube/objects';
import { createLogger } from '../../../runtime/logging';
import { Operator, type OperatorSettings } from '../../../runtime/operator';
import { DisposableClock } from './clock';
import { installCrds, waitFor } from './kube';
import { runNodeClass, runNodePool } from './workload';

export interface Run {
  run: string;
  namespace: string;
  claims(): Promise<NodeClaim[]>;
  nodes(): Promise<Node[]>;
}

export async function createRun(
  api: KubeApi,
  run: string,
  nodeClass: EC2NodeClass = runNodeClass(run),
): Promise<Run> {
  await installCrds(api);
  await api.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: run } });
  await api.create(Kinds.EC2NodeClass, nodeClass);
  await api.create(Kinds.NodePool, runNodePool(run));
  const selector = { labelSelector: `karpenter.sh/nodepool=${run}` };
  return {
    run,
    namespace: run,
    claims: async () => (await api.list(Kinds.NodeClaim, selector)).items,
    nodes: async () => (await api.list(Kinds.Node, selector)).items,
  };
}

/**
 * Delete the app and the NodePool, then every claim, and wait (up to `timeoutMs`) while the operator, still
 * running, drains and terminates them; `stopOperator` runs after that, then the node class and namespace go.
 */
export async function tearDownRun(
  api: KubeApi,
  r: Run,
  app: string,
  stopOperator: () => void | Promise<void>,
  timeoutMs = 60_000,
): Promise<void> {
  await api.delete(Kinds.Deployment, app, r.namespace).catch(() => undefined);
  await api.delete(Kinds.NodePool, r.run).catch(() => undefined);
  for (const claim of await r.claims().catch(() => [])) {
    await api.delete(Kinds.NodeClaim, nameOf(claim)).catch(() => undefined);
  }
  await waitFor(
    'the test NodeClaims to be gone',
    async () => (await r.claims()).length === 0,
    timeoutMs,
  ).catch((err: unknown) => console.warn(String(err)));
  await stopOperator();
  await api.delete(Kinds.EC2NodeClass, r.run).catch(() => undefined);
  await api.delete(Kinds.Namespace, r.namespace).catch(() => undefined);
}

/** The production Operator on the test cluster with the kwok cloud provider, started, and its clock. */
export interface KwokOperator {
  operator: Operator;
  /** Disposed after the operator stops, so no controller timer keeps jest alive. */
  clock: DisposableClock;
  /** Stop the operator and dispose of its clock (tearDownRun's stopOperator). */
  stop(): void;
}

export async function startKwokOperator(
  api: KubeApi,
  settings: OperatorSettings = {},
): Promise<KwokOperator> {
  const clock = new DisposableClock();
  const logger = createLogger(process.env.IT_LOG_LEVEL ?? 'error');
  const cloud = await createKwokCloudProvider({ api, clock, logger });
  const operator = new Operator({ api, cloud, clock, logger, settings });
  await operator.start();
  return { operator, clock, stop: () => (operator.stop(), clock.dispose()) };
}
