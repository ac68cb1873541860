/**
 * consolidationPolicy: Balanced on the embedded simulator: a replacement whose saving is small for the disruption it
 * causes is left alone (WhenEmptyOrUnderutilized takes it, tests/disruption.test.ts), one with a big saving is taken.
 */
import { Kinds } from '../runtime/kube/kinds';
import type { NodePool } from '../runtime/kube/objects';
import { consolidationMovesTotal, registry } from '../runtime/metrics';
import { APP, APP_NS, labCluster, podsOn, workshopNodes } from './support/cluster';
import { series } from './support/metrics';

const POOL = 'developers-workshop-pool';

/** Six pods on one `bigType` node of a Balanced pool, then t3a.medium allowed and the app scaled to 2. */
async function shrinkOneNode(bigType: string) {
  const sim = await labCluster({
    replicas: 6,
    appCpu: '500m',
    editPool: (pool) => {
      pool.spec.disruption.consolidationPolicy = 'Balanced';
      pool.spec.template.spec.requirements = [
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [bigType] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      ];
    },
  });
  expect(workshopNodes(sim).map((n) => n.metadata.labels?.['node.kubernetes.io/instance-type'])).toEqual([
    bigType,
  ]);
  const pool = sim.api.peek(Kinds.NodePool, POOL) as NodePool;
  pool.spec.template.spec.requirements[0] = {
    key: 'node.kubernetes.io/instance-type',
    operator: 'In',
    values: ['t3a.medium', bigType],
  };
  await sim.api.update(Kinds.NodePool, pool);
  registry.resetMetrics();
  await sim.scale('Deployment', APP_NS, APP, 2);
  await sim.settle();
  return sim;
}

describe('consolidationPolicy: Balanced', () => {
  it('keeps a node whose replacement saves too little of the pool for moving all its pods', async () => {
    // t3a.xlarge → t3a.medium, each with the per-node cost: about 38% of the pool saved for all of its disruption.
    const sim = await shrinkOneNode('t3a.xlarge');
    const nodes = workshopNodes(sim);
    expect(nodes.map((n) => n.metadata.labels?.['node.kubernetes.io/instance-type'])).toEqual(['t3a.xlarge']);
    const name = nodes[0]?.metadata.name as string;
    expect(sim.operator.disruption.explanations.get(name)).toMatch(
      /NodePool "developers-workshop-pool" is Balanced: the move saves 3\d\.\d% of the pool's cost for 100% of its disruption cost \(score 0\.3\d, needs 0\.50\)/,
    );
    const moves = await series(consolidationMovesTotal);
    expect(moves.length).toBeGreaterThan(0);
    for (const m of moves) {
      expect(m.labels).toEqual({ decision: 'rejected', nodepool: POOL, policy: 'Balanced' });
    }
    sim.stop();
  });

  it('replaces a node when the saving is worth it', async () => {
    // t3a.2xlarge → t3a.medium: about 58% of the pool's cost saved for all of its disruption.
    const sim = await shrinkOneNode('t3a.2xlarge');
    const nodes = workshopNodes(sim);
    expect(nodes.map((n) => n.metadata.labels?.['node.kubernetes.io/instance-type'])).toEqual(['t3a.medium']);
    expect(podsOn(sim, nodes[0]?.metadata.name as string)).toHaveLength(2);
    expect(sim.pods().filter((p) => !p.spec.nodeName)).toHaveLength(0);
    const approved = (await series(consolidationMovesTotal)).filter((m) => m.labels.decision === 'approved');
    expect(approved.length).toBeGreaterThan(0);
    sim.stop();
  });
});
