/**
 * Consolidation that holds when the kube-scheduler, not our simulation, places the evicted pods: the simulation
 * packs largest first, the kube-scheduler spreads pods onto the least allocated node, and a decision that only
 * fits one way would be undone by a launch and made again, forever.
 */
import { Kinds } from '../runtime/kube/kinds';
import type { Pod } from '../runtime/kube/objects';
import { fromResourceList } from '../runtime/scheduling/resources';
import type { Simulation } from '../runtime/simulator/simulation';
import { applySiblingDeployment, labCluster, workshopNodes } from './support/cluster';

jest.setTimeout(120_000);

/** A pod bound straight to a node, using up its CPU so that `freeMillis` is left. */
async function fillTo(sim: Simulation, nodeName: string, freeMillis: number): Promise<void> {
  const node = sim.api.peek(Kinds.Node, nodeName);
  const allocatable = fromResourceList(node?.status?.allocatable).cpu ?? 0;
  const filler: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `filler-${nodeName}`, namespace: 'default' },
    spec: {
      nodeName,
      containers: [{ name: 'c', resources: { requests: { cpu: `${allocatable - freeMillis}m` } } }],
    },
  };
  await sim.api.create(Kinds.Pod, filler);
}

async function fragmentedCluster(): Promise<{ sim: Simulation; claim: string; node: string }> {
  const sim = await labCluster({ replicas: 0 });
  // One workshop node running a 600m pod and four 250m pods.
  await applySiblingDeployment(sim, 'big', 1, '600m');
  await applySiblingDeployment(sim, 'small', 4, '250m');
  await sim.settle();
  expect(workshopNodes(sim)).toHaveLength(1);
  const claim = sim.api.peekAll(Kinds.NodeClaim)[0]?.metadata.uid as string;
  const node = workshopNodes(sim)[0]?.metadata.name as string;
  // Two other nodes the pods may move to, with 650m and 1000m free: largest-first packing fits all five pods
  // (600m on the first, 4 × 250m on the second); spread onto the least allocated node, the last finds no room.
  for (const [name, free] of [
    ['static-a', 650],
    ['static-b', 1000],
  ] as const) {
    await sim.addStaticNode({
      name,
      instanceType: 't3a.medium',
      zone: 'us-east-1a',
      labels: { 'workload-type': 'developers-workshop' },
    });
    await fillTo(sim, name, free);
  }
  await sim.settle();
  return { sim, claim, node };
}

describe('consolidation stability', () => {
  it('does not consolidate a node whose pods fit only if packed largest first, and says why', async () => {
    const { sim, claim, node } = await fragmentedCluster();
    const seen = new Set<string>();
    for (let minute = 0; minute <= 60; minute++) {
      for (const c of sim.api.peekAll(Kinds.NodeClaim)) seen.add(c.metadata.uid as string);
      await sim.clock.advance(60_000);
    }
    // The same node and claim throughout: nothing deleted, nothing launched to take its pods back.
    expect([...seen]).toEqual([claim]);
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toEqual([node]);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toEqual([]);
    expect(sim.operator.disruption.explanations.get(node)).toMatch(
      /the kube-scheduler, placing the moved pods .* would leave .* without room, undoing the consolidation/,
    );
    sim.stop();
  });

  it('still consolidates when the pods fit however they are placed', async () => {
    const { sim } = await fragmentedCluster();
    // Room for everything on one node in any order.
    await sim.api.delete(Kinds.Pod, 'filler-static-b', 'default');
    await sim.settle();
    expect(workshopNodes(sim)).toEqual([]);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toEqual([]);
    sim.stop();
  });
});
