/**
 * A Deployment scaled down: with pod deletion costs (controllers/deletion-cost) its ReplicaSet gives up the pods
 * of the newest nodes first, so whole nodes empty and go without an eviction; and consolidation never moves the
 * pods of a node the scale-down left untouched onto the nodes it just emptied.
 */
import { Kinds } from '../runtime/kube/kinds';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

jest.setTimeout(120_000);

/** 24 lab pods fill three t3a.medium nodes (8 × 200m each); then down to 8, one node's worth. */
async function scaleDown(podDeletionCost: boolean): Promise<{ sim: Simulation; evictions: number }> {
  const sim = await labCluster({
    replicas: 24,
    // Long enough that the emptied nodes are still waiting when the untouched one is already consolidatable.
    editPool: (pool) => {
      pool.spec.disruption.consolidateAfter = '30s';
    },
    settings: { podDeletionCost },
  });
  expect(workshopNodes(sim)).toHaveLength(3);
  let evictions = 0;
  const evict = sim.api.evict.bind(sim.api);
  sim.api.evict = async (name, namespace) => {
    await evict(name, namespace);
    evictions++;
  };
  await sim.scale('Deployment', APP_NS, APP, 8);
  await sim.settle({ quietMs: 120_000 });
  return { sim, evictions };
}

describe('scale-down', () => {
  it('empties whole nodes: one node left and not one eviction', async () => {
    const { sim, evictions } = await scaleDown(true);
    expect(workshopNodes(sim)).toHaveLength(1);
    expect(evictions).toBe(0);
    expect(
      sim.pods().filter((p) => p.metadata.namespace === APP_NS && p.status?.phase === 'Running'),
    ).toHaveLength(8);
    // The pods left are the ReplicaSet's keep tier (its node of highest cost): never written, so still at the
    // 0 every pod has, above the negative costs of the pods it gave up.
    const left = sim.pods().filter((p) => p.metadata.namespace === APP_NS);
    expect(new Set(left.map((p) => p.spec.nodeName)).size).toBe(1);
    expect(
      left.every((p) => p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] === undefined),
    ).toBe(true);
    sim.stop();
  });

  it('without deletion costs the ReplicaSet spreads its deletions and consolidation has to evict', async () => {
    const { sim, evictions } = await scaleDown(false);
    expect(workshopNodes(sim)).toHaveLength(1);
    expect(evictions).toBeGreaterThan(0);
    expect(
      sim.api
        .peekAll(Kinds.Pod)
        .some((p) => p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost']),
    ).toBe(false);
    sim.stop();
  });
});
