/**
 * NodeOverlay scenarios on the embedded simulator (issue 22: "show how a discount changes which instances are
 * chosen"): a NodePool that may use c5 or m5, where c5 is cheaper per node at list price, and an overlay that
 * discounts m5 (a savings plan, say) enough to make it the cheaper family.
 */
import type { NodeOverlayInput } from '../sdk/api/nodeoverlay';
import { Kinds } from '../runtime/kube/kinds';
import type { NodeOverlay, NodePool } from '../runtime/kube/objects';
import type { Simulation } from '../runtime/simulator/simulation';
import { APP, APP_NS, labCluster, workshopNodes } from './support/cluster';

const FAMILY = 'karpenter.k8s.aws/instance-family';

function overlay(name: string, spec: NodeOverlayInput['spec']): NodeOverlay {
  return {
    apiVersion: 'karpenter.sh/v1alpha1',
    kind: 'NodeOverlay',
    metadata: { name },
    spec,
  } as NodeOverlay;
}
const m5Discount = (priceAdjustment = '-30%') =>
  overlay('m5-savings-plan', {
    requirements: [{ key: FAMILY, operator: 'In', values: ['m5'] }],
    priceAdjustment,
  });

const c5OrM5 = (pool: NodePool) => {
  pool.spec.template.spec.requirements = [
    { key: FAMILY, operator: 'In', values: ['c5', 'm5'] },
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
  ];
};

async function cluster(nodeOverlay: boolean): Promise<Simulation> {
  return labCluster({ replicas: 0, editPool: c5OrM5, settings: { nodeOverlay } });
}

const families = (sim: Simulation) =>
  [...new Set(workshopNodes(sim).map((n) => n.metadata.labels?.[FAMILY]))].sort();

const condition = (sim: Simulation, name: string, type: string) =>
  sim.api.peek(Kinds.NodeOverlay, name)?.status?.conditions?.find((c) => c.type === type);

describe('NodeOverlay', () => {
  it('a discount on one family changes which instances are chosen', async () => {
    const baseline = await cluster(true);
    await baseline.scale('Deployment', APP_NS, APP, 12);
    await baseline.settle();
    expect(families(baseline)).toEqual(['c5']);
    baseline.stop();

    const sim = await cluster(true);
    await sim.apply([m5Discount()]);
    await sim.settle();
    expect(condition(sim, 'm5-savings-plan', 'ValidationSucceeded')).toMatchObject({ status: 'True' });
    expect(condition(sim, 'm5-savings-plan', 'Ready')).toMatchObject({ status: 'True' });
    await sim.scale('Deployment', APP_NS, APP, 12);
    await sim.settle();
    expect(families(sim)).toEqual(['m5']);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    // Claims say an overlay priced them, as upstream's; the cloud still charges its own price.
    const claims = sim.api.peekAll(Kinds.NodeClaim);
    expect(
      claims.every((c) => c.metadata.annotations?.['karpenter.sh/price-overlay-applied'] === 'true'),
    ).toBe(true);
    for (const i of sim.cloud.allInstances())
      expect(i.price).toBe(sim.priceOf(i.instanceType, 'on-demand', i.zone));
    sim.stop();
  });

  it('a discount applied to a running cluster is consolidated onto: the savings use the overlaid prices', async () => {
    const sim = await cluster(true);
    await sim.scale('Deployment', APP_NS, APP, 12);
    await sim.settle();
    expect(families(sim)).toEqual(['c5']);
    await sim.apply([m5Discount('-50%')]);
    await sim.settle();
    expect(families(sim)).toEqual(['m5']);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    sim.stop();
  });

  it('does nothing with the NodeOverlay gate off (upstream’s default)', async () => {
    const sim = await cluster(false);
    await sim.apply([m5Discount()]);
    await sim.scale('Deployment', APP_NS, APP, 12);
    await sim.settle();
    expect(families(sim)).toEqual(['c5']);
    expect(sim.api.peek(Kinds.NodeOverlay, 'm5-savings-plan')?.status).toBeUndefined();
    sim.stop();
  });

  it('marks the overlay that collides at the same weight as Conflict and applies only the other', async () => {
    const sim = await cluster(true);
    await sim.apply([
      // Same weight, same m5 offerings: "m5-savings-plan" sorts first (reverse alphabetical) and wins.
      m5Discount(),
      overlay('m5-markup', { requirements: [{ key: FAMILY, operator: 'In', values: ['m5'] }], price: '5' }),
    ]);
    await sim.settle();
    expect(condition(sim, 'm5-markup', 'ValidationSucceeded')).toMatchObject({
      status: 'False',
      reason: 'Conflict',
      message: 'conflict with another overlay',
    });
    expect(condition(sim, 'm5-savings-plan', 'ValidationSucceeded')).toMatchObject({ status: 'True' });
    await sim.scale('Deployment', APP_NS, APP, 12);
    await sim.settle();
    expect(families(sim)).toEqual(['m5']);
    sim.stop();
  });
});
