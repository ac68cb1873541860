/** Garbage collection on the embedded simulator: leaked instances and NodeClaims whose instance vanished. */
import { GC_INTERVAL_MS } from '../runtime/controllers/nodeclaim/garbagecollection/controller';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf } from '../runtime/kube/objects';
import { nodeClaimsDisruptedTotal, podsDisruptionInitiatedTotal, registry } from '../runtime/metrics';
import { APP_NS, labCluster, workshopNodes } from './support/cluster';
import { series } from './support/metrics';

describe('garbage collection', () => {
  it('terminates an instance no NodeClaim owns, and leaves owned ones alone', async () => {
    // No consolidation: the orphan's node joins the cluster and would otherwise attract the app's pod.
    const sim = await labCluster({
      replicas: 1,
      editPool: (pool) => {
        pool.spec.disruption.consolidateAfter = 'Never';
      },
    });
    const owned = sim.api.peekAll(Kinds.NodeClaim)[0];
    if (!owned) throw new Error('no nodeclaim');
    // A launch whose NodeClaim never made it into the cluster (say, the controller crashed after CreateFleet).
    const orphan = structuredClone(owned);
    orphan.metadata = { name: 'never-recorded', labels: owned.metadata.labels ?? {} };
    delete orphan.status;
    const leaked = await sim.cloud.create(orphan);
    // Two passes: the first may come while the orphan is still within its grace period.
    await sim.clock.advance(2 * GC_INTERVAL_MS);
    const state = (id?: string) => sim.cloud.allInstances().find((i) => i.providerID === id)?.state;
    expect(state(leaked.status?.providerID)).toBe('terminated');
    expect(state(owned.status?.providerID)).toBe('running');
    sim.stop();
  });

  it('deletes a NodeClaim whose instance was terminated outside the controller, and replaces the node', async () => {
    registry.resetMetrics();
    const sim = await labCluster({ replicas: 1 });
    const claim = sim.api.peekAll(Kinds.NodeClaim)[0];
    const [node] = workshopNodes(sim);
    if (!claim || !node) throw new Error('no nodeclaim');
    await sim.cloud.delete(claim);
    // Nothing in the cluster changes until the next collection pass notices, so wait for one before settling.
    await sim.clock.advance(GC_INTERVAL_MS);
    await sim.settle({ maxMs: 10 * 60_000 });
    expect(sim.api.peek(Kinds.NodeClaim, nameOf(claim))).toBeUndefined();
    expect(sim.api.peek(Kinds.Node, nameOf(node))).toBeUndefined();
    expect(
      sim.api
        .peekAll(Kinds.Event)
        .some((e) => e.reason === 'InstanceNotFound' && e.involvedObject.name === claim.metadata.name),
    ).toBe(true);
    // The app's pod found a home on a new node.
    expect(workshopNodes(sim)).toHaveLength(1);
    expect(sim.pods().filter((p) => p.metadata.namespace === APP_NS && p.spec.nodeName)).toHaveLength(1);
    // Counted as garbage collected, with the app pod it left without a node.
    const collected = await series(nodeClaimsDisruptedTotal, { reason: 'garbage_collected' });
    expect(collected.map((s) => s.value)).toEqual([1]);
    expect(await series(podsDisruptionInitiatedTotal, { reason: 'garbage_collected' })).toEqual([
      { labels: collected[0]?.labels, value: 1 },
    ]);
    sim.stop();
  });
});
