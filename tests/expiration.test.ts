/** Expiration on the embedded simulator: nodes are replaced once expireAfter passes, even with a zero budget. */
import { Kinds } from '../runtime/kube/kinds';
import {
  nodeClaimsDisruptedTotal,
  podsDisruptionInitiatedTotal,
  podsDrainedTotal,
  registry,
} from '../runtime/metrics';
import { APP_NS, labCluster, workshopNodes } from './support/cluster';
import { series } from './support/metrics';

describe('expiration', () => {
  it('replaces a node after expireAfter, whatever the disruption budget', async () => {
    registry.resetMetrics();
    const sim = await labCluster({
      replicas: 1,
      editPool: (pool) => {
        pool.spec.template.spec.expireAfter = '1h';
        pool.spec.disruption.budgets = [{ nodes: '0' }];
      },
    });
    const [first] = workshopNodes(sim).map((n) => n.metadata.name);
    await sim.clock.advance(30 * 60_000);
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toEqual([first]);
    await sim.clock.advance(31 * 60_000);
    await sim.settle();
    const after = workshopNodes(sim).map((n) => n.metadata.name);
    expect(after).toHaveLength(1);
    expect(after).not.toContain(first);
    expect(
      sim.pods().filter((p) => p.metadata.namespace === APP_NS && p.status?.phase === 'Running'),
    ).toHaveLength(1);
    expect(
      sim.api
        .peekAll(Kinds.Event)
        .some((e) => e.reason === 'Expired' && e.message === 'NodeClaim expired after 1h'),
    ).toBe(true);
    // Counted as upstream counts an expiry: no consolidation policy, its one app pod, drained forcefully.
    const expired = await series(nodeClaimsDisruptedTotal, { reason: 'expired' });
    expect(expired).toEqual([
      {
        labels: expect.objectContaining({
          nodepool: 'developers-workshop-pool',
          consolidation_policy: '',
          termination_mode: 'graceful',
        }),
        value: 1,
      },
    ]);
    expect(await series(podsDisruptionInitiatedTotal, expired[0]?.labels)).toEqual([
      { labels: expired[0]?.labels, value: 1 },
    ]);
    expect(await series(podsDrainedTotal)).toEqual([
      { labels: { reason: 'Forceful Termination' }, value: 1 },
    ]);
    sim.stop();
  });

  it('never expires a node whose NodePool says Never', async () => {
    const sim = await labCluster({
      replicas: 1,
      editPool: (pool) => {
        pool.spec.template.spec.expireAfter = 'Never';
      },
    });
    const before = workshopNodes(sim).map((n) => n.metadata.name);
    // Twice the lifetime that expired a node in the test above.
    await sim.clock.advance(2 * 3_600_000);
    await sim.settle();
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toEqual(before);
    sim.stop();
  });
});
