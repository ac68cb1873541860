/**
 * Interruption on the embedded simulator: the simulated cloud sends the notices EC2 would, and the interruption
 * controller drains and replaces the node before the instance is reclaimed.
 */
import { Labels } from '../sdk/api/well-known';
import { Kinds } from '../runtime/kube/kinds';
import { nameOf, type Node } from '../runtime/kube/objects';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP_NS, labCluster, podsOn, workshopNodes } from './support/cluster';

/** The lab cluster on spot capacity. */
async function spotLab(replicas: number) {
  const sim = await labCluster({
    replicas,
    editPool: (pool) => {
      const ct = pool.spec.template.spec.requirements.find((r) => r.key === Labels.capacityType);
      if (!ct) throw new Error('the lab NodePool has no capacity-type requirement');
      ct.values = ['spot'];
    },
  });
  // The simulation wires the operator's interruption controller to the simulated cloud's notices.
  const controller = sim.operator.interruption;
  if (!controller) throw new Error('the simulation runs no interruption controller');
  return { sim, controller };
}

function offering(node: Node): string {
  const l = node.metadata.labels ?? {};
  return `${l[Labels.instanceType]}/${l[Labels.zone]}/${l[Labels.capacityType]}`;
}

function appPods(sim: Simulation) {
  return sim.pods().filter((p) => p.metadata.namespace === APP_NS);
}

function eventsFor(sim: Simulation, kind: string, name: string): string[] {
  return sim.api
    .peekAll(Kinds.Event)
    .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name)
    .map((e) => e.reason as string);
}

describe('interruption', () => {
  it('drains and replaces an interrupted spot node, on an offering other than the interrupted one', async () => {
    const { sim, controller } = await spotLab(2);
    const [victim, ...others] = workshopNodes(sim);
    if (!victim) throw new Error('the lab started no node');
    expect(others).toEqual([]);
    expect(victim.metadata.labels?.[Labels.capacityType]).toBe('spot');
    expect(podsOn(sim, nameOf(victim)).filter((p) => p.metadata.namespace === APP_NS)).toHaveLength(2);
    const claim = sim.operator.state.nodeClaimForNode(victim);
    if (!claim) throw new Error('the lab node has no NodeClaim');

    sim.cloud.interrupt(victim.spec?.providerID as string);
    const { settled } = await sim.settle({ maxMs: 15 * 60_000 });
    expect(settled).toBe(true);

    // Drained and gone: Node, NodeClaim and instance.
    expect(sim.api.peek(Kinds.Node, nameOf(victim))).toBeUndefined();
    expect(sim.api.peek(Kinds.NodeClaim, nameOf(claim))).toBeUndefined();
    const instance = sim.cloud.allInstances().find((i) => i.providerID === victim.spec?.providerID);
    expect(instance?.state).toBe('terminated');

    // Replaced, and not on the offering that was just interrupted.
    const replacements = workshopNodes(sim);
    expect(replacements).toHaveLength(1);
    const [replacement] = replacements as [Node];
    expect(offering(replacement)).not.toBe(offering(victim));
    expect(replacement.metadata.labels?.[Labels.capacityType]).toBe('spot');

    // The pods were evicted and rescheduled onto the replacement.
    const pods = appPods(sim);
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
    expect(pods.map((p) => p.spec.nodeName)).toEqual([replacement.metadata.name, replacement.metadata.name]);

    // Karpenter's event reasons, on both objects.
    for (const [kind, name] of [
      ['Node', victim.metadata.name],
      ['NodeClaim', claim.metadata.name],
    ] as const) {
      expect(eventsFor(sim, kind, name as string)).toEqual(
        expect.arrayContaining(['SpotInterrupted', 'TerminatingOnInterruption']),
      );
    }
    expect(controller.stats).toMatchObject({
      received: { spotInterruption: 1 },
      deleted: 1,
      nodeClaimsDeleted: 1,
      offeringsMarkedUnavailable: 1,
    });
    expect(sim.cloud.interruptions.depth + sim.cloud.interruptions.inFlightCount).toBe(0);
    await controller.stop();
    sim.stop();
  });

  it('keeps a node that only got a rebalance recommendation', async () => {
    const { sim, controller } = await spotLab(1);
    const [node] = workshopNodes(sim);
    if (!node) throw new Error('the lab started no node');
    sim.cloud.interrupt(node.spec?.providerID as string, 'rebalanceRecommendation');
    await sim.settle();
    expect(workshopNodes(sim).map((n) => n.metadata.name)).toEqual([node.metadata.name]);
    expect(eventsFor(sim, 'Node', nameOf(node))).toContain('SpotRebalanceRecommendation');
    expect(controller.stats.nodeClaimsDeleted).toBe(0);
    await controller.stop();
    sim.stop();
  });

  it('refuses to send a spot interruption for an on-demand instance', async () => {
    const sim = await labCluster({ replicas: 1 });
    const [node] = workshopNodes(sim);
    expect(() => sim.cloud.interrupt(node?.spec?.providerID as string)).toThrow(/on-demand/);
    sim.stop();
  });
});
