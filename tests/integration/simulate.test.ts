/**
 * `karpenter-ts simulate` against a real control plane: the snapshot is taken through the production KubeApi
 * (list calls only: every other call is counted and must stay at zero), saved, loaded into the simulator with the
 * run's kwok nodes adopted as they are, and a --scale what-if reports the consolidation the operator would make,
 * while the cluster itself keeps its nodes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeApi } from '../../runtime/kube/api';
import type { ClientNodeApi } from '../../runtime/kube/client-node';
import { Kinds } from '../../runtime/kube/kinds';
import { simulateCommand } from '../../runtime/simulate/command';
import { simulateReportSchema } from '../../runtime/simulate/report';
import { loadSnapshot } from '../../runtime/simulate/snapshot';
import { clusterApi, describeWithCluster, waitFor } from './support/kube';
import { createRun, startKwokOperator, tearDownRun, type KwokOperator, type Run } from './support/run';
import { runDeployment } from './support/workload';

const RUN = `sim${Date.now().toString(36)}`;
const APP = 'inflate';

let api: ClientNodeApi;
let operator: KwokOperator;
let run: Run;

/** A second client for the snapshot, counting every call that is not a list. */
function countingApi(writes: string[]): KubeApi {
  const snapshotApi = clusterApi();
  return new Proxy(snapshotApi, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop !== 'list') writes.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as KubeApi;
}

describeWithCluster('simulate on a real control plane (kwok nodes)', () => {
  beforeAll(async () => {
    api = clusterApi();
    run = await createRun(api, RUN);
    operator = await startKwokOperator(api, { batchIdleMs: 1000, batchMaxMs: 5000 });
  }, 120_000);

  afterAll(async () => {
    if (!operator) return;
    await tearDownRun(api, run, APP, operator.stop);
  }, 120_000);

  it('snapshots with list calls only and reports the consolidation a scale-down would bring', async () => {
    // Four 700m pods, two per t3a.medium: two nodes of the run's pool.
    await api.create(Kinds.Deployment, runDeployment(RUN, RUN, APP, 4));
    await waitFor(
      'four running pods on two nodes of the run',
      async () => {
        const pods = (await api.list(Kinds.Pod, { namespace: RUN })).items;
        const nodes = await run.nodes();
        return pods.length === 4 && pods.every((p) => p.status?.phase === 'Running') && nodes.length === 2;
      },
      120_000,
    );
    const before = (await run.nodes()).map((n) => n.metadata.name).sort();
    const writes: string[] = [];
    const saved = join(mkdtempSync(join(tmpdir(), 'simulate-it-')), 'snapshot.yaml');
    let out = '';
    await simulateCommand(
      {
        save: saved,
        duration: '60m',
        set: [],
        scale: [`${RUN}/${APP}=1`],
        output: 'json',
        logLevel: 'silent',
      },
      { write: (t) => (out += t), api: async () => countingApi(writes) },
    );
    expect(writes).toEqual([]);
    const report = simulateReportSchema.parse(JSON.parse(out));
    expect(report.snapshot.nodePools).toContain(RUN);
    const removed = report.steps
      .filter((s) => s.action === 'disrupt')
      .flatMap((s) => s.nodes.filter((n) => n.nodePool === RUN).map((n) => n.name));
    expect(removed).toHaveLength(1);
    expect(before).toContain(removed[0]);
    expect(report.nodes.filter((n) => n.nodePool === RUN).map((n) => n.name)).toEqual(
      before.filter((n) => n !== removed[0]),
    );
    // The saved snapshot reads back with the run's objects.
    const snap = loadSnapshot(saved, 0);
    expect(
      snap.objects.filter(
        (o) => o.kind === 'NodeClaim' && o.metadata.labels?.['karpenter.sh/nodepool'] === RUN,
      ),
    ).toHaveLength(2);
    // The cluster was not touched: both nodes and all four pods are still there.
    expect((await run.nodes()).map((n) => n.metadata.name).sort()).toEqual(before);
    expect((await api.list(Kinds.Pod, { namespace: RUN })).items).toHaveLength(4);
  }, 300_000);
});
