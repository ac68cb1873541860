/**
 * Static NodePools (spec.replicas, the StaticCapacity gate) on the embedded simulator: kept at replicas as they
 * are scaled, left alone by provisioning and consolidation, their drifted nodes replaced one for one, and the
 * count exact under a failed create.
 */
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type NodePool } from '../runtime/kube/objects';
import { resolveFaultProfile, type FaultProfileInput } from '../runtime/simulator/faults';
import type { Simulation } from '../runtime/simulator/simulation';
import { STATIC_CAPACITY_DISABLED } from '../runtime/controllers/nodepool/static/controller';
import { APP_NS, applySiblingDeployment, labCluster, podsOn, workshopNodes } from './support/cluster';

jest.setTimeout(60_000);

const STATIC = 'static-pool';

function staticPool(sim: Simulation, replicas: number, edit?: (pool: NodePool) => void): NodePool {
  const lab = sim.api.peek(Kinds.NodePool, 'developers-workshop-pool') as NodePool;
  const pool: NodePool = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: STATIC },
    spec: {
      ...structuredClone(lab.spec),
      template: {
        metadata: { labels: { tier: 'static' } },
        spec: structuredClone(lab.spec.template.spec),
      },
      replicas,
    },
  };
  delete pool.spec.limits;
  edit?.(pool);
  return pool;
}

const staticNodes = (sim: Simulation) =>
  sim.nodes().filter((n) => n.metadata.labels?.['karpenter.sh/nodepool'] === STATIC);
const staticClaims = (sim: Simulation) =>
  sim.api.peekAll(Kinds.NodeClaim).filter((c) => c.metadata.labels?.['karpenter.sh/nodepool'] === STATIC);

async function setReplicas(sim: Simulation, replicas: number): Promise<void> {
  // What `kubectl scale nodepool` does through the scale subresource: spec.replicas changes, nothing else.
  await sim.api.patch(Kinds.NodePool, STATIC, { spec: { replicas } });
  await sim.settle();
}

/** A deployment that only static nodes can host (nodeSelector tier=static). */
async function pinned(sim: Simulation, replicas: number): Promise<void> {
  await applySiblingDeployment(sim, 'pinned', replicas, '500m', (d) => {
    d.spec.template.spec.nodeSelector = { tier: 'static' };
  });
  await sim.settle();
}

describe('static NodePools', () => {
  it('keep replicas nodes as they are scaled; pods land on them; the dynamic pool is untouched', async () => {
    const sim = await labCluster({ replicas: 1, settings: { staticCapacity: true } });
    const dynamic = workshopNodes(sim).map((n) => nameOf(n));
    expect(dynamic).toHaveLength(1);
    await sim.apply([staticPool(sim, 2)]);
    await sim.settle();
    expect(staticNodes(sim)).toHaveLength(2);
    expect(staticNodes(sim).every((n) => n.metadata.labels?.tier === 'static')).toBe(true);

    // Pods that fit run on the static nodes; more than fit stay pending: no static or dynamic node is added.
    await pinned(sim, 12);
    expect(staticNodes(sim)).toHaveLength(2);
    const running = sim.pods().filter((p) => p.metadata.labels?.app === 'pinned' && p.spec.nodeName);
    expect(running.length).toBeGreaterThan(0);
    expect(running.length).toBeLessThan(12);
    expect(workshopNodes(sim).map((n) => nameOf(n))).toEqual(dynamic);

    await setReplicas(sim, 5);
    expect(staticNodes(sim)).toHaveLength(5);
    expect(staticClaims(sim)).toHaveLength(5);

    // A scale-down takes empty nodes first: scale away exactly the empty ones and those are the ones to go.
    await sim.scale('Deployment', APP_NS, 'pinned', 2);
    await sim.settle();
    const empty = staticNodes(sim).filter((n) =>
      podsOn(sim, nameOf(n)).every((p) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet'),
    );
    const busy = staticNodes(sim)
      .filter((n) => !empty.includes(n))
      .map((n) => nameOf(n));
    expect(empty.length).toBeGreaterThan(0);
    await setReplicas(sim, busy.length);
    expect(
      staticNodes(sim)
        .map((n) => nameOf(n))
        .sort(),
    ).toEqual(busy.sort());

    await setReplicas(sim, 0);
    expect(staticNodes(sim)).toHaveLength(0);
    expect(staticClaims(sim)).toHaveLength(0);
    expect(workshopNodes(sim).map((n) => nameOf(n))).toEqual(dynamic);
    expect(sim.api.peek(Kinds.NodePool, STATIC)?.status?.nodes).toBe(0);
    sim.stop();
  });

  it('are not consolidated: an empty static node stays', async () => {
    const sim = await labCluster({ replicas: 0, settings: { staticCapacity: true } });
    await sim.apply([staticPool(sim, 2)]);
    await sim.settle();
    const before = staticNodes(sim)
      .map((n) => nameOf(n))
      .sort();
    await sim.settle({ quietMs: 10 * 60_000 });
    expect(
      staticNodes(sim)
        .map((n) => nameOf(n))
        .sort(),
    ).toEqual(before);
    expect(sim.operator.disruption.explanations.get(before[0] as string)).toMatch(/static/);
    sim.stop();
  });

  it('cannot become dynamic, nor a dynamic pool static (the CRD transition rule)', async () => {
    const sim = await labCluster({ replicas: 0, settings: { staticCapacity: true } });
    await sim.apply([staticPool(sim, 1)]);
    const pool = sim.api.peek(Kinds.NodePool, STATIC) as NodePool;
    delete pool.spec.replicas;
    await expect(sim.api.update(Kinds.NodePool, pool)).rejects.toThrow(
      /Cannot transition NodePool between static/,
    );
    await expect(
      sim.api.patch(Kinds.NodePool, 'developers-workshop-pool', { spec: { replicas: 2, limits: null } }),
    ).rejects.toThrow(/Cannot transition NodePool/);
    // Scaling, the one change a static pool is meant for, is admitted.
    await expect(sim.api.patch(Kinds.NodePool, STATIC, { spec: { replicas: 3 } })).resolves.toBeDefined();
    sim.stop();
  });

  it('stop at limits.nodes', async () => {
    const sim = await labCluster({ replicas: 0, settings: { staticCapacity: true } });
    await sim.apply([staticPool(sim, 5, (p) => (p.spec.limits = { nodes: '3' }))]);
    await sim.settle();
    expect(staticNodes(sim)).toHaveLength(3);
    sim.stop();
  });

  it('replace drifted nodes one for one within the Drifted budget, never more than one extra node', async () => {
    const sim = await labCluster({ replicas: 0, settings: { staticCapacity: true } });
    await sim.apply([staticPool(sim, 3, (p) => (p.spec.disruption.budgets = [{ nodes: '1' }]))]);
    await sim.settle();
    const before = staticNodes(sim).map((n) => nameOf(n));
    let most = 0;
    sim.api.onWrite(() => {
      const live = staticClaims(sim).filter((c) => !c.metadata.deletionTimestamp).length;
      most = Math.max(most, live);
    });
    const pool = sim.api.peek(Kinds.NodePool, STATIC) as NodePool;
    pool.spec.template.metadata = { labels: { tier: 'static', team: 'web' } };
    await sim.api.update(Kinds.NodePool, pool);
    await sim.settle();
    const after = staticNodes(sim);
    expect(after).toHaveLength(3);
    expect(after.every((n) => n.metadata.labels?.team === 'web')).toBe(true);
    expect(after.filter((n) => before.includes(nameOf(n)))).toEqual([]);
    expect(most).toBe(4);
    sim.stop();
  });

  it('replace expired nodes', async () => {
    const sim = await labCluster({ replicas: 0, settings: { staticCapacity: true } });
    await sim.apply([staticPool(sim, 2, (p) => (p.spec.template.spec.expireAfter = '2h'))]);
    await sim.settle();
    const before = staticNodes(sim).map((n) => nameOf(n));
    await sim.settle({ quietMs: 2 * 60 * 60_000 + 60_000, maxMs: 4 * 60 * 60_000 });
    const after = staticNodes(sim).map((n) => nameOf(n));
    expect(after).toHaveLength(2);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    sim.stop();
  });

  it('get no nodes while the StaticCapacity gate is off, and the pool says why', async () => {
    const sim = await labCluster({ replicas: 1 });
    await sim.apply([staticPool(sim, 2)]);
    await sim.settle();
    expect(staticNodes(sim)).toHaveLength(0);
    expect(staticClaims(sim)).toHaveLength(0);
    const warning = sim.api
      .peekAll(Kinds.Event)
      .find((e) => e.reason === 'StaticCapacityDisabled' && e.involvedObject.name === STATIC);
    expect(warning?.message).toBe(STATIC_CAPACITY_DISABLED);
    expect(workshopNodes(sim)).toHaveLength(1);
    sim.stop();
  });
});

describe('static NodePools under faults', () => {
  const once = (input: FaultProfileInput) => resolveFaultProfile({ maxFaults: 1, ...input });

  it.each([
    ['a refused create', { create: { serverError: 1 } }],
    ['a create whose answer was lost', { create: { lostResponse: 1 } }],
  ])('%s mid-way converges to exactly replicas, without duplicates', async (_name, api) => {
    const sim = await labCluster({
      replicas: 0,
      settings: { staticCapacity: true },
      faults: once({ api, kinds: ['NodeClaim'] }),
    });
    let most = 0;
    sim.api.onWrite(() => {
      most = Math.max(most, staticClaims(sim).filter((c) => !c.metadata.deletionTimestamp).length);
    });
    await sim.apply([staticPool(sim, 4)]);
    expect((await sim.settle()).settled).toBe(true);
    expect(Object.values(sim.faults?.snapshot() ?? {})).toEqual([1]);
    expect(staticNodes(sim)).toHaveLength(4);
    expect(most).toBe(4);
    expect(sim.convergence()).toEqual({ leakedInstances: [], duplicateLaunches: [], orphanNodes: [] });
    sim.stop();
  });
});
