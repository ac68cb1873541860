import { Labels } from '../../sdk/api/well-known';
import { Kinds } from '../kube/kinds';
import type { KubeObject, NodePool, Pod, ReplicaSet } from '../kube/objects';
import { loadSimulation } from './load';
import { renderText, simulateReportSchema } from './report';
import { simulate } from './simulate';
import type { ClusterSnapshot } from './snapshot';

import { APP, labSnapshot, POOL } from '../../tests/support/lab-snapshot';

const poolNodes = (s: ClusterSnapshot) =>
  s.objects
    .filter((o) => o.kind === 'Node' && o.metadata.labels?.[Labels.nodePool] === POOL)
    .map((o) => o.metadata.name)
    .sort();

describe('simulate on a snapshot', () => {
  let nine: ClusterSnapshot;
  beforeAll(async () => {
    nine = await labSnapshot(9);
  }, 60_000);

  it('reads back what was written: time, objects, the workshop nodes', () => {
    expect(nine.takenAt).toBe('2026-01-05T10:04:01.000Z');
    expect(poolNodes(nine)).toHaveLength(2);
    expect(
      nine.objects.filter((o) => o.kind === 'Pod' && o.metadata.name?.startsWith(APP.name)),
    ).toHaveLength(9);
  });

  it('adopts the existing nodes as they are: nothing relaunched, collected or orphaned, no steps', async () => {
    const { sim } = await loadSimulation(nine);
    try {
      await sim.clock.advance(30 * 60_000);
      expect(sim.convergence()).toEqual({ leakedInstances: [], duplicateLaunches: [], orphanNodes: [] });
      expect(sim.cloud.allInstances().map((i) => i.state)).toEqual(['running', 'running']);
      const names = sim
        .nodes()
        .map((n) => n.metadata.name)
        .sort();
      expect(names).toEqual(
        nine.objects
          .filter((o) => o.kind === 'Node')
          .map((o) => o.metadata.name)
          .sort(),
      );
      // The pods are the snapshot's (same uids): the ReplicaSet kept them rather than making new ones.
      const uids = (pods: { metadata: { uid?: string } }[]) => pods.map((p) => p.metadata.uid).sort();
      expect(uids(sim.pods())).toEqual(uids(nine.objects.filter((o) => o.kind === 'Pod')));
    } finally {
      sim.stop();
    }
    const report = await simulate(nine, { durationMinutes: 30 });
    expect(report.steps).toEqual([]);
    expect(report.after.dollarsPerHour).toBe(report.before.dollarsPerHour);
    expect(report.nodes.filter((n) => n.launched)).toEqual([]);
  }, 60_000);

  it('keeps a ReplicaSet named by the controller-manager: the Deployment adopts it, no rollout', async () => {
    const renamed = structuredClone(nine);
    const rs = renamed.objects.find(
      (o) => o.kind === 'ReplicaSet' && o.metadata.namespace === APP.namespace,
    ) as ReplicaSet;
    const oldName = rs.metadata.name as string;
    const oldHash = rs.metadata.labels?.['pod-template-hash'] as string;
    const newHash = '5d8f7c9b6x';
    const swap = (labels: Record<string, string> | undefined) => {
      if (labels?.['pod-template-hash'] === oldHash) labels['pod-template-hash'] = newHash;
    };
    rs.metadata.name = `${APP.name}-${newHash}`;
    swap(rs.metadata.labels);
    swap(rs.spec.selector.matchLabels);
    swap(rs.spec.template.metadata?.labels);
    for (const p of renamed.objects.filter((o) => o.kind === 'Pod') as Pod[]) {
      swap(p.metadata.labels);
      for (const ref of p.metadata.ownerReferences ?? [])
        if (ref.name === oldName) ref.name = rs.metadata.name;
    }
    const { sim } = await loadSimulation(renamed);
    try {
      await sim.clock.advance(10 * 60_000);
      const sets = sim.api.peekAll(Kinds.ReplicaSet).filter((r) => r.metadata.namespace === APP.namespace);
      expect(sets.map((r) => r.metadata.name)).toEqual([rs.metadata.name]);
      expect(sim.pods().filter((p) => p.metadata.name?.startsWith(APP.name))).toHaveLength(9);
    } finally {
      sim.stop();
    }
  }, 60_000);

  it('--scale down: reports the consolidation step by step, with the cost before and after', async () => {
    const report = await simulate(nine, {
      durationMinutes: 60,
      scale: [{ namespace: APP.namespace, name: APP.name, replicas: 1 }],
    });
    const disrupted = report.steps.filter((s) => s.action === 'disrupt');
    expect(disrupted.length).toBeGreaterThan(0);
    expect(
      disrupted.flatMap((s) => s.nodes.map((n) => n.name)).every((n) => poolNodes(nine).includes(n)),
    ).toBe(true);
    expect(['Empty', 'Underutilized']).toContain(disrupted[0]?.reason);
    expect(report.after.nodes).toBe(report.before.nodes - 1);
    expect(report.after.dollarsPerHour).toBeLessThan(report.before.dollarsPerHour);
    const saved = report.steps.reduce((s, x) => s + x.dollarsPerHourChange, 0);
    expect(report.after.dollarsPerHour - report.before.dollarsPerHour).toBeCloseTo(saved, 3);
    expect(report.samples).toHaveLength(61);
    expect(report.samples[60]?.nodes).toBe(report.after.nodes);
    expect(renderText(report)).toContain(`--scale ${APP.namespace}/${APP.name}=1`);
  }, 60_000);

  it('--scale up: provisioning launches for the pending pods', async () => {
    const report = await simulate(nine, {
      durationMinutes: 30,
      scale: [{ namespace: APP.namespace, name: APP.name, replicas: 20 }],
    });
    const launches = report.steps.filter((s) => s.action === 'launch');
    expect(launches.length).toBeGreaterThan(0);
    expect(launches.flatMap((s) => s.nodes).every((n) => n.instanceType === 't3a.medium')).toBe(true);
    expect(launches.reduce((s, l) => s + l.pods, 0)).toBeGreaterThan(0);
    expect(Math.max(...report.samples.map((s) => s.pendingPods))).toBeGreaterThan(0);
    expect(report.pending).toEqual([]);
    expect(report.after.nodes).toBeGreaterThan(report.before.nodes);
  }, 60_000);

  it('--set a NodePool: the existing nodes drift and are replaced by what the new pool allows', async () => {
    const pool = structuredClone(nine.objects.find((o) => o.kind === 'NodePool')) as NodePool;
    pool.spec.template.spec.requirements = pool.spec.template.spec.requirements.map((r) =>
      r.key === Labels.instanceType ? { ...r, values: ['t3a.large'] } : r,
    );
    const report = await simulate(nine, { durationMinutes: 120, set: [pool as KubeObject] });
    const drifted = report.steps.filter((s) => s.action === 'disrupt' && s.reason === 'Drifted');
    expect(drifted.flatMap((s) => s.nodes.map((n) => n.name)).sort()).toEqual(poolNodes(nine));
    const poolAtEnd = report.nodes.filter((n) => n.nodePool === POOL);
    expect(poolAtEnd.length).toBeGreaterThan(0);
    expect(poolAtEnd.every((n) => n.instanceType === 't3a.large' && n.launched)).toBe(true);
    expect(report.whatIf.set).toEqual([`NodePool/${POOL}`]);
  }, 60_000);

  it('the JSON report has the documented shape', async () => {
    const report = await simulate(nine, {
      durationMinutes: 20,
      scale: [{ namespace: APP.namespace, name: APP.name, replicas: 1 }],
    });
    const parsed = simulateReportSchema.safeParse(JSON.parse(JSON.stringify(report)));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const kept = report.nodes.find((n) => n.nodePool === POOL);
    expect(kept?.why.some((w) => w.startsWith('NodePool developers-workshop-pool'))).toBe(true);
    expect(report.nodes.find((n) => n.nodePool === null)?.why[0]).toContain('not managed by karpenter-ts');
  }, 60_000);
});

describe('simulate over hours of cluster time', () => {
  it('reports expirations when expireAfter passes within the run', async () => {
    const snap = await labSnapshot(3, (p) => {
      p.spec.template.spec.expireAfter = '2h';
    });
    const report = await simulate(snap, { durationMinutes: 180 });
    const expired = report.steps.filter((s) => s.action === 'expire');
    expect(expired.map((s) => s.nodes[0]?.name).sort()).toEqual(poolNodes(snap));
    for (const s of expired) expect(s.minute).toBeLessThanOrEqual(120);
    // The pods went somewhere: provisioning launched again after the expiry.
    expect(report.steps.some((s) => s.action === 'launch' && s.minute >= (expired[0]?.minute ?? 0))).toBe(
      true,
    );
    expect(report.pending).toEqual([]);
  }, 60_000);
});
