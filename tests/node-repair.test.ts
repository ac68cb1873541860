/**
 * Node repair (NodeRepair gate) on the embedded simulator: a node whose kubelet reports Ready=False is replaced once
 * the AWS policy's 30 min toleration has passed, and not while more than 20% of its NodePool is unhealthy.
 */
import { Kinds } from '../runtime/kube/kinds';
import { nameOf } from '../runtime/kube/objects';
import { nodeClaimsDisruptedTotal, nodeClaimsUnhealthyDisruptedTotal, registry } from '../runtime/metrics';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';
import { series } from './support/metrics';

const MIN = 60_000;

/** Three full t3a.medium nodes (8 pods each). */
async function threeNodes(nodeRepair: boolean): Promise<Simulation> {
  const sim = await labCluster({ replicas: 1, settings: { nodeRepair } });
  await sim.scale('Deployment', APP_NS, APP, 24);
  await sim.settle();
  expect(workshopNodes(sim)).toHaveLength(3);
  registry.resetMetrics();
  return sim;
}

const names = (sim: Simulation) => workshopNodes(sim).map((n) => nameOf(n));

describe('node repair', () => {
  it('replaces a node whose Ready condition has been False for 30 minutes', async () => {
    const sim = await threeNodes(true);
    const [sick] = names(sim) as [string];
    await sim.cloud.setNodeCondition(sick, 'Ready', 'False', 'KubeletNotReady');
    await sim.clock.advance(29 * MIN);
    expect(names(sim)).toContain(sick);
    await sim.clock.advance(2 * MIN);
    await sim.settle();
    expect(names(sim)).not.toContain(sick);
    expect(workshopNodes(sim)).toHaveLength(3);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    // Its pods fit nowhere else, so its replacement launched first, as upstream's repair method does.
    const events = sim.api.peekAll(Kinds.Event);
    expect(
      events.find((e) => e.involvedObject.name === sick && e.reason === 'DisruptionTerminating')?.message,
    ).toMatch(/^Disrupting Node: Unhealthy\/replacing with /);
    expect(events.filter((e) => e.reason === 'DisruptionLaunching').map((e) => e.message)).toEqual([
      'Launching NodeClaim: Unhealthy',
    ]);
    expect(await series(nodeClaimsDisruptedTotal)).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ reason: 'unhealthy' }), value: 1 }),
    ]);
    expect(await series(nodeClaimsUnhealthyDisruptedTotal)).toEqual([
      expect.objectContaining({
        labels: expect.objectContaining({ condition: 'ready', termination_mode: 'graceful' }),
        value: 1,
      }),
    ]);
    sim.stop();
  });

  it('holds repair while more than 20% of the NodePool is unhealthy, and says so', async () => {
    const sim = await threeNodes(true);
    const [a, b] = names(sim) as [string, string];
    // 2 of 3 nodes: over ceil(20% × 3) = 1.
    await sim.cloud.setNodeCondition(a, 'Ready', 'False', 'KubeletNotReady');
    await sim.cloud.setNodeCondition(b, 'Ready', 'Unknown', 'NodeStatusUnknown');
    await sim.clock.advance(40 * MIN);
    expect(names(sim)).toEqual(expect.arrayContaining([a, b]));
    expect(workshopNodes(sim)).toHaveLength(3);
    const blocked = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.reason === 'NodeRepairBlocked')
      .map((e) => [e.involvedObject.name, e.message]);
    expect(blocked).toEqual(
      expect.arrayContaining([
        [a, 'more than 20% of nodes in nodepool "developers-workshop-pool" are unhealthy'],
        [b, 'more than 20% of nodes in nodepool "developers-workshop-pool" are unhealthy'],
      ]),
    );
    // One recovers: the other is repaired.
    await sim.cloud.setNodeCondition(b, 'Ready', 'True', 'KubeletReady');
    await sim.clock.advance(MIN);
    await sim.settle();
    expect(names(sim)).not.toContain(a);
    expect(names(sim)).toContain(b);
    sim.stop();
  });

  it('plans the replacement within the cluster-wide caps, as any launch: at CLUSTER_MAX_NODES it waits', async () => {
    const plain = await threeNodes(true);
    const claims = plain.api.peekAll(Kinds.NodeClaim).length;
    plain.stop();
    // The cap is the cluster as it is: a replacement launched first would be one node over it.
    const sim = await labCluster({ replicas: 1, settings: { nodeRepair: true, clusterMaxNodes: claims } });
    await sim.scale('Deployment', APP_NS, APP, 24);
    await sim.settle();
    const [sick] = names(sim) as [string];
    await sim.cloud.setNodeCondition(sick, 'Ready', 'False', 'KubeletNotReady');
    await sim.clock.advance(40 * MIN);
    expect(names(sim)).toContain(sick);
    expect(sim.api.peekAll(Kinds.NodeClaim)).toHaveLength(claims);
    const blocked = sim.api
      .peekAll(Kinds.Event)
      .filter((e) => e.involvedObject.name === sick && e.reason === 'DisruptionBlocked')
      .map((e) => e.message);
    expect(blocked.join('\n')).toMatch(
      /^repair cannot launch a replacement first: 8 pod\(s\) could not be rescheduled/m,
    );
    sim.stop();
  });

  it('does nothing with the NodeRepair gate off', async () => {
    const sim = await threeNodes(false);
    const [sick] = names(sim) as [string];
    await sim.cloud.setNodeCondition(sick, 'Ready', 'False', 'KubeletNotReady');
    await sim.clock.advance(60 * MIN);
    expect(names(sim)).toContain(sick);
    sim.stop();
  });
});
